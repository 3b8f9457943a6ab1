/** Calls per command and table, e.g. `{ 'GetItem ddor-Outcomes': 3, 'PutItem ddor-OutcomeHistory': 2 }`. */
export type CallCounts = Readonly<Record<string, number>>;

export interface CallCounter {
  /** The counts so far; take two and `difference()` them around a phase. */
  snapshot(): CallCounts;
}

/* A function's calls are counted where they arrive: at the local stack's DynamoDB gate
   (`stack.calls('dynamodb', role)`), one per attempt, since the function runs in processes of its own. */

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
