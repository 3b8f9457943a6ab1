import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { assembleEdition } from '#core/edition/assembly';
import type { JurisdictionItem, OutcomeItem, PolicyVersion } from '#core/intake/model';
import type { OutcomeRecord } from '#core/intake/outcome-record';
import { addDays, weeksEndingWith } from '#core/reporting-week';
import { type RunningEmulator, startDynamoDb } from '#local/emulators';
import { ensureTables } from '#local/tables';

/**
 * The week reader against a real dynalite: records are written through the outcome store, so
 * their week keys are set the way the intake sets them. The reader must return exactly the
 * week's records (voided ones dropped by the sparse indexes), follow every page, fetch the named
 * jurisdictions in batches of 100 plus every jurisdiction with a policy, and say what it read.
 */
const WEEK = '2017-01-28';
const PAGE_SIZE = 7;
/** More than one BatchGetItem call (100 keys each). */
const NAMED_JURISDICTIONS = 130;

let dynamo: RunningEmulator;
let adapters: {
  outcomes: import('#adapters/outcome-store').DynamoOutcomeStore;
  jurisdictions: import('#adapters/jurisdiction-store').DynamoJurisdictionStore;
  reader: import('#adapters/week-reader').DynamoWeekReader;
  documents: typeof import('#adapters/dynamodb').documents;
};

const expected = {
  issued: new Set<string>(),
  declined: new Set<string>(),
  /** Issued and declined counts of the 11 earlier weeks, by week. */
  trend: new Map<string, { issued: number; declined: number }>(),
};

function policy(enactedOn: string): PolicyVersion {
  return {
    enactedOn,
    type: 'resolution',
    summary: 'Synthetic',
    criteria: 'Judicial warrant',
    source: 'https://example.org/p',
  };
}

const jurisdictionRef = (n: number) => ({
  id: `ZZKS${String(n).padStart(5, '0')}`,
  name: `Synthetic Town ${n} Police`,
  state: 'KS',
});

let sequence = 0;

async function store(
  record: Partial<OutcomeRecord> & Pick<OutcomeRecord, 'issuedOn' | 'jurisdiction'>,
  voided = false,
) {
  sequence++;
  const at = '2017-02-04T12:00:00.000Z';
  const item: OutcomeItem = {
    detainerId: `DET-${String(sequence).padStart(5, '0')}`,
    revision: 1,
    voided: false,
    ref: `R-${sequence}`,
    record: { kind: 'detainer', facility: 'Synthetic Jail', status: 'pending', ...record },
    createdAt: at,
    updatedAt: at,
    lastChange: { revision: 1, at, client: { id: 'c', name: 'test' }, reason: null, changes: [] },
  };
  expect(await adapters.outcomes.create(item)).toBe(true);
  for (const ref of [item.record.jurisdiction, item.record.transferredTo]) {
    if (ref) await adapters.jurisdictions.bind(ref.id, ref.state, ref.name, at);
  }
  if (voided) {
    // Voiding as the intake does: a replace that keeps the record and drops its week keys.
    expect(await adapters.outcomes.replace({ ...item, revision: 2, voided: true }, 1)).toBe(true);
  }
  return item.detainerId;
}

function isIn(week: string, date: string | undefined): boolean {
  return date !== undefined && date >= week && date <= addDays(week, 6);
}

