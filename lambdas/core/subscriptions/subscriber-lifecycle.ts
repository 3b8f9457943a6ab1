import { randomBytes } from 'node:crypto';
import { ValidationError } from '#core/errors';
import type { SendEmail } from '#core/mail/outgoing-email';
import { checkAddress, normaliseAddress } from './email-address';
import { confirmUrl } from './links';
import { confirmationEmail } from './messages';
import type { SecretSource, Subscriber, SubscriberStore, SuppressionReason } from './subscribers';
import { type TokenClaims, type TokenPurpose, verifyToken } from './tokens';

/**
 * The subscription use cases of CONTRACT.md section 5. Every write is a read, a decision and a
 * write conditional on the version read; a lost race re-reads and decides again, so two
 * concurrent requests never both send a confirmation.
 */
export interface SubscriptionDeps {
  readonly subscribers: SubscriberStore;
  readonly secrets: SecretSource;
  readonly sendEmail: SendEmail;
  /** The site's base URL, for the links in emails. */
  readonly siteUrl: string;
  readonly now: () => Date;
  /** @default 16 random bytes, base64url */
  readonly newNonce?: () => string;
}

/** At most one confirmation email per address in this interval. */
export const CONFIRMATION_INTERVAL_MS = 60 * 60 * 1000;

/** More conditional-write attempts than this means something is wrong: give up (a 500). */
const MAX_ATTEMPTS = 5;

export function randomNonce(): string {
  return randomBytes(16).toString('base64url');
}

class ConcurrentUpdateError extends Error {
  constructor(address: string) {
    // The address is personal data: the log gets its length, not the address.
    super(`subscriber kept changing under ${MAX_ATTEMPTS} attempts (address of ${address.length} chars)`);
    this.name = 'ConcurrentUpdateError';
  }
}

/** Retries `attempt` while it answers 'retry' (another write came first). */
async function withRetries<T>(address: string, attempt: () => Promise<T | 'retry'>): Promise<T> {
  for (let i = 0; i < MAX_ATTEMPTS; i += 1) {
    const result = await attempt();
    if (result !== 'retry') return result;
  }
  throw new ConcurrentUpdateError(address);
}

/** What happened, for logs and tests only: the HTTP answer is 202 in every case (no probing). */
export type SubscribeOutcome = 'confirmation-sent' | 'rate-limited' | 'already-confirmed' | 'suppressed';

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

function plusMs(instant: string, ms: number): number {
  return Date.parse(instant) + ms;
}

/**
 * Primary course: a new, pending or unsubscribed address gets a confirmation email, unless one
 * went to it in the last hour; an unsubscribed address becomes pending with a new nonce (its old
 * links stop working and it must confirm again). Confirmed and suppressed addresses get nothing.
 * The send time is written (conditionally) before sending, so concurrent calls send one message;
 * a send that fails gives the slot back so the reader can try again at once.
 */
export async function subscribe(deps: SubscriptionDeps, rawAddress: string): Promise<SubscribeOutcome> {
  const address = normaliseAddress(rawAddress);
  const newNonce = deps.newNonce ?? randomNonce;
  const { claimed, outcome } = await withRetries(address, async () => {
    const now = deps.now();
    const at = now.toISOString();
    const current = await deps.subscribers.get(address);
    if (current === undefined) {
      const created: Subscriber = {
        address,
        status: 'pending',
        nonce: newNonce(),
        version: 1,
        createdAt: at,
        updatedAt: at,
        lastConfirmationSentAt: at,
      };
      return (await deps.subscribers.create(created))
        ? { claimed: { next: created, previous: undefined }, outcome: 'confirmation-sent' as const }
        : 'retry';
    }
    if (current.status === 'confirmed') return { claimed: undefined, outcome: 'already-confirmed' as const };
    if (current.status === 'suppressed') return { claimed: undefined, outcome: 'suppressed' as const };
    const last = current.lastConfirmationSentAt;
    if (last !== undefined && plusMs(last, CONFIRMATION_INTERVAL_MS) > now.getTime()) {
      return { claimed: undefined, outcome: 'rate-limited' as const };
    }
    const next: Subscriber = {
      ...current,
      ...(current.status === 'unsubscribed' ? { status: 'pending' as const, nonce: newNonce() } : {}),
      version: current.version + 1,
      updatedAt: at,
      lastConfirmationSentAt: at,
    };
    return (await deps.subscribers.replace(next, current.version))
      ? { claimed: { next, previous: current }, outcome: 'confirmation-sent' as const }
      : 'retry';
  });
  if (claimed === undefined) return outcome;

  try {
    const key = await deps.secrets.key();
    const link = confirmUrl(deps.siteUrl, key, claimed.next, deps.now());
    await deps.sendEmail(confirmationEmail({ to: address, confirmUrl: link, siteUrl: deps.siteUrl }));
  } catch (error) {
    await releaseClaim(deps, claimed.next, claimed.previous);
    throw error;
  }
  return outcome;
}

/** Gives back a confirmation slot whose email was not sent; a later write wins over this. */
async function releaseClaim(
  deps: SubscriptionDeps,
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
  } catch (error) {
    // The send's error is the one to report; this one only costs the reader an hour's wait.
    console.error(
      JSON.stringify({
        level: 'WARN',
        message: 'could not release a confirmation slot after a failed send',
        error: error instanceof Error ? error.name : String(error),
      }),
    );
  }
}

