import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { todayIn } from '#core/reporting-week';
import { S3RVER_CREDENTIALS } from '#local/emulators';
import { generateToken, type LocalStack, startLocalStack } from '#local/stack';
import type { Benchmark, BenchmarkReport, BenchOptions, Measurement } from './support/benchmark';
import { closedLoop, type LoadResult } from './support/closed-loop';
import { demoLoadRounds } from './support/demo-load';
import { type CallCounter, type CallCounts, difference, total } from './support/dynamodb-calls';
import { type KeepAliveClient, keepAliveClient } from './support/http-client';

/** Fictional jurisdictions only (ids `ZZB…`, "Synthetic County n"): never a real agency's name. */
const JURISDICTIONS = 300;
const STATES = ['CA', 'TX', 'NY', 'FL', 'IL', 'WA', 'AZ', 'CO'] as const;
const SINGLE_CLIENTS = [1, 10, 50] as const;
const BATCH_CLIENTS = [1, 10] as const;
const BATCH_SIZE = 100;
const CURRENT_WEEK_CLIENTS = [10] as const;

interface Plan {
  readonly repetitions: number;
  /** Length of each timed phase (one subject or one baseline at one concurrency). */
  readonly phaseMs: number;
  /** Batch phases are longer: at 1 client a batch of 100 takes a good part of a second. */
  readonly batchPhaseMs: number;
  /** The demo's load: rounds, and the demo's records loaded in each. */
  readonly demoRounds: number;
  readonly demoRecords: number;
}

const FULL: Plan = { repetitions: 5, phaseMs: 1_500, batchPhaseMs: 2_500, demoRounds: 3, demoRecords: 3_000 };
const QUICK: Plan = { repetitions: 2, phaseMs: 400, batchPhaseMs: 800, demoRounds: 1, demoRecords: 600 };

interface JurisdictionRef {
  readonly id: string;
  readonly name: string;
  readonly state: string;
}

function jurisdiction(sequence: number): JurisdictionRef {
  const n = sequence % JURISDICTIONS;
  return {
    id: `ZZB${String(n).padStart(5, '0')}`,
    name: `Synthetic County ${n} Sheriff’s Office`,
    state: STATES[n % STATES.length] ?? 'CA',
  };
}

/** What every synthetic record shares: its jurisdiction, facility and person. */
function recordBase(sequence: number, offense: 'charged' | 'convicted'): Record<string, unknown> {
  return {
    jurisdiction: jurisdiction(sequence),
    facility: `Synthetic County ${sequence % JURISDICTIONS} Jail`,
    aor: 'Synthetic Field Office',
    citizenship: 'Freedonia',
    offenses: [{ description: 'Synthetic offense', status: offense }],
  };
}

/** A new, valid, declined record: the shape of README's example, spread over jurisdictions and days. */
function syntheticOutcome(sequence: number): Record<string, unknown> {
  const day = String((sequence % 28) + 1).padStart(2, '0');
  return {
    issuedOn: `2024-03-${day}`,
    ...recordBase(sequence, 'convicted'),
    status: 'declined',
    declinedOn: `2024-04-${day}`,
    learnedOn: `2024-04-${day}`,
  };
}

/**
 * A new detainer reported as it is issued: pending, issued today (in the report's time zone), so
 * it counts only in the week under way, which no edition has read yet. Agencies' systems record
 * most detainers so; the backfill above (two ended weeks) is the costly case.
 */
function currentWeekOutcome(sequence: number, today: string): Record<string, unknown> {
  return { issuedOn: today, ...recordBase(sequence, 'charged'), status: 'pending' };
}

/** Detainer ids unique across the whole run, so every write creates a record. */
let issued = 0;
function newDetainerId(prefix: string): string {
  issued += 1;
  return `BENCH-${prefix}-${issued.toString(36)}`;
}

