import { createHash, randomBytes } from 'node:crypto';
import { NotFoundError, UnauthorizedError } from '#core/errors';
import type { Actor, ClientItem, ClientStore } from './model';
import type { ClientRole } from './schemas';

/**
 * API clients and their bearer tokens. A token is 256 random bits shown once; only its SHA-256
 * is stored (a slow hash adds nothing for a random secret of that size and would slow every call).
 */
export const TOKEN_PREFIX = 'ddor_';

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function newClientId(): string {
  return `c_${randomBytes(9).toString('base64url')}`;
}

export interface CreatedClient {
  id: string;
  name: string;
  role: ClientRole;
  jurisdictionId?: string;
  token: string;
}

/** Creates a client with a new token, shown once in the answer; only the token's hash is stored. */
export async function createClient(
  store: ClientStore,
  input: { name: string; role: ClientRole; jurisdictionId?: string | undefined },
  now: Date,
): Promise<CreatedClient> {
  const token = newToken();
  const client: ClientItem = {
    id: newClientId(),
    name: input.name,
    role: input.role,
    createdAt: now.toISOString(),
  };
  if (input.jurisdictionId !== undefined) client.jurisdictionId = input.jurisdictionId;
  await store.create(client, hashToken(token));
  return { ...publicClient(client), token };
}

/** A client as listed: never the token or its hash. */
export function publicClient(
  client: ClientItem,
): Omit<CreatedClient, 'token'> & { createdAt: string; revokedAt?: string } {
  return {
    id: client.id,
    name: client.name,
    role: client.role,
    ...(client.jurisdictionId === undefined ? {} : { jurisdictionId: client.jurisdictionId }),
    createdAt: client.createdAt,
    ...(client.revokedAt === undefined ? {} : { revokedAt: client.revokedAt }),
  };
}

/** Revokes a client: its token is refused from then on (an unknown id is a 404). */
export async function revokeClient(store: ClientStore, id: string, now: Date): Promise<ClientItem> {
  const client = await store.revoke(id, now.toISOString());
  if (!client) throw new NotFoundError(`no client ${id}`);
  return client;
}

/** Resolves a bearer token to its client; unknown and revoked tokens are both 401. */
export async function authenticate(store: ClientStore, token: string): Promise<Actor> {
  const client = await store.findByTokenHash(hashToken(token));
  if (!client || client.revokedAt !== undefined) throw new UnauthorizedError('unknown or revoked token');
  const actor: Actor = { id: client.id, name: client.name, role: client.role };
  if (client.jurisdictionId !== undefined) actor.jurisdictionId = client.jurisdictionId;
  return actor;
}

export const BOOTSTRAP_CLIENT_ID = 'bootstrap';
