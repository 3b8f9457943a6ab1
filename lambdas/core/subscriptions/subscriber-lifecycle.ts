import { randomBytes } from 'node:crypto';
import { ValidationError } from '#core/errors';
import type { SendEmail } from '#core/mail/outgoing-email';
import type { ConfirmationRequest } from './confirmation-request';
import { checkAddress, mailboxOf, normaliseAddress } from './email-address';
import { confirmUrl } from './links';
import { confirmationEmail } from './messages';
import type { SecretSource, Subscriber, SubscriberStore, SuppressionReason } from './subscribers';
import type { SubscriptionTiming } from './timing';
import { type TokenClaims, type TokenPurpose, verifyToken } from './tokens';

/**
 * The subscription use cases of CONTRACT.md §5. The subscribe request itself only queues (see
 * lambdas/subscriptions/api): everything that reads or writes a subscriber happens here, from the
 * confirmation queue or behind a link. Every write is a read, a decision and a write conditional
 * on the version read; a lost race re-reads and decides again, so two concurrent requests never
 * both send a confirmation.
 */
export interface LinkDeps {
  readonly subscribers: SubscriberStore;
  readonly secrets: SecretSource;
  readonly now: () => Date;
  readonly timing: SubscriptionTiming;
}

export interface ConfirmationDeps extends LinkDeps {
  readonly sendEmail: SendEmail;
  /** The site's base URL, for the links in emails. */
  readonly siteUrl: string;
  /** Takes one confirmation from this period's budget; false when it is spent. */
  readonly takeBudget: (now: Date) => Promise<boolean>;
  /** @default 16 random bytes, base64url */
  readonly newId?: () => string;
}

/** More conditional-write attempts than this means something is wrong: give up (retried from the queue). */
const MAX_ATTEMPTS = 5;

export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

class ConcurrentUpdateError extends Error {
  constructor(mailbox: string) {
    // The address is personal data: the log gets its length, not the address.
    super(`subscriber kept changing under ${MAX_ATTEMPTS} attempts (mailbox of ${mailbox.length} chars)`);
    this.name = 'ConcurrentUpdateError';
  }
}

/** Retries `attempt` while it answers 'retry' (another write came first). */
async function withRetries<T>(mailbox: string, attempt: () => Promise<T | 'retry'>): Promise<T> {
  for (let i = 0; i < MAX_ATTEMPTS; i += 1) {
    const result = await attempt();
    if (result !== 'retry') return result;
  }
  throw new ConcurrentUpdateError(mailbox);
}

/** A malformed address is the one thing a subscribe request is told (400). */
export function parseSubscribeAddress(value: unknown): string {
  if (typeof value !== 'string') {
    throw new ValidationError('send the email address to subscribe', [
      { path: 'email', message: 'required: a string' },
    ]);
  }
  const check = checkAddress(value);
  if (!check.ok) {
    throw new ValidationError(`that email address is not valid: ${check.reason}`, [
      { path: 'email', message: check.reason },
    ]);
  }
  return check.address;
}

/**
 * A pending mailbox past its `forgetAt` reads as absent (contract §5: 30 days after its last
 * request), whether or not the sweep has deleted it yet.
 */
export function isForgotten(subscriber: Subscriber, now: Date): boolean {
  return (
    subscriber.status === 'pending' &&
    subscriber.forgetAt !== undefined &&
    Date.parse(subscriber.forgetAt) <= now.getTime()
  );
}

/** The subscriber as the product may see it at `now`: a forgotten one is absent. */
async function known(deps: LinkDeps, mailbox: string): Promise<Subscriber | undefined> {
  const current = await deps.subscribers.get(mailbox);
  return current === undefined || isForgotten(current, deps.now()) ? undefined : current;
}

/** What a confirmation request came to, for logs, metrics and tests (the HTTP answer was 202 for all). */
export type ConfirmationOutcome =
  | 'confirmation-sent'
  /** The mailbox had one within the hour: nothing sent. */
  | 'rate-limited'
  | 'already-confirmed'
  | 'suppressed'
  /** The period's budget is spent: the request waits for the next one. */
  | 'over-budget'
  /** It waited longer than the contract's 24 hours: dropped, with a metric and an alarm. */
  | 'dropped';

function forgetAt(deps: LinkDeps, requestAt: string): string {
  return new Date(Date.parse(requestAt) + deps.timing.forgetAfterMs).toISOString();
}