interface Phases {
  readonly stack: LocalStack;
  readonly raw: DynamoDBClient;
  readonly outcomesTable: string;
  /** Today in the report's time zone, as the intake function dates a record. */
  readonly today: string;
  /** A stored intake record, cloned (new key) as the raw PutItem baseline's item. */
  template: Record<string, AttributeValue>;
}

async function withApi<T>(
  stack: LocalStack,
  clients: number,
  use: (api: KeepAliveClient) => Promise<T>,
): Promise<T> {
  const api = keepAliveClient(stack.urls.gateway, clients, { authorization: `Bearer ${stack.token}` });
  try {
    return await use(api);
  } finally {
    api.close();
  }
}

function putPhase(phases: Phases, clients: number, durationMs: number, maxOperations?: number) {
  return putRecords(phases, clients, durationMs, maxOperations, syntheticOutcome);
}

function currentWeekPhase(phases: Phases, clients: number, durationMs: number) {
  return putRecords(phases, clients, durationMs, undefined, (n) => currentWeekOutcome(n, phases.today));
}

function putRecords(
  phases: Phases,
  clients: number,
  durationMs: number,
  maxOperations: number | undefined,
  outcome: (sequence: number) => Record<string, unknown>,
) {
  return withApi(phases.stack, clients, (api) =>
    closedLoop(
      { clients, durationMs, ...(maxOperations === undefined ? {} : { maxOperations }) },
      async (n) => {
        const id = newDetainerId('P');
        const response = await api.send('PUT', `/outcomes/${id}`, JSON.stringify(outcome(n)));
        if (response.status !== 201) {
          throw new Error(`PUT /outcomes/${id} answered ${response.status}: ${response.body.slice(0, 300)}`);
        }
        return 1;
      },
    ),
  );
}

function batchPhase(phases: Phases, clients: number, durationMs: number, maxOperations?: number) {
  return withApi(phases.stack, clients, (api) =>
    closedLoop(
      { clients, durationMs, ...(maxOperations === undefined ? {} : { maxOperations }) },
      async (n) => {
        const outcomes = Array.from({ length: BATCH_SIZE }, (_, index) => ({
          detainerId: newDetainerId('B'),
          ...syntheticOutcome(n * BATCH_SIZE + index),
        }));
        const response = await api.send('POST', '/outcomes', JSON.stringify({ outcomes }));
        const created =
          response.status === 200
            ? (JSON.parse(response.body) as { results: { result: string }[] }).results.filter(
                (item) => item.result === 'created',
              ).length
            : 0;
        if (created !== BATCH_SIZE) {
          throw new Error(
            `POST /outcomes answered ${response.status} with ${created}/${BATCH_SIZE} created: ${response.body.slice(0, 300)}`,
          );
        }
        return BATCH_SIZE;
      },
    ),
  );
}

function rawPhase(phases: Phases, clients: number, durationMs: number, maxOperations?: number) {
  return closedLoop(
    { clients, durationMs, ...(maxOperations === undefined ? {} : { maxOperations }) },
    async () => {
      const detainerId = newDetainerId('R');
      await phases.raw.send(
        new PutItemCommand({
          TableName: phases.outcomesTable,
          Item: { ...phases.template, detainerId: { S: detainerId }, ref: { S: detainerId.toLowerCase() } },
        }),
      );
      return 1;
    },
  );
}

/** Runs subject and baseline back to back, alternating which goes first, so drift hits both alike. */
async function pair(
  repetition: number,
  subject: () => Promise<LoadResult>,
  baseline: () => Promise<LoadResult>,
): Promise<{ subject: LoadResult; baseline: LoadResult }> {
  if (repetition % 2 === 0) {
    const first = await subject();
    return { subject: first, baseline: await baseline() };
  }
  const first = await baseline();
  return { subject: await subject(), baseline: first };
}

function perCommand(counts: CallCounts, records: number): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([call, count]) => `${call} ${(count / records).toFixed(count / records < 0.01 ? 4 : 2)}`)
    .join(', ');
}

