import type { Subscriber } from './subscribers';
import { signToken } from './tokens';

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

/** The confirmation link of a pending subscriber, working until `expiresAt`. */
export function confirmUrl(
  siteUrl: string,
  key: Uint8Array,
  subscriber: Pick<Subscriber, 'mailbox' | 'id'>,
  expiresAt: Date,
): string {
  return withToken(
    siteUrl,
    CONFIRM_PATH,
    signToken(key, {
      purpose: 'confirm',
      mailbox: subscriber.mailbox,
      id: subscriber.id,
      expiresAt: Math.floor(expiresAt.getTime() / 1000),
    }),
  );
}

/**
 * The unsubscribe link of a subscriber: a GET shows a page with a button, a POST (RFC 8058
 * one-click) unsubscribes at once. It never expires: it works for as long as the mailbox is known.
 */
export function unsubscribeUrl(
  siteUrl: string,
  key: Uint8Array,
  subscriber: Pick<Subscriber, 'mailbox' | 'id'>,
): string {
  return withToken(
    siteUrl,
    UNSUBSCRIBE_PATH,
    signToken(key, { purpose: 'unsubscribe', mailbox: subscriber.mailbox, id: subscriber.id }),
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