/** The later of two instants (ISO). */
function later(a: string, b: string | undefined): string {
  return b !== undefined && Date.parse(b) > Date.parse(a) ? b : a;
}

/**
 * Primary course (from the confirmation queue): a new, pending or unsubscribed mailbox gets a
 * confirmation email, at most one an hour, within the hourly budget; an unsubscribed mailbox
 * becomes pending again (and must confirm). Confirmed and suppressed mailboxes get nothing. The
 * send time is written (conditionally) before sending, so concurrent requests send one message; a
 * send that fails gives the slot back and throws, so the queue tries again.
 */
export async function processConfirmationRequest(
  deps: ConfirmationDeps,
  request: ConfirmationRequest,
): Promise<ConfirmationOutcome> {
  const now = deps.now();
  if (now.getTime() - Date.parse(request.requestedAt) > deps.timing.confirmationMaxWaitMs) return 'dropped';
  const address = normaliseAddress(request.address);
  const mailbox = mailboxOf(address);
  const newId = deps.newId ?? randomId;
  let budgetTaken = false;
  const { claimed, outcome } = await withRetries(mailbox, async () => {
    const at = deps.now().toISOString();
    const stored = await deps.subscribers.get(mailbox);
    const current = stored === undefined || isForgotten(stored, deps.now()) ? undefined : stored;
    if (current?.status === 'confirmed') return { claimed: undefined, outcome: 'already-confirmed' as const };
    if (current?.status === 'suppressed') return { claimed: undefined, outcome: 'suppressed' as const };
    const requestAt = later(request.requestedAt, current?.lastRequestAt);
    const last = current?.lastConfirmationSentAt;
    if (
      current?.status === 'pending' &&
      last !== undefined &&
      Date.parse(last) + deps.timing.confirmationIntervalMs > deps.now().getTime()
    ) {
      // Nothing sent, but the request still counts as the mailbox's latest for forgetting.
      if (current.lastRequestAt === requestAt)
        return { claimed: undefined, outcome: 'rate-limited' as const };
      const touched: Subscriber = {
        ...current,
        version: current.version + 1,
        updatedAt: at,
        lastRequestAt: requestAt,
        forgetAt: forgetAt(deps, requestAt),
      };
      return (await deps.subscribers.replace(touched, current.version))
        ? { claimed: undefined, outcome: 'rate-limited' as const }
        : 'retry';
    }
    if (!budgetTaken) {
      if (!(await deps.takeBudget(deps.now())))
        return { claimed: undefined, outcome: 'over-budget' as const };
      budgetTaken = true;
    }
    if (current === undefined) {
      const created: Subscriber = {
        mailbox,
        address,
        status: 'pending',
        id: newId(),
        version: (stored?.version ?? 0) + 1,
        createdAt: at,
        updatedAt: at,
        lastRequestAt: requestAt,
        forgetAt: forgetAt(deps, requestAt),
        lastConfirmationSentAt: at,
      };
      // A forgotten item not yet swept is overwritten whole: nothing of it survives, not its id.
      const written =
        stored === undefined
          ? await deps.subscribers.create(created)
          : await deps.subscribers.replace(created, stored.version);
      return written
        ? { claimed: { next: created, previous: undefined }, outcome: 'confirmation-sent' as const }
        : 'retry';
    }
    const next: Subscriber = {
      ...current,
      // An unsubscribed mailbox comes back with the spelling of this request.
      ...(current.status === 'unsubscribed' ? { status: 'pending' as const, address } : {}),
      version: current.version + 1,
      updatedAt: at,
      lastRequestAt: requestAt,
      forgetAt: forgetAt(deps, requestAt),
      lastConfirmationSentAt: at,
    };
    return (await deps.subscribers.replace(next, current.version))
      ? { claimed: { next, previous: current }, outcome: 'confirmation-sent' as const }
      : 'retry';
  });
  if (claimed === undefined) return outcome;

  try {
    const key = await deps.secrets.key();
    const link = confirmUrl(
      deps.siteUrl,
      key,
      claimed.next,
      new Date(deps.now().getTime() + deps.timing.confirmLinkMs),
    );
    await deps.sendEmail(
      confirmationEmail({ to: claimed.next.address, confirmUrl: link, siteUrl: deps.siteUrl }),
    );
  } catch (error) {
    await releaseClaim(deps, claimed.next, claimed.previous);
    throw error;
  }
  return outcome;
}