type Phase = (phases: Phases, clients: number, durationMs: number) => Promise<LoadResult>;

/** One write path through the API (single PUT, batch POST) and what was measured of it. */
interface WritePath {
  readonly label: (clients: number) => string;
  readonly phase: Phase;
  readonly clients: readonly number[];
  readonly durationMs: number;
  /** Records/s per concurrency, one per repetition; the raw baseline's likewise. */
  readonly intake: Map<number, number[]>;
  readonly raw: Map<number, number[]>;
  /** DynamoDB calls per record, one per repetition (all concurrencies together). */
  readonly callsPerRecord: number[];
  counts: CallCounts;
  records: number;
}

function writePath(
  label: WritePath['label'],
  phase: Phase,
  clients: readonly number[],
  durationMs: number,
): WritePath {
  return {
    label,
    phase,
    clients,
    durationMs,
    intake: new Map(clients.map((count) => [count, []])),
    raw: new Map(clients.map((count) => [count, []])),
    callsPerRecord: [],
    counts: {},
    records: 0,
  };
}

/** One repetition of a path: each concurrency, intake and raw back to back, calls counted around intake. */
async function repeat(
  path: WritePath,
  phases: Phases,
  plan: Plan,
  repetition: number,
  counter: CallCounter,
): Promise<void> {
  let calls: CallCounts = {};
  let records = 0;
  for (const clients of path.clients) {
    const result = await pair(
      repetition,
      async () => {
        const start = counter.snapshot();
        const load = await path.phase(phases, clients, path.durationMs);
        calls = sum(calls, difference(counter.snapshot(), start));
        return load;
      },
      () => rawPhase(phases, clients, plan.phaseMs),
    );
    path.intake.get(clients)?.push(result.subject.recordsPerSecond);
    path.raw.get(clients)?.push(result.baseline.recordsPerSecond);
    records += result.subject.records;
  }
  path.callsPerRecord.push(total(calls) / records);
  path.counts = sum(path.counts, calls);
  path.records += records;
}

