import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { untilProcessed } from '#adapters/dynamodb';
import { latestCompleteWeek } from '#core/reporting-week';
import type { LocalStack } from '#local/stack';
import { type DemoOutcome, demoDataSet, policyWrites } from '../../scripts/demo-data';
import { batchWrite } from './batch-write';
import { keepAliveClient } from './http-client';

/** As `npm run demo` loads: POST /outcomes, 100 records a call, 4 calls in flight (scripts/demo.ts). */
const DEMO_BATCH = 100;
const DEMO_IN_FLIGHT = 4;
const SEED = 'ddor-bench-demo';

export interface DemoLoadRound {
  /** Records/s of the demo's load through the API. */
  readonly demo: number;
  /** Items/s of raw BatchWriteItem of the same stored items (new keys) into the same table. */
  readonly raw: number;
  readonly records: number;
  readonly items: number;
  /** The intake function's DynamoDB calls during the demo's load, by command and table. */
  readonly calls: Record<string, number>;
}

/**
 * The demo's load path against the store's own batch write. The records are the demo's own
 * data set (scripts/demo-data.ts), its policies written first (untimed, as the demo does before its
 * records), the first `records` of them loaded as the demo loads them, each round under fresh
 * detainer ids. The baseline reads back the items those writes stored and writes them again under
 * new keys with BatchWriteItem (25 a call, 4 calls in flight), so both write the same items, with
 * the same indexes, into the same dynalite. The baseline writes what the demo stored, so it always
 * runs second.
 */
export async function demoLoadRounds(
  stack: LocalStack,
  raw: DynamoDBClient,
  outcomesTable: string,
  options: { rounds: number; records: number; calls: () => Record<string, number> },
): Promise<{ rounds: DemoLoadRound[]; policies: number }> {
  const timeZone = stack.environment.REPORT_TIME_ZONE ?? 'America/New_York';
  const data = demoDataSet({ seed: SEED, endWeek: latestCompleteWeek(timeZone), weeks: 2 });
  const outcomes = data.outcomes.slice(0, options.records);
  if (outcomes.length < options.records)
    throw new Error(`the demo data set has ${data.outcomes.length} records`);
  const api = keepAliveClient(stack.urls.gateway, DEMO_IN_FLIGHT, { authorization: `Bearer ${stack.token}` });
  const documents = DynamoDBDocumentClient.from(raw);
  try {
    const writes = policyWrites(data.jurisdictions);
    for (const write of writes) {
      const response = await api.send(
        'PUT',
        `/jurisdictions/${encodeURIComponent(write.id)}`,
        JSON.stringify(write.body),
      );
      if (response.status >= 400)
        throw new Error(`PUT /jurisdictions/${write.id} answered ${response.status}`);
    }
    const rounds: DemoLoadRound[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const renamed = outcomes.map((outcome) => ({
        ...outcome,
        detainerId: `${outcome.detainerId}-B${round}`,
      }));
      let demo = 0;
      let rawRate = 0;
      let items = 0;
      let calls: Record<string, number> = {};
      const runDemo = async () => {
        const before = options.calls();
        demo = await demoLoad(api, renamed);
        const after = options.calls();
        calls = Object.fromEntries(
          Object.entries(after)
            .map(([call, count]) => [call, count - (before[call] ?? 0)] as const)
            .filter(([, count]) => count > 0),
        );
      };
      const runRaw = async () => {
        // The items the demo's writes stored (the last write of each id), read untimed, then written
        // again under new keys, timed.
        const stored = await readBack(documents, outcomesTable, renamed);
        items = stored.length;
        const started = performance.now();
        await batchWrite(
          documents,
          outcomesTable,
          stored.map((item) => ({
            ...item,
            detainerId: `${String(item.detainerId)}-raw`,
            ref: `${String(item.ref)}x`,
          })),
        );
        rawRate = (items / (performance.now() - started)) * 1000;
      };
      // The raw writes are of what the demo's stored, so the demo always goes first.
      await runDemo();
      await runRaw();
      rounds.push({ demo, raw: rawRate, records: renamed.length, items, calls });
    }
    return { rounds, policies: writes.length };
  } finally {
    api.close();
  }
}

async function demoLoad(
  api: ReturnType<typeof keepAliveClient>,
  outcomes: readonly DemoOutcome[],
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let start = next; start < outcomes.length; start = next) {
      next += DEMO_BATCH;
      const batch = outcomes.slice(start, start + DEMO_BATCH);
      const response = await api.send('POST', '/outcomes', JSON.stringify({ outcomes: batch }));
      if (response.status !== 200) {
        throw new Error(`POST /outcomes answered ${response.status}: ${response.body.slice(0, 300)}`);
      }
      const results = (JSON.parse(response.body) as { results: { result: string }[] }).results;
      const refused = results.filter((item) => item.result === 'invalid' || item.result === 'conflict');
      if (refused.length > 0)
        throw new Error(`the demo's records were refused: ${JSON.stringify(refused[0])}`);
    }
  };
  await Promise.all(Array.from({ length: DEMO_IN_FLIGHT }, worker));
  return (outcomes.length / (performance.now() - started)) * 1000;
}

/** The stored items of these records, 100 keys a BatchGetItem. */
async function readBack(
  documents: DynamoDBDocumentClient,
  table: string,
  outcomes: readonly DemoOutcome[],
): Promise<Record<string, unknown>[]> {
  const ids = [...new Set(outcomes.map((outcome) => outcome.detainerId))];
  const items: Record<string, unknown>[] = [];
  for (let start = 0; start < ids.length; start += 100) {
    const keys = ids.slice(start, start + 100).map((detainerId) => ({ detainerId }));
    await untilProcessed(`${table} keys`, keys, async (left) => {
      const out = await documents.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: [...left] } } }),
      );
      items.push(...(out.Responses?.[table] ?? []));
      return (out.UnprocessedKeys?.[table]?.Keys ?? []) as { detainerId: string }[];
    });
  }
  if (items.length !== ids.length) throw new Error(`read back ${items.length} of ${ids.length} demo records`);
  return items;
}