/** Why a link was refused, which the page explains. */
export type LinkRefusal =
  /** Forged, altered, cut short, or for another purpose. */
  | 'invalid'
  | 'expired'
  /** Genuine but out of date: the subscriber has a newer nonce, or has unsubscribed since. */
  | 'superseded'
  /** The address bounced or complained: nothing will be sent to it. */
  | 'suppressed';

export type LinkCheck = { ok: true; claims: TokenClaims } | { ok: false; refusal: LinkRefusal };

async function checkLink(deps: SubscriptionDeps, token: string, purpose: TokenPurpose): Promise<LinkCheck> {
  const key = await deps.secrets.key();
  const check = verifyToken(key, token, purpose, Math.floor(deps.now().getTime() / 1000));
  if (!check.ok) return { ok: false, refusal: check.reason === 'expired' ? 'expired' : 'invalid' };
  return { ok: true, claims: check.claims };
}

export type ConfirmOutcome =
  | { ok: true; result: 'confirmed' | 'already-confirmed'; address: string }
  | { ok: false; refusal: LinkRefusal };

/** Primary course: a genuine, unexpired link for the current nonce confirms a pending subscriber. */
export async function confirmSubscription(deps: SubscriptionDeps, token: string): Promise<ConfirmOutcome> {
  const link = await checkLink(deps, token, 'confirm');
  if (!link.ok) return link;
  const { address, nonce } = link.claims;
  return withRetries(address, async (): Promise<ConfirmOutcome | 'retry'> => {
    const current = await deps.subscribers.get(address);
    if (current === undefined || current.nonce !== nonce) return { ok: false, refusal: 'superseded' };
    switch (current.status) {
      case 'confirmed':
        return { ok: true, result: 'already-confirmed', address };
      case 'unsubscribed':
        return { ok: false, refusal: 'superseded' };
      case 'suppressed':
        return { ok: false, refusal: 'suppressed' };
      case 'pending': {
        const at = deps.now().toISOString();
        const next: Subscriber = {
          ...current,
          status: 'confirmed',
          version: current.version + 1,
          updatedAt: at,
          confirmedAt: at,
        };
        return (await deps.subscribers.replace(next, current.version))
          ? { ok: true, result: 'confirmed', address }
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
export async function checkUnsubscribeLink(
  deps: SubscriptionDeps,
  token: string,
): Promise<{ ok: true; address: string } | { ok: false; refusal: LinkRefusal }> {
  const link = await checkLink(deps, token, 'unsubscribe');
  if (!link.ok) return link;
  const current = await deps.subscribers.get(link.claims.address);
  if (current === undefined || current.nonce !== link.claims.nonce)
    return { ok: false, refusal: 'superseded' };
  return { ok: true, address: current.address };
}

/**
 * Primary course: a genuine link for the current nonce unsubscribes a pending or confirmed
 * subscriber at once (RFC 8058 one-click). Unsubscribing twice is fine; a suppressed address stays
 * suppressed (it gets nothing either way).
 */
export async function unsubscribe(deps: SubscriptionDeps, token: string): Promise<UnsubscribeOutcome> {
  const link = await checkLink(deps, token, 'unsubscribe');
  if (!link.ok) return link;
  const { address, nonce } = link.claims;
  return withRetries(address, async (): Promise<UnsubscribeOutcome | 'retry'> => {
    const current = await deps.subscribers.get(address);
    if (current === undefined || current.nonce !== nonce) return { ok: false, refusal: 'superseded' };
    switch (current.status) {
      case 'unsubscribed':
        return { ok: true, result: 'already-unsubscribed', address };
      case 'suppressed':
        return { ok: true, result: 'suppressed', address };
      case 'pending':
      case 'confirmed': {
        const at = deps.now().toISOString();
        const next: Subscriber = {
          ...current,
          status: 'unsubscribed',
          version: current.version + 1,
          updatedAt: at,
          unsubscribedAt: at,
        };
        return (await deps.subscribers.replace(next, current.version))
          ? { ok: true, result: 'unsubscribed', address }
          : 'retry';
      }
    }
  });
}

export interface SuppressionDeps {
  readonly subscribers: SubscriberStore;
  readonly now: () => Date;
  /** @default 16 random bytes, base64url */
  readonly newNonce?: () => string;
}

/**
 * Primary course: SES reported a permanent bounce or a complaint for `rawAddress`; the address is
 * suppressed for good (known or not, so that a later subscribe sends nothing). A complaint
 * outranks a bounce as the reason; the first suppression time is kept.
 */
export async function suppress(
  deps: SuppressionDeps,
  rawAddress: string,
  reason: SuppressionReason,
): Promise<'suppressed' | 'unchanged'> {
  const address = normaliseAddress(rawAddress);
  const newNonce = deps.newNonce ?? randomNonce;
  return withRetries(address, async (): Promise<'suppressed' | 'unchanged' | 'retry'> => {
    const at = deps.now().toISOString();
    const current = await deps.subscribers.get(address);
    if (current === undefined) {
      const created: Subscriber = {
        address,
        status: 'suppressed',
        nonce: newNonce(),
        version: 1,
        createdAt: at,
        updatedAt: at,
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
    const next: Subscriber = {
      ...current,
      status: 'suppressed',
      version: current.version + 1,
      updatedAt: at,
      suppressedAt: current.status === 'suppressed' ? (current.suppressedAt ?? at) : at,
      suppressionReason: reason,
    };
    return (await deps.subscribers.replace(next, current.version)) ? 'suppressed' : 'retry';
  });
}
