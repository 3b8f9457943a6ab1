import { BOOTSTRAP_CLIENT_ID, hashToken } from '#core/intake/clients';
import { DynamoClientStore } from './client-store';

/**
 * Registers the local stack's bootstrap token (INTAKE_TOKEN or the generated one) as the admin
 * client `bootstrap`, through the same client store every call is authenticated against. Bound to
 * its token: once revoked it stays revoked across restarts; a new token makes a new client.
 */
export async function ensureBootstrapClient(token: string): Promise<'active' | 'revoked'> {
  return new DynamoClientStore().bindToken(
    {
      id: BOOTSTRAP_CLIENT_ID,
      name: 'Local bootstrap (INTAKE_TOKEN)',
      role: 'admin',
      createdAt: new Date().toISOString(),
    },
    hashToken(token),
  );
}