/** Gives back a confirmation slot whose email was not sent; a later write wins over this. */
async function releaseClaim(
  deps: ConfirmationDeps,
  claimed: Subscriber,
  previous: Subscriber | undefined,
): Promise<void> {
  const { lastConfirmationSentAt: _sent, ...rest } = claimed;
  const restored: Subscriber = {
    ...rest,
    ...(previous?.lastConfirmationSentAt === undefined
      ? {}
      : { lastConfirmationSentAt: previous.lastConfirmationSentAt }),
    version: claimed.version + 1,
    updatedAt: deps.now().toISOString(),
  };
  try {
    await deps.subscribers.replace(restored, claimed.version);
  } catch {
    // The send's error is the one to report; this one only costs the reader an hour's wait.
  }
}

/** Why a link was refused, which the page explains. */
export type LinkRefusal =
  /** Forged, altered, cut short, or for another purpose. */
  | 'invalid'
  | 'expired'
  /** Genuine but out of date: the mailbox is no longer known, or has unsubscribed since. */
  | 'superseded'
  /** The address bounced or complained: nothing will be sent to it. */
  | 'suppressed';

export type LinkCheck =
  | { ok: true; claims: TokenClaims; subscriber: Subscriber }
  | { ok: false; refusal: LinkRefusal };

/** Opens a link's token and finds its subscriber, still known and with the same id. */
async function checkLink(deps: LinkDeps, token: string, purpose: TokenPurpose): Promise<LinkCheck> {
  const key = await deps.secrets.key();
  const check = verifyToken(key, token, purpose, Math.floor(deps.now().getTime() / 1000));
  if (!check.ok) return { ok: false, refusal: check.reason === 'expired' ? 'expired' : 'invalid' };
  const subscriber = await known(deps, check.claims.mailbox);
  if (subscriber === undefined || subscriber.id !== check.claims.id)
    return { ok: false, refusal: 'superseded' };
  return { ok: true, claims: check.claims, subscriber };
}

export type LinkPage = { ok: true; address: string } | { ok: false; refusal: LinkRefusal };

/**
 * What the confirmation link's page shows before its button is pressed: the link is checked,
 * nothing is written (mail scanners open links; only the page's POST confirms).
 */
export async function checkConfirmLink(deps: LinkDeps, token: string): Promise<LinkPage> {
  const link = await checkLink(deps, token, 'confirm');
  if (!link.ok) return link;
  if (link.subscriber.status === 'suppressed') return { ok: false, refusal: 'suppressed' };
  if (link.subscriber.status === 'unsubscribed') return { ok: false, refusal: 'superseded' };
  return { ok: true, address: link.subscriber.address };
}

export type ConfirmOutcome =
  | { ok: true; result: 'confirmed' | 'already-confirmed'; address: string }
  | { ok: false; refusal: LinkRefusal };

/** Primary course: a genuine, unexpired link of a known mailbox confirms its pending subscription. */
export async function confirmSubscription(deps: LinkDeps, token: string): Promise<ConfirmOutcome> {
  const first = await checkLink(deps, token, 'confirm');
  if (!first.ok) return first;
  const { mailbox, id } = first.claims;
  return withRetries(mailbox, async (): Promise<ConfirmOutcome | 'retry'> => {
    const current = await known(deps, mailbox);
    if (current === undefined || current.id !== id) return { ok: false, refusal: 'superseded' };
    switch (current.status) {
      case 'confirmed':
        return { ok: true, result: 'already-confirmed', address: current.address };
      case 'unsubscribed':
        return { ok: false, refusal: 'superseded' };
      case 'suppressed':
        return { ok: false, refusal: 'suppressed' };
      case 'pending': {
        const at = deps.now().toISOString();
        const { forgetAt: _forget, ...rest } = current;
        const next: Subscriber = {
          ...rest,
          status: 'confirmed',
          version: current.version + 1,
          updatedAt: at,
          confirmedAt: at,
        };
        return (await deps.subscribers.replace(next, current.version))
          ? { ok: true, result: 'confirmed', address: current.address }
          : 'retry';
      }
    }
  });
}

export type UnsubscribeOutcome =
  | { ok: true; result: 'unsubscribed' | 'already-unsubscribed' | 'suppressed'; address: string }
  | { ok: false; refusal: LinkRefusal };

