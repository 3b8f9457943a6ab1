import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutgoingEmail } from '#core/mail/outgoing-email';
import { unsubscribeUrl } from '#core/subscriptions/links';
import {
  CONFIRMATION_INTERVAL_MS,
  confirmSubscription,
  type SubscriptionDeps,
  subscribe,
  suppress,
  unsubscribe,
} from '#core/subscriptions/subscriber-lifecycle';
import type { Subscriber, SubscriberPage, SubscriberStore } from '#core/subscriptions/subscribers';

/** The store port in memory; every call yields first, so concurrent use cases interleave. */
class MemoryStore implements SubscriberStore {
  readonly items = new Map<string, Subscriber>();

  async get(address: string): Promise<Subscriber | undefined> {
    await Promise.resolve();
    return this.items.get(address);
  }

  async create(subscriber: Subscriber): Promise<boolean> {
    await Promise.resolve();
    if (this.items.has(subscriber.address)) return false;
    this.items.set(subscriber.address, subscriber);
    return true;
  }

  async replace(subscriber: Subscriber, expectedVersion: number): Promise<boolean> {
    await Promise.resolve();
    if (this.items.get(subscriber.address)?.version !== expectedVersion) return false;
    this.items.set(subscriber.address, subscriber);
    return true;
  }

  async listConfirmed(): Promise<SubscriberPage> {
    return { subscribers: [...this.items.values()].filter((s) => s.status === 'confirmed') };
  }
}

function setup(options: { failSends?: number } = {}) {
  const key = randomBytes(32);
  const store = new MemoryStore();
  const sent: OutgoingEmail[] = [];
  let failures = options.failSends ?? 0;
  let clock = Date.parse('2025-03-01T12:00:00Z');
  const deps: SubscriptionDeps = {
    subscribers: store,
    secrets: { key: async () => key },
    sendEmail: async (email) => {
      if (failures > 0) {
        failures -= 1;
        throw Object.assign(new Error('throttled'), { name: 'TooManyRequestsException' });
      }
      sent.push(email);
      return { messageId: `m-${sent.length}` };
    },
    siteUrl: 'https://ddor.example',
    now: () => new Date(clock),
  };
  const tokenOf = (email: OutgoingEmail | undefined): string =>
    new URL(/https:\/\/\S+/.exec(email?.text ?? '')?.[0] ?? 'https://x').searchParams.get('token') ?? '';
  return {
    key,
    store,
    sent,
    deps,
    tokenOf,
    advance(ms: number) {
      clock += ms;
    },
  };
}

describe('subscribe', () => {
  it('sends one confirmation when many requests for a new address race', async () => {
    const { deps, sent, store } = setup();

    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => subscribe(deps, 'Reader@Example.org ')),
    );

    expect(sent).toHaveLength(1);
    expect(sent[0]?.to).toBe('reader@example.org');
    expect(outcomes.filter((outcome) => outcome === 'confirmation-sent')).toHaveLength(1);
    expect(store.items.get('reader@example.org')?.status).toBe('pending');
  });

  it('sends at most one confirmation an hour, then another with the same nonce', async () => {
    const { deps, sent, store, advance } = setup();
    await subscribe(deps, 'reader@example.org');
    const nonce = store.items.get('reader@example.org')?.nonce;

    advance(CONFIRMATION_INTERVAL_MS - 1);
    expect(await subscribe(deps, 'reader@example.org')).toBe('rate-limited');
    advance(1);
    expect(await subscribe(deps, 'reader@example.org')).toBe('confirmation-sent');

    expect(sent).toHaveLength(2);
    expect(store.items.get('reader@example.org')?.nonce).toBe(nonce);
  });

  it('gives the hour back when the send fails, so the reader can retry at once', async () => {
    const { deps, sent, store } = setup({ failSends: 1 });

    await expect(subscribe(deps, 'reader@example.org')).rejects.toThrow('throttled');
    expect(store.items.get('reader@example.org')?.lastConfirmationSentAt).toBeUndefined();
    expect(await subscribe(deps, 'reader@example.org')).toBe('confirmation-sent');
    expect(sent).toHaveLength(1);
  });

  it('needs a new confirmation after unsubscribing, and voids the old links', async () => {
    const { deps, sent, store, tokenOf, advance, key } = setup();
    await subscribe(deps, 'reader@example.org');
    const firstConfirm = tokenOf(sent[0]);
    expect(await confirmSubscription(deps, firstConfirm)).toMatchObject({ ok: true, result: 'confirmed' });
    const subscriber = store.items.get('reader@example.org');
    const oldUnsubscribe = new URL(
      unsubscribeUrl(deps.siteUrl, key, subscriber ?? { address: '', nonce: '' }),
    ).searchParams.get('token');
    expect(await unsubscribe(deps, oldUnsubscribe ?? '')).toMatchObject({ ok: true, result: 'unsubscribed' });

    // The old confirmation link does not undo the unsubscribe.
    expect(await confirmSubscription(deps, firstConfirm)).toEqual({ ok: false, refusal: 'superseded' });
    advance(CONFIRMATION_INTERVAL_MS);
    expect(await subscribe(deps, 'reader@example.org')).toBe('confirmation-sent');
    expect(store.items.get('reader@example.org')?.status).toBe('pending');
    expect(await confirmSubscription(deps, firstConfirm)).toEqual({ ok: false, refusal: 'superseded' });
    expect(await unsubscribe(deps, oldUnsubscribe ?? '')).toEqual({ ok: false, refusal: 'superseded' });
    expect(await confirmSubscription(deps, tokenOf(sent[1]))).toMatchObject({
      ok: true,
      result: 'confirmed',
    });
  });

  it('sends nothing to confirmed or suppressed addresses', async () => {
    const { deps, sent, tokenOf, advance } = setup();
    await subscribe(deps, 'reader@example.org');
    await confirmSubscription(deps, tokenOf(sent[0]));
    await suppress(deps, 'gone@example.org', 'bounce');
    advance(2 * CONFIRMATION_INTERVAL_MS);

    expect(await subscribe(deps, 'reader@example.org')).toBe('already-confirmed');
    expect(await subscribe(deps, 'gone@example.org')).toBe('suppressed');
    expect(sent).toHaveLength(1);
  });
});

describe('suppress', () => {
  it('keeps a complaint as the reason over a later bounce, and the first time', async () => {
    const { deps, store, advance } = setup();
    await suppress(deps, 'x@example.org', 'complaint');
    const first = store.items.get('x@example.org');
    advance(1000);

    expect(await suppress(deps, 'X@example.org', 'bounce')).toBe('unchanged');
    expect(await suppress(deps, 'x@example.org', 'complaint')).toBe('unchanged');
    expect(store.items.get('x@example.org')).toEqual(first);
  });

  it('turns a confirmed subscriber into a suppressed one', async () => {
    const { deps, sent, store, tokenOf } = setup();
    await subscribe(deps, 'reader@example.org');
    await confirmSubscription(deps, tokenOf(sent[0]));

    expect(await suppress(deps, 'reader@example.org', 'bounce')).toBe('suppressed');
    expect(store.items.get('reader@example.org')).toMatchObject({
      status: 'suppressed',
      suppressionReason: 'bounce',
    });
  });
});
