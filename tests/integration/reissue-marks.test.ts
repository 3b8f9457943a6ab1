import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { documents } from '#adapters/dynamodb';
import { DynamoEditionStore } from '#adapters/edition-store';
import { NO_FAULTS } from '#local/faults';
import { syntheticRecord } from '../support/api';
import { useLocalStack } from '../support/local-stack';

/**
 * A correction never vanishes (issue 11, item 1): a week's re-issue mark outlives every record
 * write it stands for. The publisher reads the week while a correction is still on its way, in
 * two ways AWS makes it happen: a write held across the read (a slow call, SDK retries), and an
 * index behind the base table (DynamoDB's indexes are eventually consistent). Either way the
 * publication misses the correction, so the mark must stay, and the next publication shows it.
 */
const stack = useLocalStack();
const county = { id: 'XQRM0101', name: 'Synthetic Markham County Sheriff’s Office', state: 'KS' };

afterEach(() => {
  Object.assign(stack().faults, NO_FAULTS);
});

function record(id: string, week: string, status: 'declined' | 'honored') {
  return stack().api(`/outcomes/${id}`, {
    method: 'PUT',
    body: syntheticRecord({
      jurisdiction: county,
      issuedOn: week,
      status,
      ...(status === 'declined'
        ? { declinedOn: week, learnedOn: week }
        : { declinedOn: null, learnedOn: null }),
    }),
  });
}

async function publish(week: string): Promise<{ result: string; revision: number }> {
  const publisher = stack().functions.get('publish');
  if (publisher === undefined) throw new Error('no publisher');
  return (await publisher.invoke({ date: week, email: false })) as { result: string; revision: number };
}

const marked = () => new DynamoEditionStore().dirtyWeeks();

describe('a correction the publication could not see', () => {
  it('keeps the week marked when the week’s index is behind, and the next publication shows it', async () => {
    const week = '2017-07-01';
    expect((await record('MARK-LAG', week, 'declined')).status).toBe(201);
    expect(await publish(week)).toMatchObject({ result: 'published', revision: 1 });
    expect(await marked()).not.toContain(week);

    stack().faults.indexLagMs = 2_000;
    expect((await record('MARK-LAG', week, 'honored')).status).toBe(200);
    // Read through an index that does not show the correction yet: nothing new to publish.
    expect(await publish(week)).toMatchObject({ result: 'unchanged', revision: 1 });
    expect(await marked()).toContain(week);

    await new Promise((resolve) => setTimeout(resolve, 2_200));
    expect(await publish(week)).toMatchObject({ result: 'published', revision: 2 });
    expect(await marked()).not.toContain(week);
  });

  it('keeps the week marked when the record write lands after the publication read, and the next one shows it', async () => {
    const week = '2017-07-08';
    expect((await record('MARK-SLOW', week, 'declined')).status).toBe(201);
    expect(await publish(week)).toMatchObject({ result: 'published', revision: 1 });

    stack().faults.slowWrites = { table: stack().tables.OUTCOMES_TABLE ?? '', ms: 2_500 };
    const correcting = record('MARK-SLOW', week, 'honored');
    // The mark is written at once; the record write is held in the gate.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await publish(week)).toMatchObject({ result: 'unchanged', revision: 1 });
    expect((await correcting).status).toBe(200);
    expect(await marked()).toContain(week);

    stack().faults.slowWrites = undefined;
    expect(await publish(week)).toMatchObject({ result: 'published', revision: 2 });
    expect(await marked()).not.toContain(week);
  });
});

