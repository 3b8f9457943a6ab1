import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutgoingEmail } from '#core/mail/outgoing-email';
import { mailboxOf } from '#core/subscriptions/email-address';
import { unsubscribeUrl } from '#core/subscriptions/links';
import {
  type ConfirmationDeps,
  checkConfirmLink,
  confirmSubscription,
  processConfirmationRequest,
  suppress,
  sweepForgotten,
  unsubscribe,
} from '#core/subscriptions/subscriber-lifecycle';
import type {
  ForgottenEntry,
  Subscriber,
  SubscriberPage,
  SubscriberStore,
} from '#core/subscriptions/subscribers';
import { DEPLOYED_TIMING } from '#core/subscriptions/timing';

/** The store port in memory; every call yields first, so concurrent use cases interleave. */
class MemoryStore implements SubscriberStore {
  readonly items = new Map<string, Subscriber>();

  async get(mailbox: string): Promise<Subscriber | undefined> {
    await Promise.resolve();
    return this.items.get(mailbox);
  }

  async create(subscriber: Subscriber): Promise<boolean> {
    await Promise.resolve();
    if (this.items.has(subscriber.mailbox)) return false;
    this.items.set(subscriber.mailbox, subscriber);
    return true;
  }

  async replace(subscriber: Subscriber, expectedVersion: number): Promise<boolean> {
    await Promise.resolve();
    if (this.items.get(subscriber.mailbox)?.version !== expectedVersion) return false;
    this.items.set(subscriber.mailbox, subscriber);
    return true;
  }

  async deletePending(mailbox: string, expectedVersion: number): Promise<boolean> {
    const current = this.items.get(mailbox);
    if (current?.version !== expectedVersion || current.status !== 'pending') return false;
    this.items.delete(mailbox);
    return true;
  }

  async listForgotten(now: Date, limit: number): Promise<readonly ForgottenEntry[]> {
    return [...this.items.values()]
      .filter(
        (s) => s.status === 'pending' && s.forgetAt !== undefined && Date.parse(s.forgetAt) <= now.getTime(),
      )
      .slice(0, limit)
      .map((s) => ({ mailbox: s.mailbox, version: s.version }));
  }

  async listConfirmed(): Promise<SubscriberPage> {
    return { subscribers: [...this.items.values()].filter((s) => s.status === 'confirmed') };
  }
}

const HOUR = DEPLOYED_TIMING.confirmationIntervalMs;

function setup(options: { failSends?: number; budget?: number } = {}) {
  const key = randomBytes(32);
  const store = new MemoryStore();
  const sent: OutgoingEmail[] = [];
  let failures = options.failSends ?? 0;
  let budget = options.budget ?? Number.POSITIVE_INFINITY;
  let clock = Date.parse('2025-03-01T12:00:00Z');
  const deps: ConfirmationDeps = {
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
    timing: DEPLOYED_TIMING,
    takeBudget: async () => {
      if (budget <= 0) return false;
      budget -= 1;
      return true;
    },
  };
  const tokenOf = (email: OutgoingEmail | undefined): string =>
    new URL(/https:\/\/\S+/.exec(email?.text ?? '')?.[0] ?? 'https://x').searchParams.get('token') ?? '';
  const request = (address: string) =>
    processConfirmationRequest(deps, { address, requestedAt: new Date(clock).toISOString() });
  return {
    key,
    store,
    sent,
    deps,
    tokenOf,
    request,
    advance(ms: number) {
      clock += ms;
    },
    refill(n: number) {
      budget = n;
    },
  };
}

describe('mailboxes', () => {
  it('are lower-cased, lose their +tag, and on Gmail their dots', () => {
    expect(mailboxOf(' Reader+News@Example.org')).toBe('reader@example.org');
    expect(mailboxOf('first.last+x@googlemail.com')).toBe('firstlast@gmail.com');
    expect(mailboxOf('first.last@example.org')).toBe('first.last@example.org');
  });
});