beforeAll(async () => {
  dynamo = await startDynamoDb();
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
  });
  const client = new DynamoDBClient({});
  Object.assign(process.env, await ensureTables(client));
  client.destroy();
  // The adapters read the environment when their modules load.
  const [outcomeStore, jurisdictionStore, weekReader, dynamodb] = await Promise.all([
    import('#adapters/outcome-store'),
    import('#adapters/jurisdiction-store'),
    import('#adapters/week-reader'),
    import('#adapters/dynamodb'),
  ]);
  adapters = {
    outcomes: new outcomeStore.DynamoOutcomeStore(),
    jurisdictions: new jurisdictionStore.DynamoJurisdictionStore(),
    reader: new weekReader.DynamoWeekReader(undefined, undefined, { pageSize: PAGE_SIZE }),
    documents: dynamodb.documents,
  };

  // The week: one detainer to each of 130 jurisdictions, every seventh declined in the week.
  for (let n = 0; n < NAMED_JURISDICTIONS; n++) {
    const issuedOn = addDays(WEEK, n % 7);
    const declines = n % 7 === 0;
    const id = await store({
      jurisdiction: jurisdictionRef(n),
      issuedOn,
      ...(declines ? { status: 'declined', declinedOn: issuedOn, learnedOn: addDays(WEEK, 6) } : {}),
    });
    expected.issued.add(id);
    if (declines) expected.declined.add(id);
  }
  // A decline recorded this week of a detainer issued long before, after a transfer.
  expected.declined.add(
    await store({
      jurisdiction: jurisdictionRef(0),
      transferredTo: jurisdictionRef(500),
      issuedOn: '2016-10-03',
      status: 'declined',
      declinedOn: '2016-10-20',
      learnedOn: '2017-01-30',
    }),
  );
  // Voided in the week: counted nowhere.
  await store({ jurisdiction: jurisdictionRef(1), issuedOn: '2017-01-29' }, true);
  await store(
    {
      jurisdiction: jurisdictionRef(2),
      issuedOn: '2017-01-29',
      status: 'declined',
      declinedOn: '2017-01-29',
      learnedOn: '2017-01-30',
    },
    true,
  );
  // Next week and the earlier weeks: only counted in the trend.
  await store({ jurisdiction: jurisdictionRef(3), issuedOn: '2017-02-04' });
  const earlier = weeksEndingWith(WEEK, 12).slice(0, 11);
  for (const [i, week] of earlier.entries()) {
    const counts = { issued: 0, declined: 0 };
    for (let k = 0; k < i + 1; k++) {
      const declines = k % 3 === 0;
      await store({
        jurisdiction: jurisdictionRef(k),
        issuedOn: addDays(week, k % 7),
        ...(declines
          ? { status: 'declined', declinedOn: addDays(week, k % 7), learnedOn: addDays(week, 6) }
          : {}),
      });
      counts.issued++;
      if (declines) counts.declined++;
    }
    expected.trend.set(week, counts);
  }

  // Policies: one on a named jurisdiction, one on a jurisdiction no record names (found through
  // the byPolicy index), and one removed again (it leaves the index).
  const withPolicy = async (n: number, policies: PolicyVersion[], revision: number) => {
    const ref = jurisdictionRef(n);
    const stored = await adapters.jurisdictions.get(ref.id);
    const item: JurisdictionItem = {
      id: ref.id,
      state: ref.state,
      name: ref.name,
      policies,
      revision: revision + 1,
      createdAt: stored?.createdAt ?? '2016-01-01T00:00:00.000Z',
      updatedAt: '2017-01-01T00:00:00.000Z',
    };
    expect(await adapters.jurisdictions.save(item, revision)).toBe(true);
  };
  await withPolicy(5, [policy('2016-05-01')], 0);
  await withPolicy(900, [policy('2015-02-01')], 0);
  await withPolicy(901, [policy('2015-02-01')], 0);
  await withPolicy(901, [], 1);
});

afterAll(async () => {
  await dynamo?.close();
});