/**
 * What the unsubscribe page shows before the button is pressed: the link is checked, nothing is
 * written (mail scanners follow links; only a POST unsubscribes).
 */
export async function checkUnsubscribeLink(deps: LinkDeps, token: string): Promise<LinkPage> {
  const link = await checkLink(deps, token, 'unsubscribe');
  return link.ok ? { ok: true, address: link.subscriber.address } : link;
}

/**
 * Primary course: a genuine link of a known mailbox unsubscribes it at once (RFC 8058
 * one-click), however old the email it came in. Unsubscribing twice is fine; a suppressed address
 * stays suppressed (it gets nothing either way).
 */
export async function unsubscribe(deps: LinkDeps, token: string): Promise<UnsubscribeOutcome> {
  const first = await checkLink(deps, token, 'unsubscribe');
  if (!first.ok) return first;
  const { mailbox, id } = first.claims;
  return withRetries(mailbox, async (): Promise<UnsubscribeOutcome | 'retry'> => {
    const current = await known(deps, mailbox);
    if (current === undefined || current.id !== id) return { ok: false, refusal: 'superseded' };
    switch (current.status) {
      case 'unsubscribed':
        return { ok: true, result: 'already-unsubscribed', address: current.address };
      case 'suppressed':
        return { ok: true, result: 'suppressed', address: current.address };
      case 'pending':
      case 'confirmed': {
        const at = deps.now().toISOString();
        const { forgetAt: _forget, ...rest } = current;
        const next: Subscriber = {
          ...rest,
          status: 'unsubscribed',
          version: current.version + 1,
          updatedAt: at,
          unsubscribedAt: at,
        };
        return (await deps.subscribers.replace(next, current.version))
          ? { ok: true, result: 'unsubscribed', address: current.address }
          : 'retry';
      }
    }
  });
}

export interface SuppressionDeps {
  readonly subscribers: SubscriberStore;
  readonly now: () => Date;
  /** @default 16 random bytes, base64url */
  readonly newId?: () => string;
}

/**
 * Primary course: SES reported a permanent bounce or a complaint for `rawAddress`; its mailbox is
 * suppressed for good (known or not, so that a later subscribe sends nothing). A complaint
 * outranks a bounce as the reason; the first suppression time is kept.
 */
export async function suppress(
  deps: SuppressionDeps,
  rawAddress: string,
  reason: SuppressionReason,
): Promise<'suppressed' | 'unchanged'> {
  const address = normaliseAddress(rawAddress);
  const mailbox = mailboxOf(address);
  const newId = deps.newId ?? randomId;
  return withRetries(mailbox, async (): Promise<'suppressed' | 'unchanged' | 'retry'> => {
    const at = deps.now().toISOString();
    const current = await deps.subscribers.get(mailbox);
    if (current === undefined) {
      const created: Subscriber = {
        mailbox,
        address,
        status: 'suppressed',
        id: newId(),
        version: 1,
        createdAt: at,
        updatedAt: at,
        lastRequestAt: at,
        suppressedAt: at,
        suppressionReason: reason,
      };
      return (await deps.subscribers.create(created)) ? 'suppressed' : 'retry';
    }
    if (
      current.status === 'suppressed' &&
      (current.suppressionReason === reason || current.suppressionReason === 'complaint')
    ) {
      return 'unchanged';
    }
    const { forgetAt: _forget, ...rest } = current;
    const next: Subscriber = {
      ...rest,
      status: 'suppressed',
      version: current.version + 1,
      updatedAt: at,
      suppressedAt: current.status === 'suppressed' ? (current.suppressedAt ?? at) : at,
      suppressionReason: reason,
    };
    return (await deps.subscribers.replace(next, current.version)) ? 'suppressed' : 'retry';
  });
}

/** Deletes up to `limit` forgotten mailboxes (pending past `forgetAt`); answers how many went. */
export async function sweepForgotten(
  deps: { readonly subscribers: SubscriberStore; readonly now: () => Date },
  limit = 500,
): Promise<number> {
  let deleted = 0;
  for (const entry of await deps.subscribers.listForgotten(deps.now(), limit)) {
    // A request since the listing moved its forgetAt and version: then it is not deleted.
    if (await deps.subscribers.deletePending(entry.mailbox, entry.version)) deleted += 1;
  }
  return deleted;
}
