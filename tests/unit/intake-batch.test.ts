import { describe, expect, it } from 'vitest';
import { OutOfTimeError } from '#core/errors';
import { BATCH_CONCURRENCY, NOT_WRITTEN_IN_TIME, writeBatch } from '#core/intake/batch';
import type { Actor } from '#core/intake/model';
import { type IntakeDeps, putOutcome, voidOutcome } from '#core/intake/outcomes';
import { outcomeRecordSchema } from '#core/intake/schemas';
import { MemoryJurisdictionStore, MemoryOutcomeStore } from './intake-fakes';

/**
 * A batch is bounded by its call (issue 11, item 7): once the call must stop (its deadline, or an
 * item failing unexpectedly), no item or write begins, and the batch answers only after every
 * worker has stopped, so nothing of the call runs on after its answer (on Lambda it would resume
 * at the next invocation and write stale values).
 */
const actor: Actor = { id: 'c_batch', name: 'Synthetic Batch Desk', role: 'intake' };

function items(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, index) => ({
    detainerId: `SYN-B${index}`,
    issuedOn: '2017-03-01',
    jurisdiction: { id: 'SYN-001', name: 'Synthetic County Sheriff', state: 'CA' },
    facility: 'Synthetic County Jail',
    status: 'pending',
  }));
}

function setup() {
  const outcomes = new MemoryOutcomeStore();
  const deps: IntakeDeps = {
    outcomes,
    jurisdictions: new MemoryJurisdictionStore(),
    today: () => '2017-03-15',
    now: () => new Date('2017-03-15T17:00:00Z'),
  };
  return { outcomes, deps };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('writeBatch', () => {
  it('reads its records in one call, and a record changed since is read again, not overwritten', async () => {
    const { outcomes, deps } = setup();
    const { detainerId: _id, ...first } = items(2)[1] ?? {};
    await putOutcome(deps, { detainerId: 'SYN-B1', input: outcomeRecordSchema.parse(first), actor });
    outcomes.calls.length = 0;
    // Between the batch's read and its write, another client changes SYN-B1.
    outcomes.beforeNext('replace', async () => {
      const stored = outcomes.items.get('SYN-B1');
      if (stored) outcomes.items.set('SYN-B1', { ...stored, revision: stored.revision + 1 });
    });
    const batch = items(3).map((item) => ({ ...item, facility: 'Synthetic County Annex' }));
    const results = await writeBatch(deps, batch, actor);
    expect(results.map((r) => r.result)).toEqual(['created', 'updated', 'created']);
    expect(outcomes.calls.filter((call) => call.startsWith('getMany'))).toEqual(['getMany:3']);
    // Only the record whose write lost its race was read on its own.
    expect(outcomes.calls.filter((call) => call.startsWith('get:'))).toEqual(['get:SYN-B1']);
    expect(outcomes.items.get('SYN-B1')?.revision).toBe(3);
  });

  it('stops every worker before it throws when one item fails unexpectedly', async () => {
    const { outcomes, deps } = setup();
    outcomes.beforeNext('create', () => {
      throw new Error('the store refused (synthetic)');
    });
    await expect(writeBatch(deps, items(100), actor)).rejects.toThrow('the store refused');
    const callsAtAnswer = outcomes.calls.length;
    await settle();
    expect(outcomes.calls.length).toBe(callsAtAnswer);
    // The workers already past their checks finished their item; none started another.
    expect(outcomes.items.size).toBeLessThan(BATCH_CONCURRENCY);
  });

  it('writes nothing once its call is out of time, and says each item was not written', async () => {
    const { outcomes, deps } = setup();
    const results = await writeBatch(deps, items(5), actor, AbortSignal.abort());
    expect(outcomes.items.size).toBe(0);
    expect(outcomes.calls.filter((call) => !call.startsWith('get:'))).toEqual([]);
    expect(results).toEqual(
      items(5).map((item, index) => ({
        detainerId: item.detainerId,
        result: 'conflict',
        issues: [{ path: `outcomes.${index}`, message: NOT_WRITTEN_IN_TIME }],
      })),
    );
  });

  it('answers what it wrote before the deadline and nothing after it', async () => {
    const { outcomes, deps } = setup();
    const deadline = new AbortController();
    let creates = 0;
    const stopAfter = 20;
    for (let i = 0; i < stopAfter; i++) {
      outcomes.beforeNext('create', () => {
        creates += 1;
        if (creates === stopAfter) deadline.abort();
      });
    }
    const batch = items(100);
    const results = await writeBatch(deps, batch, actor, deadline.signal);
    const callsAtAnswer = outcomes.calls.length;
    await settle();
    expect(outcomes.calls.length).toBe(callsAtAnswer);

    const created = results.filter((result) => result.result === 'created').map((r) => r.detainerId);
    expect(created.length).toBeGreaterThanOrEqual(stopAfter);
    expect(created.length).toBeLessThan(stopAfter + BATCH_CONCURRENCY);
    expect([...outcomes.items.keys()].sort()).toEqual([...created].sort());
    for (const [index, result] of results.entries()) {
      expect(result.detainerId).toBe(batch[index]?.detainerId);
      if (result.result !== 'created') {
        expect(result).toEqual({
          detainerId: batch[index]?.detainerId,
          result: 'conflict',
          issues: [{ path: `outcomes.${index}`, message: NOT_WRITTEN_IN_TIME }],
        });
      }
    }
  });

  it('keeps one detainer’s items in order and stops the chain at the deadline', async () => {
    const { outcomes, deps } = setup();
    const deadline = new AbortController();
    const first = { ...items(1)[0], status: 'pending' };
    const second = { ...first, status: 'honored' };
    outcomes.beforeNext('create', () => deadline.abort());
    const results = await writeBatch(deps, [first, second], actor, deadline.signal);
    expect(results.map((r) => r.result)).toEqual(['created', 'conflict']);
    expect(outcomes.items.get('SYN-B0')?.record.status).toBe('pending');
  });
});

describe('a single write out of time', () => {
  it('answers 429 with Retry-After and writes nothing, for a put and a void', async () => {
    const { outcomes, deps } = setup();
    const { detainerId, ...record } = items(1)[0] ?? {};
    const input = outcomeRecordSchema.parse(record);
    const put = putOutcome(deps, {
      detainerId: String(detainerId),
      input,
      actor,
      signal: AbortSignal.abort(),
    });
    await expect(put).rejects.toBeInstanceOf(OutOfTimeError);
    await expect(put).rejects.toMatchObject({ status: 429, headers: { 'retry-after': '1' } });
    expect(outcomes.calls).toEqual([]);

    await putOutcome(deps, { detainerId: 'SYN-V', input, actor });
    const before = outcomes.calls.length;
    const voiding = voidOutcome(deps, {
      detainerId: 'SYN-V',
      reason: 'synthetic',
      actor,
      signal: AbortSignal.abort(),
    });
    await expect(voiding).rejects.toBeInstanceOf(OutOfTimeError);
    expect(outcomes.calls.length).toBe(before);
    expect(outcomes.items.get('SYN-V')?.voided).toBe(false);
  });
});
