import { afterEach, describe, expect, it } from 'vitest';
import { NOT_WRITTEN_IN_TIME } from '#core/intake/batch';
import { NO_FAULTS } from '#local/faults';
import { syntheticRecord } from '../support/api';
import { useLocalStack } from '../support/local-stack';

/**
 * Intake under load (issue 11, item 7). The intake function has a 10 s timeout; past it Lambda
 * ends the call, its answer is lost (a 5xx) and the writes it had sent still land. Against a slow
 * store a full batch cannot be written in time, so it writes what it can, stops starting work
 * before the timeout, lets the writes it began finish, and answers 200 with every other item
 * marked as not written: nothing lands after the answer, and sending the batch again completes it.
 */
const stack = useLocalStack();

afterEach(() => {
  Object.assign(stack().faults, NO_FAULTS);
});

interface BatchAnswer {
  results: { detainerId: string; result: string; revision?: number; issues?: { message: string }[] }[];
}

function batch(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, index) => ({
    detainerId: `LOAD-${String(index).padStart(3, '0')}`,
    ...syntheticRecord({
      jurisdiction: { id: 'XQLD0101', name: 'Synthetic Loadville County Sheriff’s Office', state: 'NV' },
      issuedOn: '2017-05-01',
      status: 'pending',
      declinedOn: null,
      learnedOn: null,
    }),
  }));
}

async function post(outcomes: Record<string, unknown>[]): Promise<{ status: number; body: BatchAnswer }> {
  const response = await stack().api('/outcomes', { method: 'POST', body: { outcomes } });
  return { status: response.status, body: (await response.json()) as BatchAnswer };
}

describe('a 100-item batch against a slow store', () => {
  it('answers 200 within the timeout, and no write of it lands after the answer', async () => {
    // Each record write held 2.5 s: 100 of them, 16 at a time, take longer than the 10 s timeout.
    stack().faults.slowWrites = { table: stack().tables.OUTCOMES_TABLE ?? '', ms: 2_500 };
    const items = batch(100);
    const first = await post(items);
    // A 200 is the function's own answer, given within its timeout (past it the gateway answers
    // 500 and the answer is lost); the client's wall clock also counts the wait for an environment.
    expect(first.status).toBe(200);
    expect(first.body.results.map((r) => r.detainerId)).toEqual(items.map((item) => item.detainerId));
    const written = first.body.results.filter((r) => r.result === 'created');
    const notWritten = first.body.results.filter((r) => r.result !== 'created');
    expect(written.length).toBeGreaterThan(0);
    expect(notWritten.length).toBeGreaterThan(0);
    for (const result of notWritten) {
      expect(result).toMatchObject({ result: 'conflict', issues: [{ message: NOT_WRITTEN_IN_TIME }] });
    }

    // Longer than any held write: one sent before the answer would have landed by now.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    stack().faults.slowWrites = undefined;
    const again = await post(items);
    expect(again.status).toBe(200);
    const writtenIds = new Set(written.map((r) => r.detainerId));
    for (const result of again.body.results) {
      // What the first answer wrote is there unchanged; what it did not write was not there.
      expect(result.result).toBe(writtenIds.has(result.detainerId) ? 'unchanged' : 'created');
      expect(result.revision).toBe(1);
    }
  });
});