describe('re-issue marks under load', () => {
  it('marks the weeks of a record whose dispute is resolved corrected, and not for a rejected one', async () => {
    const week = '2017-07-15';
    expect((await record('MARK-DISPUTE', week, 'declined')).status).toBe(201);
    expect(await publish(week)).toMatchObject({ result: 'published', revision: 1 });
    const dispute = async () => {
      const opened = await stack().api('/outcomes/MARK-DISPUTE/disputes', {
        method: 'POST',
        body: { reason: 'the decline date is the policy’s (synthetic)' },
      });
      expect(opened.status).toBe(201);
      return ((await opened.json()) as { id: string }).id;
    };
    const resolve = (id: string, outcome: 'corrected' | 'rejected') =>
      stack().api(`/disputes/${id}/resolution`, {
        method: 'POST',
        body: { outcome, reason: 'checked (synthetic)' },
      });

    const rejected = await dispute();
    expect(await marked()).not.toContain(week);
    expect((await resolve(rejected, 'rejected')).status).toBe(200);
    expect(await marked()).not.toContain(week);

    const corrected = await dispute();
    expect((await resolve(corrected, 'corrected')).status).toBe(200);
    expect(await marked()).toContain(week);
    // The next run re-checks the week; its own content did not change, so no revision, and the mark goes.
    expect(await publish(week)).toMatchObject({ result: 'unchanged', revision: 1 });
    expect(await marked()).not.toContain(week);
  });

  it('spread over partitions, so a backfill of many ended weeks does not write to one', async () => {
    const weeks = Array.from({ length: 24 }, (_, index) =>
      new Date(Date.UTC(2016, 0, 2 + 7 * index)).toISOString().slice(0, 10),
    );
    await new DynamoEditionStore().markDirty(weeks, new Date().toISOString());
    expect(await marked()).toEqual(expect.arrayContaining(weeks));

    const scan = await documents.send(
      new ScanCommand({ TableName: stack().tables.EDITIONS_TABLE ?? '', ProjectionExpression: 'week, rev' }),
    );
    const partitions = new Map<string, number>();
    for (const item of scan.Items ?? []) {
      if (!weeks.includes(String(item.rev))) continue;
      partitions.set(String(item.week), (partitions.get(String(item.week)) ?? 0) + 1);
    }
    expect(partitions.size).toBeGreaterThanOrEqual(4);
    expect(Math.max(...partitions.values())).toBeLessThanOrEqual(weeks.length / 2);
  });

  it('notes every write of a batch before it lands, the marks gathered into a few calls', async () => {
    const weeks = ['2016-03-05', '2016-03-12', '2016-03-19'];
    const outcomes = Array.from({ length: 60 }, (_, i) => {
      const week = weeks[i % weeks.length] ?? '2016-03-05';
      return {
        detainerId: `MARK-BATCH-${i}`,
        ...syntheticRecord({ jurisdiction: county, issuedOn: week, declinedOn: week, learnedOn: week }),
      };
    });
    const before = stack().calls('dynamodb', 'intake');
    const answer = await stack().api('/outcomes', { method: 'POST', body: { outcomes } });
    expect(answer.status, await answer.clone().text()).toBe(200);
    const calls = stack().calls('dynamodb', 'intake');
    const editions = stack().tables.EDITIONS_TABLE ?? '';
    const count = (counts: Record<string, number>, command: string) => counts[`${command} ${editions}`] ?? 0;
    // One mark per record (its issued and declined weeks are one), each noted with its revision.
    const store = new DynamoEditionStore();
    for (const week of weeks) {
      const pending = await store.pendingWrites(week);
      expect(pending.filter((p) => p.detainerId.startsWith('MARK-BATCH-')).map((p) => p.revision)).toEqual(
        Array.from({ length: 20 }, () => 1),
      );
    }
    // BatchWriteItem names its tables inside the call: it is counted without one.
    const batchWrites = (calls.BatchWriteItem ?? 0) - (before.BatchWriteItem ?? 0);
    const puts = count(calls, 'PutItem') - count(before, 'PutItem');
    expect(puts).toBe(0);
    expect(batchWrites).toBeGreaterThan(0);
    expect(batchWrites).toBeLessThanOrEqual(20);
  });
});