describe('a confirmation request', () => {
  it('sends one confirmation when many requests for a new mailbox race', async () => {
    const { sent, store, request } = setup();

    const outcomes = await Promise.all(Array.from({ length: 8 }, () => request('Reader@Example.org ')));

    expect(sent).toHaveLength(1);
    expect(sent[0]?.to).toBe('reader@example.org');
    expect(outcomes.filter((outcome) => outcome === 'confirmation-sent')).toHaveLength(1);
    expect(store.items.get('reader@example.org')?.status).toBe('pending');
  });

  it('sends nothing new to another spelling of one mailbox, and mails the first spelling', async () => {
    const { sent, request, advance } = setup();
    await request('reader+one@example.org');
    for (const spelling of ['Reader+two@example.org', 'reader@example.org', 'READER+3@EXAMPLE.ORG']) {
      expect(await request(spelling)).toBe('rate-limited');
    }
    advance(HOUR);
    expect(await request('reader+four@example.org')).toBe('confirmation-sent');

    expect(sent.map((mail) => mail.to)).toEqual(['reader+one@example.org', 'reader+one@example.org']);
  });

  it('puts no address in the link', async () => {
    const { sent, request, tokenOf } = setup();
    await request('reader@example.org');
    const token = tokenOf(sent[0]);

    expect(token).not.toMatch(/reader|example/i);
    expect(Buffer.from(token, 'base64url').toString('latin1')).not.toMatch(/reader|example/i);
  });

  it('waits for the budget, and is dropped after 24 hours', async () => {
    const { deps, sent, request, advance, refill } = setup({ budget: 1 });
    expect(await request('one@example.org')).toBe('confirmation-sent');
    const asked = new Date(deps.now()).toISOString();
    expect(await request('two@example.org')).toBe('over-budget');
    refill(1);
    expect(await processConfirmationRequest(deps, { address: 'two@example.org', requestedAt: asked })).toBe(
      'confirmation-sent',
    );
    advance(DEPLOYED_TIMING.confirmationMaxWaitMs + 1);
    expect(await processConfirmationRequest(deps, { address: 'three@example.org', requestedAt: asked })).toBe(
      'dropped',
    );
    expect(sent.map((mail) => mail.to)).toEqual(['one@example.org', 'two@example.org']);
  });

  it('gives the hour back when the send fails, so the queue can retry at once', async () => {
    const { sent, store, request } = setup({ failSends: 1 });

    await expect(request('reader@example.org')).rejects.toThrow('throttled');
    expect(store.items.get('reader@example.org')?.lastConfirmationSentAt).toBeUndefined();
    expect(await request('reader@example.org')).toBe('confirmation-sent');
    expect(sent).toHaveLength(1);
  });

  it('sends nothing to confirmed or suppressed mailboxes', async () => {
    const { deps, sent, tokenOf, advance, request } = setup();
    await request('reader@example.org');
    await confirmSubscription(deps, tokenOf(sent[0]));
    await suppress(deps, 'gone@example.org', 'bounce');
    advance(2 * HOUR);

    expect(await request('reader+again@example.org')).toBe('already-confirmed');
    expect(await request('gone+x@example.org')).toBe('suppressed');
    expect(sent).toHaveLength(1);
  });
});

describe('links', () => {
  it('confirm only by POST: checking the link changes nothing', async () => {
    const { deps, sent, store, tokenOf, request } = setup();
    await request('reader@example.org');
    const token = tokenOf(sent[0]);

    expect(await checkConfirmLink(deps, token)).toEqual({ ok: true, address: 'reader@example.org' });
    expect(store.items.get('reader@example.org')?.status).toBe('pending');
    expect(await confirmSubscription(deps, token)).toMatchObject({ ok: true, result: 'confirmed' });
  });

  it('expire after 7 days for confirmation; unsubscribe links from old emails keep working', async () => {
    const { deps, sent, store, tokenOf, advance, key, request } = setup();
    await request('reader@example.org');
    await confirmSubscription(deps, tokenOf(sent[0]));
    const confirmed = store.items.get('reader@example.org');
    if (confirmed === undefined) throw new Error('not stored');
    const oldUnsubscribe =
      new URL(unsubscribeUrl(deps.siteUrl, key, confirmed)).searchParams.get('token') ?? '';

    // Unsubscribed, then subscribed and confirmed again: the old email's link still unsubscribes.
    expect(await unsubscribe(deps, oldUnsubscribe)).toMatchObject({ ok: true, result: 'unsubscribed' });
    advance(HOUR);
    await request('reader@example.org');
    const second = tokenOf(sent[1]);
    advance(DEPLOYED_TIMING.confirmLinkMs + 1000);
    expect(await confirmSubscription(deps, second)).toEqual({ ok: false, refusal: 'expired' });
    await request('reader@example.org');
    expect(await confirmSubscription(deps, tokenOf(sent[2]))).toMatchObject({
      ok: true,
      result: 'confirmed',
    });
    expect(await unsubscribe(deps, oldUnsubscribe)).toMatchObject({ ok: true, result: 'unsubscribed' });
  });

  it('of a mailbox that never confirmed die when it is forgotten, 30 days after its last request', async () => {
    const { deps, sent, store, tokenOf, advance, request } = setup();
    await request('reader@example.org');
    advance(10 * 24 * HOUR);
    await request('reader@example.org');
    advance(DEPLOYED_TIMING.forgetAfterMs - 1000);
    expect(await sweepForgotten(deps)).toBe(0);
    advance(2000);

    expect(await confirmSubscription(deps, tokenOf(sent[1]))).toEqual({ ok: false, refusal: 'expired' });
    expect(await sweepForgotten(deps)).toBe(1);
    expect(store.items.has('reader@example.org')).toBe(false);
    // A new request starts afresh: a new id, so no link from before opens anything.
    expect(await request('reader@example.org')).toBe('confirmation-sent');
    expect(await confirmSubscription(deps, tokenOf(sent[2]))).toMatchObject({ ok: true });
  });
});

describe('suppress', () => {
  it('keeps a complaint as the reason over a later bounce, and the first time', async () => {
    const { deps, store, advance } = setup();
    await suppress(deps, 'x@example.org', 'complaint');
    const first = store.items.get('x@example.org');
    advance(1000);

    expect(await suppress(deps, 'X+tag@example.org', 'bounce')).toBe('unchanged');
    expect(await suppress(deps, 'x@example.org', 'complaint')).toBe('unchanged');
    expect(store.items.get('x@example.org')).toEqual(first);
  });

  it('turns a confirmed subscriber into a suppressed one', async () => {
    const { deps, sent, store, tokenOf, request } = setup();
    await request('reader@example.org');
    await confirmSubscription(deps, tokenOf(sent[0]));

    expect(await suppress(deps, 'reader@example.org', 'bounce')).toBe('suppressed');
    expect(store.items.get('reader@example.org')).toMatchObject({
      status: 'suppressed',
      suppressionReason: 'bounce',
    });
  });
});
