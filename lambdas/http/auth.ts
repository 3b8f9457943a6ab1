import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ForbiddenError, UnauthorizedError } from '#core/errors';
import { authenticate } from '#core/intake/clients';
import type { Actor, ClientStore } from '#core/intake/model';
import type { ClientRole } from '#core/intake/schemas';
import { requestHeader } from './json-body';

export interface AuthContext extends Context {
  actor?: Actor;
}

/** A short cache of resolved tokens per container: one GetItem per token per few seconds. */
const CACHE_MS = 5_000;
const cache = new Map<string, { actor: Actor; until: number }>();

/** Revocation in this container takes effect at once; in others within CACHE_MS. */
export function forgetCachedTokens(): void {
  cache.clear();
}

function bearerToken(event: APIGatewayProxyEventV2): string {
  const value = requestHeader(event, 'authorization');
  if (value === undefined) throw new UnauthorizedError('send Authorization: Bearer <token>');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  if (!match?.[1]) throw new UnauthorizedError('the Authorization header must be Bearer <token>');
  return match[1];
}

/**
 * Checks the bearer token inside the function (not a gateway authorizer), so an unknown token
 * gets the contract's 401 and error shape. `isPublic` lets a route through without a token.
 */
export function bearerAuth(
  store: ClientStore,
  isPublic: (event: APIGatewayProxyEventV2) => boolean,
): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, AuthContext> {
  return {
    before: async (request) => {
      if (isPublic(request.event)) return;
      const token = bearerToken(request.event);
      const now = Date.now();
      const hit = cache.get(token);
      if (hit && hit.until > now) {
        request.context.actor = hit.actor;
        return;
      }
      const actor = await authenticate(store, token);
      cache.set(token, { actor, until: now + CACHE_MS });
      request.context.actor = actor;
    },
  };
}

/** Throws 403 unless the actor has one of the roles. */
export function requireRole(actor: Actor, roles: readonly ClientRole[], what: string): void {
  if (!roles.includes(actor.role)) {
    const article = /^[aeiou]/.test(actor.role) ? 'an' : 'a';
    throw new ForbiddenError(`${article} ${actor.role} token may not ${what}`);
  }
}
