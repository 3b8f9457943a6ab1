/**
 * npm run clients -- create NAME [--role intake|admin|jurisdiction] [--jurisdiction ID]
 * npm run clients -- list
 * npm run clients -- revoke ID
 * Add --deployed to act on the deployed tables (CLIENTS_TABLE and AWS credentials from the environment).
 */

import { parseArgs } from 'node:util';
import { createClientBodySchema } from '#core/intake/schemas';
import { toIssues } from '#core/issues';
import { connect, fail, usage } from './stack-connection';

const USAGE = `usage:
  npm run clients -- create NAME [--role intake|admin|jurisdiction] [--jurisdiction ID]
  npm run clients -- list
  npm run clients -- revoke ID
options: --deployed (use the deployed tables instead of the local stack)`;

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  const options = {
    role: { type: 'string' },
    jurisdiction: { type: 'string' },
    deployed: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
  try {
    parsed = parseArgs({ options, allowPositionals: true, strict: true });
  } catch (error) {
    usage(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || command === undefined) {
    console.log(USAGE);
    return;
  }
  await connect(parsed.values.deployed).catch((error: unknown) =>
    fail(error instanceof Error ? error.message : String(error)),
  );
  const { DynamoClientStore } = await import('#adapters/client-store');
  const { createClient, publicClient, revokeClient } = await import('#core/intake/clients');
  const store = new DynamoClientStore();

  switch (command) {
    case 'create': {
      const name = rest.join(' ').trim();
      const input = {
        name,
        role: parsed.values.role ?? 'intake',
        ...(parsed.values.jurisdiction === undefined ? {} : { jurisdictionId: parsed.values.jurisdiction }),
      };
      const valid = createClientBodySchema.safeParse(input);
      if (!valid.success) {
        const issues = toIssues(valid.error).map(
          (i) =>
            `  ${i.path === 'jurisdictionId' ? '--jurisdiction' : i.path === 'role' ? '--role' : 'NAME'}: ${i.message}`,
        );
        usage(`cannot create the client:\n${issues.join('\n')}\n${USAGE}`);
      }
      const client = await createClient(store, valid.data, new Date());
      console.log(
        `created client ${client.id} (${client.name}, role ${client.role}${client.jurisdictionId ? `, jurisdiction ${client.jurisdictionId}` : ''})`,
      );
      console.log('token (shown once; store it now):');
      console.log(client.token);
      return;
    }
    case 'list': {
      const clients = await store.list();
      if (clients.length === 0) console.log('no clients');
      for (const client of clients.map(publicClient)) {
        const state = client.revokedAt ? `revoked ${client.revokedAt}` : 'active';
        console.log(
          `${client.id}\t${client.role}${client.jurisdictionId ? `:${client.jurisdictionId}` : ''}\t${state}\t${client.name}`,
        );
      }
      return;
    }
    case 'revoke': {
      const id = rest[0];
      if (id === undefined || rest.length !== 1) usage(`revoke takes one client id\n${USAGE}`);
      try {
        const client = await revokeClient(store, id, new Date());
        console.log(`revoked ${client.id} (${client.name})`);
      } catch (error) {
        fail(error instanceof Error ? error.message : String(error));
      }
      return;
    }
    default:
      usage(`unknown command ${command}\n${USAGE}`);
  }
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
