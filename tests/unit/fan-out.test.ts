import { describe, expect, it } from 'vitest';
import type { Edition } from '#core/edition/model';
import type { EditionRecord } from '#core/edition/ports';
import { fanOut } from '#core/mail/fan-out';
import type { SendJob } from '#core/mail/send-job';
import type { LedgerStore, QueueState } from '#core/mail/send-ledger';

/** A ledger in memory that records which of its calls the fan-out made. */
function recordingLedger(initial?: QueueState, settled: readonly string[] = []) {
  let state = initial;
  const calls: string[] = [];
  const refuse = (name: string) => () => {
    calls.push(name);
    return Promise.reject(new Error(`the fan-out must not call ${name}`));
  };
  const ledger: LedgerStore = {
    claim: refuse('claim'),
    markSent: refuse('markSent'),
    markSkipped: refuse('markSkipped'),
    // The operator's count of every recipient: the publisher has no grant for it (a Query).
    progress: refuse('progress'),
    queueState: async () => {
      calls.push('queueState');
      return state;
    },
    startQueueing: async () => {
      calls.push('startQueueing');
      state = { status: 'queueing', total: 0 };
    },
    markUnknown: refuse('markUnknown'),
    markRejected: refuse('markRejected'),
    release: refuse('release'),
    reconcile: refuse('reconcile'),
    notePause: refuse('notePause'),
    clearPause: refuse('clearPause'),
    settledAddresses: async () => {
      calls.push('settledAddresses');
      return new Set(settled);
    },
    finishQueueing: async (_edition, total) => {
      calls.push('finishQueueing');
      state = { status: 'queued', total };
    },
  };
  return { ledger, calls };
}

const record = { week: '2017-03-11', revision: 1 } as EditionRecord;
const edition = {} as Edition;
const readers = (n: number) => Array.from({ length: n }, (_, i) => ({ mailbox: `reader-${i}@example.org` }));

function deps(ledger: LedgerStore, queued: SendJob[], pages: { mailbox: string }[][]) {
  return {
    ledger,
    storeEmail: async () => undefined,
    renderEmail: () => ({ subject: 'synthetic', html: '<p>synthetic</p>', text: 'synthetic' }),
    confirmedPages: async function* () {
      yield* pages;
    },
    enqueue: async (jobs: readonly SendJob[]) => {
      queued.push(...jobs);
    },
    now: () => new Date('2017-03-13T12:00:00Z'),
  };
}

describe('the fan-out', () => {
  it('queues every confirmed reader once, in batches of at most 50, and records the total', async () => {
    const { ledger, calls } = recordingLedger();
    const queued: SendJob[] = [];

    const total = await fanOut(deps(ledger, queued, [readers(120), readers(3)]), edition, record);

    expect(total).toBe(123);
    expect(queued.map((job) => job.addresses.length)).toEqual([50, 50, 20, 3]);
    expect(calls).toEqual(['queueState', 'startQueueing', 'finishQueueing']);
  });

  it('decides that a finished fan-out is done with one read, and never counts the recipients', async () => {
    const { ledger, calls } = recordingLedger({ status: 'queued', total: 7 });
    const queued: SendJob[] = [];

    const total = await fanOut(deps(ledger, queued, [readers(7)]), edition, record);

    expect(total).toBe(7);
    expect(queued).toEqual([]);
    expect(calls).toEqual(['queueState']);
  });

  it('queues again a fan-out that stopped while queueing (the ledger makes repeats harmless)', async () => {
    const { ledger, calls } = recordingLedger({ status: 'queueing', total: 0 });
    const queued: SendJob[] = [];

    await fanOut(deps(ledger, queued, [readers(2)]), edition, record);

    expect(queued).toHaveLength(1);
    expect(calls).toEqual(['queueState', 'startQueueing', 'finishQueueing']);
  });

  it('on an operator’s rerun, queues the confirmed readers the ledger has not settled, and only them', async () => {
    // Readers 0–4 settled (sent, skipped, rejected or unknown); 5–6 in a batch that was dead-lettered.
    const settled = readers(5).map((r) => r.mailbox);
    const { ledger, calls } = recordingLedger({ status: 'queued', total: 7 }, settled);
    const queued: SendJob[] = [];

    const requeued = await fanOut(deps(ledger, queued, [readers(7)]), edition, record, { resume: true });

    expect(requeued).toBe(2);
    expect(queued.flatMap((job) => job.addresses)).toEqual(['reader-5@example.org', 'reader-6@example.org']);
    expect(calls).toEqual(['queueState', 'settledAddresses', 'finishQueueing']);
  });

  it('queues nobody on a rerun when every reader is settled', async () => {
    const { ledger } = recordingLedger(
      { status: 'queued', total: 3 },
      readers(3).map((r) => r.mailbox),
    );
    const queued: SendJob[] = [];
    expect(await fanOut(deps(ledger, queued, [readers(3)]), edition, record, { resume: true })).toBe(0);
    expect(queued).toEqual([]);
  });
});
