import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Calls per command and table, e.g. `{ 'GetItem ddor-Outcomes': 3, 'PutItem ddor-OutcomeHistory': 2 }`. */
export type CallCounts = Readonly<Record<string, number>>;

export interface CallCounter {
  /** The counts so far; take two and `difference()` them around a phase. */
  snapshot(): CallCounts;
}

/**
 * Counts the HTTP calls a DynamoDB client makes, by command and table. The middleware sits in the
 * deserialize step, inside the retry loop, so a retried call counts once per attempt. The
 * DocumentClient shares its client's middleware stack, so its calls count too.
 */
export function countCalls(client: DynamoDBClient): CallCounter {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
      const input: unknown = args.input;
      const table =
        typeof input === 'object' &&
        input !== null &&
        'TableName' in input &&
        typeof input.TableName === 'string'
          ? ` ${input.TableName}`
          : '';
      const key = `${command}${table}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return next(args);
    },
    { step: 'deserialize', name: 'benchCallCounter', override: true },
  );
  return { snapshot: () => Object.fromEntries(counts) };
}

export function difference(after: CallCounts, before: CallCounts): CallCounts {
  const result: Record<string, number> = {};
  for (const [command, count] of Object.entries(after)) {
    const delta = count - (before[command] ?? 0);
    if (delta > 0) result[command] = delta;
  }
  return result;
}

export function total(counts: CallCounts): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}