async function measure(phases: Phases, plan: Plan, log: BenchOptions['log']): Promise<BenchmarkReport> {
  // The intake function runs in processes of its own: its calls are counted at the DynamoDB gate.
  const counter: CallCounter = { snapshot: () => phases.stack.calls('dynamodb', 'intake') };

  log('  warm-up: every jurisdiction bound once, JIT warmed on both paths');
  const warmup = await putPhase(phases, 10, 60_000, JURISDICTIONS);
  await rawPhase(phases, 10, 60_000, JURISDICTIONS);
  await batchPhase(phases, 1, 60_000, 1);
  if (warmup.records === 0) throw new Error('the warm-up wrote nothing');

  const single = writePath(
    (clients) => `PUT /outcomes/{id} (new record, two ended weeks), ${clientsLabel(clients)}`,
    putPhase,
    SINGLE_CLIENTS,
    plan.phaseMs,
  );
  const batch = writePath(
    (clients) => `POST /outcomes (${BATCH_SIZE} new records per call), ${clientsLabel(clients)}`,
    batchPhase,
    BATCH_CLIENTS,
    plan.batchPhaseMs,
  );
  const current = writePath(
    (clients) => `PUT /outcomes/{id} (new record, week under way), ${clientsLabel(clients)}`,
    currentWeekPhase,
    CURRENT_WEEK_CLIENTS,
    plan.phaseMs,
  );
  for (let repetition = 0; repetition < plan.repetitions; repetition++) {
    log(`  repetition ${repetition + 1}/${plan.repetitions}`);
    await repeat(single, phases, plan, repetition, counter);
    await repeat(batch, phases, plan, repetition, counter);
    await repeat(current, phases, plan, repetition, counter);
  }

  const measurements: Measurement[] = [];
  for (const path of [single, batch, current]) {
    for (const clients of path.clients) {
      measurements.push({
        name: path.label(clients),
        unit: 'records/s',
        samples: path.intake.get(clients) ?? [],
        baseline: { name: `raw PutItem, ${clientsLabel(clients)}`, samples: path.raw.get(clients) ?? [] },
      });
    }
  }
  log(`  the demo's load: ${plan.demoRounds} rounds of ${plan.demoRecords} records`);
  const demo = await demoLoadRounds(phases.stack, phases.raw, phases.outcomesTable, {
    rounds: plan.demoRounds,
    records: plan.demoRecords,
    calls: counter.snapshot,
  });
  const demoCalls = demo.rounds.reduce<CallCounts>((all, round) => sum(all, round.calls), {});
  const demoRecords = demo.rounds.reduce((all, round) => all + round.records, 0);
  measurements.push({
    name: `demo load (npm run demo's path: POST /outcomes, 100 a call, 4 in flight), ${plan.demoRecords} records`,
    unit: 'records/s',
    samples: demo.rounds.map((round) => round.demo),
    baseline: {
      name: 'raw BatchWriteItem of the same stored items (25 a call, 4 in flight)',
      samples: demo.rounds.map((round) => round.raw),
    },
  });
  const onePerRecord = (count: number) => Array.from({ length: count }, () => 1);
  measurements.push(
    {
      name: 'DynamoDB calls per new record, PUT in the week under way (the common path)',
      unit: 'calls',
      samples: current.callsPerRecord,
      baseline: { name: 'raw PutItem', samples: onePerRecord(current.callsPerRecord.length) },
    },
    {
      name: 'DynamoDB calls per new record, PUT into two ended weeks (a backfill)',
      unit: 'calls',
      samples: single.callsPerRecord,
      baseline: { name: 'raw PutItem', samples: onePerRecord(single.callsPerRecord.length) },
    },
    {
      name: 'DynamoDB calls per new record, POST batch',
      unit: 'calls',
      samples: batch.callsPerRecord,
      baseline: { name: 'raw PutItem', samples: onePerRecord(batch.callsPerRecord.length) },
    },
  );

  const body = JSON.stringify(syntheticOutcome(0));
  const notes = [
    `Calls per new record by command and table (all timed phases): PUT in the week under way ${perCommand(current.counts, current.records)}; ` +
      `PUT into ended weeks ${perCommand(single.counts, single.records)}; ` +
      `POST batch ${perCommand(batch.counts, batch.records)}. Counted at the local stack's DynamoDB gate ` +
      'for the intake role, once per HTTP attempt (retries included); the bearer-token lookup is cached ' +
      '5 s per container, so it adds almost nothing.',
    'A backfill record (issued and declined in ended weeks of 2024) writes a re-issue mark for each ' +
      'ended week it counts in before the record itself, so that a published edition of either week is ' +
      'checked again (contract §3); a record of the week under way counts in no edition yet and writes none.',
    `Each backfill PUT body is ${body.length} bytes of JSON; the baseline's item is a stored intake record ` +
      `(${JSON.stringify(phases.template).length} bytes as AttributeValue JSON) under a new key, so ` +
      "it updates the same table and indexes; intake's other calls write the history and jurisdiction items.",
    `${JURISDICTIONS} fictional jurisdictions (ids ZZB00000–ZZB${String(JURISDICTIONS - 1).padStart(5, '0')}), ` +
      'all bound during the warm-up, so timed writes find them bound. Every timed write creates a new record.',
    'The intake function runs from its deployed bundle in environments of its own (at most one per ' +
      'core at once, as each Lambda environment has its own CPU); its calls and the raw baseline both ' +
      'go through the IAM gate in front of dynalite, which is single-threaded, so more clients mostly ' +
      'add queueing: the ratios say how much of the store the API path leaves on the table.',
    `The demo's load: the first ${plan.demoRecords} records of \`npm run demo\`'s own data set (scripts/demo-data.ts, ` +
      `2 weeks; ${demo.policies} policy versions written first, untimed), under fresh detainer ids each round, ` +
      `loaded as the demo loads them; its baseline reads back the ${demo.rounds[0]?.items ?? 0} items they stored ` +
      '(untimed) and writes them again under new keys with BatchWriteItem into the same table, after the demo. ' +
      `The demo's calls per record: ${perCommand(demoCalls, demoRecords)} (the first round binds the data set's jurisdictions).`,
    `Plan: ${plan.repetitions} repetitions; each ${plan.phaseMs} ms phase (batches ${plan.batchPhaseMs} ms) ` +
      'runs the subject and its baseline back to back, alternating which goes first.',
  ];
  return { measurements, notes };
}

