import type { Subscriber } from './subscribers';
import { CONFIRM_TOKEN_TTL_SECONDS, signToken } from './tokens';

/**
 * The links in subscription and edition emails. `siteUrl` is the site's base URL (SITE_URL: the
 * CloudFront URL deployed, the gateway locally), which also serves the subscription endpoints.
 */

export const SUBSCRIBE_PATH = '/subscriptions';
export const CONFIRM_PATH = '/subscriptions/confirm';
export const UNSUBSCRIBE_PATH = '/subscriptions/unsubscribe';

function withToken(siteUrl: string, path: string, token: string): string {
  return `${siteUrl.replace(/\/+$/, '')}${path}?token=${encodeURIComponent(token)}`;
}

/** The confirmation link for a pending subscriber: works for CONFIRM_TOKEN_TTL_SECONDS from `now`. */
export function confirmUrl(
  siteUrl: string,
  key: Uint8Array,
  subscriber: Pick<Subscriber, 'address' | 'nonce'>,
  now: Date,
): string {
  const expiresAt = Math.floor(now.getTime() / 1000) + CONFIRM_TOKEN_TTL_SECONDS;
  return withToken(
    siteUrl,
    CONFIRM_PATH,
    signToken(key, { purpose: 'confirm', address: subscriber.address, nonce: subscriber.nonce, expiresAt }),
  );
}

/**
 * The unsubscribe link for a subscriber: a GET shows a page with a button, a POST (RFC 8058
 * one-click) unsubscribes at once. It never expires; it stops working only when the subscriber's
 * nonce is replaced (they subscribed again).
 */
export function unsubscribeUrl(
  siteUrl: string,
  key: Uint8Array,
  subscriber: Pick<Subscriber, 'address' | 'nonce'>,
): string {
  return withToken(
    siteUrl,
    UNSUBSCRIBE_PATH,
    signToken(key, { purpose: 'unsubscribe', address: subscriber.address, nonce: subscriber.nonce }),
  );
}

/**
 * The RFC 2369 / RFC 8058 headers for a list message: `List-Unsubscribe` with the one-click URL
 * (and a `mailto:` only where an inbound address is configured) and `List-Unsubscribe-Post`.
 */
export function listUnsubscribeHeaders(oneClickUrl: string, mailto?: string): Record<string, string> {
  const targets = [`<${oneClickUrl}>`, ...(mailto === undefined ? [] : [`<mailto:${mailto}>`])];
  return {
    'List-Unsubscribe': targets.join(', '),
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}
