/**
 * npm run clients -- create NAME [--role intake|admin|jurisdiction|editor] [--jurisdiction ID]
 * npm run clients -- list
 * npm run clients -- revoke ID
 * Add --deployed --stage S to act on a deployment's Clients table (found from its stack outputs).
 */

import { parseArgs } from 'node:util';
import type * as z from 'zod';
import { createClientBodySchema } from '#core/intake/schemas';
import { toIssues } from '#core/issues';
import { connect, fail, failWith, TARGET_OPTIONS, TARGET_USAGE, targetOf, usage } from './stack-connection';

const USAGE = `usage:
  npm run clients -- create NAME [--role ROLE] [--jurisdiction ID]   prints the new client's token, once
  npm run clients -- list
  npm run clients -- revoke ID
    --role          intake (default), admin, jurisdiction (with --jurisdiction, the one it may read
                    and dispute) or editor (reads records and drafts, reviews drafts)
${TARGET_USAGE}`;

const options = {
  role: { type: 'string' },
  jurisdiction: { type: 'string' },
  ...TARGET_OPTIONS,
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Command =
  | { kind: 'create'; body: z.infer<typeof createClientBodySchema> }
  | { kind: 'list' }
  | { kind: 'revoke'; id: string };

/** The command line, checked whole before anything is read or written. */
function commandOf(
  positionals: readonly string[],
  values: { role?: string; jurisdiction?: string },
): Command {
  const [command, ...rest] = positionals;
  const onlyForCreate = values.role !== undefined || values.jurisdiction !== undefined;
  switch (command) {
    case 'create': {
      const input = {
        name: rest.join(' ').trim(),
        role: values.role ?? 'intake',
        ...(values.jurisdiction === undefined ? {} : { jurisdictionId: values.jurisdiction }),
      };
      const valid = createClientBodySchema.safeParse(input);
      if (!valid.success) {
        const issues = toIssues(valid.error).map(
          (i) =>
            `  ${i.path === 'jurisdictionId' ? '--jurisdiction' : i.path === 'role' ? '--role' : 'NAME'}: ${i.message}`,
        );
        usage(`cannot create the client:\n${issues.join('\n')}\n${USAGE}`);
      }
      return { kind: 'create', body: valid.data };
    }
    case 'list':
      if (rest.length > 0 || onlyForCreate) usage(`list takes no arguments\n${USAGE}`);
      return { kind: 'list' };
    case 'revoke': {
      const id = rest[0];
      if (id === undefined || rest.length !== 1 || onlyForCreate)
        usage(`revoke takes one client id\n${USAGE}`);
      return { kind: 'revoke', id };
    }
    case undefined:
      return usage(`name a command: create, list or revoke\n${USAGE}`);
    default:
      return usage(`unknown command "${command}": create, list or revoke\n${USAGE}`);
  }
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ options, allowPositionals: true, strict: true });
  } catch (error) {
    usage(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return;
  }
  const command = commandOf(parsed.positionals, parsed.values);
  await connect(targetOf(parsed.values, USAGE));
  const { DynamoClientStore } = await import('#adapters/client-store');
  const { createClient, publicClient, revokeClient } = await import('#core/intake/clients');
  const store = new DynamoClientStore();

  switch (command.kind) {
    case 'create': {
      const client = await createClient(store, command.body, new Date());
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
      try {
        const client = await revokeClient(store, command.id, new Date());
        console.log(`revoked ${client.id} (${client.name})`);
      } catch (error) {
        fail(error instanceof Error ? error.message : String(error));
      }
      return;
    }
  }
}

main().catch(failWith);