function clientsLabel(clients: number): string {
  return clients === 1 ? '1 client' : `${clients} clients`;
}

function sum(a: CallCounts, b: CallCounts): CallCounts {
  const result: Record<string, number> = { ...a };
  for (const [command, count] of Object.entries(b)) result[command] = (result[command] ?? 0) + count;
  return result;
}

export const intakeThroughput: Benchmark = {
  id: 'intake-throughput',
  title: 'Intake throughput',
  description:
    'Records written per second through the local gateway and the real intake handler (HTTP with ' +
    'keep-alive: `PUT /outcomes/{id}` at 1, 10 and 50 concurrent clients, and `POST /outcomes` with ' +
    `${BATCH_SIZE} records per call at 1 and 10), against raw \`PutItem\` calls of a similar item ` +
    '(@aws-sdk/client-dynamodb) to the same in-memory dynalite at the same concurrency. The ratio ' +
    'intake ÷ raw is what the API path (HTTP, auth, validation, the read-bind-write-history sequence) costs.',
  async run({ quick, log }) {
    const plan = quick ? QUICK : FULL;
    const dataDir = await mkdtemp(join(tmpdir(), 'ddor-bench-'));
    let stack: LocalStack | undefined;
    let raw: DynamoDBClient | undefined;
    try {
      log('  starting the local stack (in memory)');
      stack = await startLocalStack({ dataDir, inMemory: true, quiet: true, intakeToken: generateToken() });
      const outcomesTable = stack.tables.OUTCOMES_TABLE;
      if (outcomesTable === undefined) throw new Error('the local stack has no OUTCOMES_TABLE');
      raw = new DynamoDBClient({
        endpoint: stack.urls.dynamodb,
        region: stack.environment.AWS_REGION ?? 'us-east-1',
        // The account's own key: IAM does not limit it (the raw baseline is not a function).
        credentials: S3RVER_CREDENTIALS,
      });
      const timeZone = stack.environment.REPORT_TIME_ZONE;
      if (timeZone === undefined) throw new Error('the local stack has no REPORT_TIME_ZONE');
      const phases: Phases = { stack, raw, outcomesTable, today: todayIn(timeZone), template: {} };
      phases.template = await storedRecord(phases);
      return await measure(phases, plan, log);
    } finally {
      raw?.destroy();
      await stack?.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};

/** Writes one record through the API and reads its item back, as the raw baseline's template. */
async function storedRecord(phases: Pick<Phases, 'stack' | 'raw' | 'outcomesTable'>) {
  const detainerId = newDetainerId('T');
  const response = await withApi(phases.stack, 1, (api) =>
    api.send('PUT', `/outcomes/${detainerId}`, JSON.stringify(syntheticOutcome(0))),
  );
  if (response.status !== 201) throw new Error(`the template record answered ${response.status}`);
  const stored = await phases.raw.send(
    new GetItemCommand({ TableName: phases.outcomesTable, Key: { detainerId: { S: detainerId } } }),
  );
  if (stored.Item === undefined) throw new Error(`record ${detainerId} was not stored`);
  return stored.Item;
}
