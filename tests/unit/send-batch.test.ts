import { describe, expect, it } from 'vitest';
import { RateLimiter } from '#core/mail/rate-limiter';
import { type LedgerStore, type SendDeps, sendBatch } from '#core/mail/send-ledger';
import { inFlightFor, LatencyEstimate, paceProblem } from '#core/mail/send-pace';

/**
 * A batch's recipients in flight together under the one limiter: each reader gets one send, the
 * pace stays the limiter's, and a refusal of the account stops new sends and defers exactly the
 * readers that were not sent. In-memory ledger: the claim/sent rules only.
 */
function memoryLedger() {
  const state = new Map<string, 'claimed' | 'sent' | 'skipped'>();
  const ledger = {
    claim: async (_edition, address) => {
      await Promise.resolve();
      if (state.get(address) === 'sent') return 'done';
      if (state.get(address) === 'claimed') return 'busy';
      state.set(address, 'claimed');
      return 'claimed';
    },
    markSent: async (_edition, address) => {
      state.set(address, 'sent');
    },
    release: async (_edition, address) => {
      state.delete(address);
    },
    markSkipped: async (_edition, address) => {
      state.set(address, 'skipped');
      return true;
    },
    notePause: async () => undefined,
    clearPause: async () => undefined,
  } as Partial<LedgerStore> as LedgerStore;
  return { ledger, state };
}

function deps(overrides: Partial<SendDeps> & { ledger: LedgerStore }): SendDeps {
  return {
    subscriber: async (address) => ({ mailbox: address, address, status: 'confirmed', id: address }) as never,
    email: async () => ({ subject: 'Synthetic edition', html: '<p>{{unsubscribe}}</p>', text: 'x' }),
    unsubscribeUrl: async () => 'https://ddor.example.org/u',
    headers: () => ({}),
    send: async (message) => `id-${message.to}`,
    rate: { take: async () => undefined },
    now: () => new Date('2017-02-06T15:00:00Z'),
    owner: 'test',
    leaseMs: 60_000,
    isThrottling: () => false,
    isUnknownOutcome: () => false,
    sleep: async () => undefined,
    ...overrides,
  };
}

const job = (count: number) => ({
  week: '2017-01-28',
  revision: 1,
  addresses: Array.from({ length: count }, (_, i) => `reader-${i}@example.org`),
});

describe('sendBatch with recipients in flight together', () => {
  it('sends each reader once, keeping as many in flight as it was told, through the one limiter', async () => {
    const { ledger, state } = memoryLedger();
    let inFlight = 0;
    let most = 0;
    let takes = 0;
    const sent: string[] = [];
    const outcome = await sendBatch(
      deps({
        ledger,
        inFlight: () => 8,
        rate: {
          take: async () => {
            takes++;
          },
        },
        send: async (message) => {
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 5));
          inFlight--;
          sent.push(message.to);
          return `id-${message.to}`;
        },
      }),
      job(50),
    );
    expect(outcome).toMatchObject({ sent: 50, skipped: 0, unknown: 0, pending: [] });
    expect(new Set(sent).size).toBe(50);
    expect(most).toBe(8);
    expect(takes).toBe(50);
    expect([...state.values()].every((value) => value === 'sent')).toBe(true);
  });

  it('reads the subscribers of a batch in one call, and skips the one no longer confirmed', async () => {
    const { ledger, state } = memoryLedger();
    const reads: string[] = [];
    const outcome = await sendBatch(
      deps({
        ledger,
        inFlight: () => 4,
        subscriber: async (address) => {
          reads.push(address);
          return undefined;
        },
        subscribers: async (addresses) => {
          reads.push(`many:${addresses.length}`);
          return new Map(
            addresses.map((address, i) => [
              address,
              {
                mailbox: address,
                address,
                status: i === 3 ? 'unsubscribed' : 'confirmed',
                id: address,
              } as never,
            ]),
          );
        },
      }),
      job(10),
    );
    expect(reads).toEqual(['many:10']);
    expect(outcome).toMatchObject({ sent: 9, skipped: 1 });
    expect(state.get('reader-3@example.org')).toBe('skipped');
  });

  it('stops starting sends at a refusal of the account and defers, in order, every reader not sent', async () => {
    const { ledger, state } = memoryLedger();
    let calls = 0;
    const quota = Object.assign(new Error('Daily quota reached (synthetic)'), {
      name: 'LimitExceededException',
    });
    const outcome = await sendBatch(
      deps({
        ledger,
        inFlight: () => 4,
        send: async (message) => {
          calls++;
          await new Promise((resolve) => setTimeout(resolve, 2));
          if (calls === 10) throw quota;
          return `id-${message.to}`;
        },
        deferReason: (error) => (error === quota ? 'daily-quota' : undefined),
      }),
      job(30),
    );
    const deferred = outcome.deferred?.addresses ?? [];
    expect(outcome.deferred?.reason).toBe('daily-quota');
    // Sent and deferred are the whole batch, with no reader in both; the deferred keep their order.
    const sentReaders = [...state.entries()]
      .filter(([, value]) => value === 'sent')
      .map(([address]) => address);
    expect(sentReaders.length).toBe(outcome.sent);
    expect(sentReaders.length + deferred.length).toBe(30);
    expect(deferred.filter((address) => sentReaders.includes(address))).toEqual([]);
    expect(deferred).toEqual(job(30).addresses.filter((address) => deferred.includes(address)));
    // The refused reader was released, so it can be claimed again.
    expect(deferred.every((address) => state.get(address) === undefined)).toBe(true);
  });

  it('keeps a real limiter to its rate with many in flight: no 1-s window over the rate', async () => {
    const { ledger } = memoryLedger();
    const at: number[] = [];
    const start = performance.now();
    await sendBatch(
      deps({
        ledger,
        inFlight: () => 16,
        rate: new RateLimiter(40),
        send: async (message) => {
          at.push(performance.now() - start);
          return `id-${message.to}`;
        },
      }),
      job(50),
    );
    const busiest = Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 1000).length));
    expect(busiest).toBeLessThanOrEqual(40);
  });
});

describe('the send pace', () => {
  it('keeps enough in flight to cover rate × latency, within bounds', () => {
    expect(inFlightFor(5, 100)).toBe(2);
    expect(inFlightFor(100, 10)).toBe(3);
    expect(inFlightFor(500, 10)).toBe(11);
    expect(inFlightFor(1_000, 200)).toBe(16);
    const latency = new LatencyEstimate(100);
    for (let i = 0; i < 50; i++) latency.observe(20);
    expect(latency.ms).toBeCloseTo(20, 0);
  });

  it('refuses a configuration whose batch cannot finish within two thirds of the timeout', () => {
    expect(paceProblem(10, 2, 180)).toBeUndefined();
    expect(paceProblem(1, 2, 180)).toBeUndefined();
    expect(paceProblem(1, 4, 180)).toMatch(/a batch of 50 would take 200 s, more than 120 s/);
  });
});