describe('DynamoWeekReader', () => {
  it('reads exactly the week’s issued records and recorded declines, voided ones excluded', async () => {
    const { data } = await adapters.reader.read(WEEK);

    expect(data.week).toBe(WEEK);
    expect(new Set(data.issued.map((item) => item.detainerId))).toEqual(expected.issued);
    expect(data.issued).toHaveLength(expected.issued.size);
    expect(new Set(data.declined.map((item) => item.detainerId))).toEqual(expected.declined);
    for (const item of data.issued) expect(isIn(WEEK, item.record.issuedOn)).toBe(true);
    for (const item of data.declined) expect(isIn(WEEK, item.record.learnedOn)).toBe(true);
    // The index keys are storage details, not part of the item.
    expect(JSON.stringify(data.issued)).not.toMatch(/issuedWeek|declinedWeek/);
  });

  it('returns every named jurisdiction and every jurisdiction with a policy', async () => {
    const { data } = await adapters.reader.read(WEEK);
    const ids = [...data.jurisdictions.keys()];

    const named = Array.from({ length: NAMED_JURISDICTIONS }, (_, n) => jurisdictionRef(n).id);
    expect(ids).toEqual(expect.arrayContaining([...named, jurisdictionRef(500).id, jurisdictionRef(900).id]));
    expect(ids).not.toContain(jurisdictionRef(901).id);
    expect(ids).toHaveLength(NAMED_JURISDICTIONS + 2);
    expect(ids).toEqual([...ids].sort());
    expect(data.jurisdictions.get(jurisdictionRef(5).id)?.policies).toEqual([policy('2016-05-01')]);
    expect(JSON.stringify([...data.jurisdictions.values()])).not.toContain('hasPolicy');
  });

  it('counts the 11 earlier weeks for the trend, oldest first', async () => {
    const { data } = await adapters.reader.read(WEEK);

    expect(data.trend.map((point) => point.week)).toEqual([...expected.trend.keys()]);
    for (const point of data.trend)
      expect(point).toEqual({ week: point.week, ...expected.trend.get(point.week) });
  });

  it('follows every page, batches the jurisdictions by 100, and counts what it read', async () => {
    const { data, stats } = await adapters.reader.read(WEEK);

    expect(stats.issued.count).toBe(data.issued.length);
    expect(stats.issued.scannedCount).toBe(data.issued.length);
    expect(stats.issued.requests).toBeGreaterThanOrEqual(Math.ceil(data.issued.length / PAGE_SIZE));
    expect(stats.declined.count).toBe(data.declined.length);
    expect(stats.declined.requests).toBeGreaterThan(1);
    // 131 named ids less the one found with its policy: two BatchGetItem calls.
    expect(stats.jurisdictions).toMatchObject({ requests: 2, count: NAMED_JURISDICTIONS });
    expect(stats.policies.count).toBe(2);
    const trendItems = [...expected.trend.values()].reduce((sum, c) => sum + c.issued + c.declined, 0);
    expect(stats.trend.count).toBe(trendItems);
    expect(stats.trend.requests).toBeGreaterThanOrEqual(22);
    expect(stats.total.count).toBe(
      stats.issued.count +
        stats.declined.count +
        stats.policies.count +
        stats.jurisdictions.count +
        stats.trend.count,
    );
    expect(stats.total.capacityUnits).toBeGreaterThan(0);
  });

  it('uses Query and BatchGetItem only, never a Scan', async () => {
    const send = vi.spyOn(adapters.documents, 'send');
    try {
      await adapters.reader.read(WEEK);
      const commands = new Set(send.mock.calls.map(([command]) => command.constructor.name));
      expect(commands).toEqual(new Set(['QueryCommand', 'BatchGetCommand']));
    } finally {
      send.mockRestore();
    }
  });

  it('asks again for the keys DynamoDB left unprocessed', async () => {
    const documents = adapters.documents;
    const original = documents.send.bind(documents);
    let throttled = false;
    // The first BatchGetItem answers only 10 keys and hands the rest back, as under throttling.
    const partial = async (command: unknown) => {
      if (throttled || !(command instanceof BatchGetCommand)) return original(command as BatchGetCommand);
      throttled = true;
      const [table, request] = Object.entries(command.input.RequestItems ?? {})[0] ?? [];
      const keys = request?.Keys ?? [];
      if (table === undefined || request === undefined) throw new Error('no request');
      const out = await original(
        new BatchGetCommand({ RequestItems: { [table]: { ...request, Keys: keys.slice(0, 10) } } }),
      );
      return { ...out, UnprocessedKeys: { [table]: { ...request, Keys: keys.slice(10) } } };
    };
    const send = vi.spyOn(documents, 'send').mockImplementation(partial as unknown as typeof documents.send);
    try {
      const { data, stats } = await adapters.reader.read(WEEK);
      expect(throttled).toBe(true);
      expect(data.jurisdictions.size).toBe(NAMED_JURISDICTIONS + 2);
      expect(stats.jurisdictions).toMatchObject({ requests: 3, count: NAMED_JURISDICTIONS });
    } finally {
      send.mockRestore();
    }
  });

  it('gives the assembly what it needs: the edition counts the week as written', async () => {
    const data = await adapters.reader.readWeek(WEEK);
    const edition = assembleEdition(data, {
      revision: 1,
      publishedAt: '2017-02-04T14:00:00.000Z',
      timeZone: 'America/New_York',
      synthetic: true,
      nextEditionOn: '2017-02-11',
      corrections: [],
      earlierCorrections: [],
      openDisputes: { count: 0 },
      correctionsSinceLastEdition: 0,
    });

    expect(edition.headline.issued).toBe(expected.issued.size);
    expect(edition.headline.declined).toBe(expected.declined.size);
    // The transfer's decline counts for the receiving jurisdiction, which had nothing issued.
    expect(edition.sectionII.some((group) => group.jurisdiction.id === jurisdictionRef(500).id)).toBe(true);
    expect(edition.sectionIII.map((row) => row.jurisdiction.id)).toEqual([
      jurisdictionRef(5).id,
      jurisdictionRef(900).id,
    ]);
    expect(edition.trend.slice(0, 11).map((point) => point.issued)).toEqual(
      [...expected.trend.values()].map((c) => c.issued),
    );
  });

  it('reads the same data with DynamoDB’s own page size', async () => {
    const { DynamoWeekReader } = await import('#adapters/week-reader');
    const whole = await new DynamoWeekReader().readWeek(WEEK);
    const paged = await adapters.reader.readWeek(WEEK);

    expect(whole.issued.map((item) => item.detainerId).sort()).toEqual(
      paged.issued.map((item) => item.detainerId).sort(),
    );
    expect(whole.trend).toEqual(paged.trend);
  });
});
