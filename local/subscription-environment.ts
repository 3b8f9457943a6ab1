import { join } from 'node:path';
import { REVIEW_MODES, type ReviewMode } from '#core/review/draft';
import { LOCAL_ORIGIN_SECRET_ARN, LOCAL_SECRET_ARN } from './secrets';

/** The local SES configuration set's name (the local SES server records it with each message). */
export const LOCAL_CONFIGURATION_SET = 'ddor-local';

/** Where the local stack keeps the subscription tokens' HMAC key (made on first use, mode 0600). */
export function subscriptionSecretPath(dataDir: string): string {
  return join(dataDir, 'subscription-secret');
}

/** Where the local stack keeps the origin secret, which its gateway adds as CloudFront does. */
export function originSecretPath(dataDir: string): string {
  return join(dataDir, 'origin-secret');
}

/**
 * The local values of what the template names by reference, besides tables, buckets and queues:
 * links point at the gateway (deployed: the CloudFront URL), the secret is the Secrets Manager
 * stand-in's (its text a file in DATA_DIR), the invalidations go to the CDN stand-in.
 */
export function siteEnvironment(source: { readonly gateway: string }): Record<string, string> {
  return {
    SITE_URL: source.gateway,
    API_URL: `${source.gateway}/`,
    SUBSCRIPTION_SECRET_ARN: LOCAL_SECRET_ARN,
    ORIGIN_SECRET_ARN: LOCAL_ORIGIN_SECRET_ARN,
    MAIL_CONFIGURATION_SET: LOCAL_CONFIGURATION_SET,
  };
}

/** Editorial review's local settings (contract §1): REVIEW_MODE and REVIEW_WINDOW_HOURS. */
export interface LocalReview {
  readonly mode?: ReviewMode;
  readonly windowHours?: number;
}

/**
 * REVIEW_MODE and REVIEW_WINDOW_HOURS as given (an option first, then the variable), checked here
 * so that `npm start` refuses a bad value with its name instead of a publisher that cannot start.
 * Unset, the template's values stand (window, 3 hours).
 */
export function localReview(given: LocalReview = {}): Record<string, string> {
  const mode = given.mode ?? process.env.REVIEW_MODE;
  if (mode !== undefined && mode !== '' && !(REVIEW_MODES as readonly string[]).includes(mode)) {
    throw new Error(`REVIEW_MODE must be one of ${REVIEW_MODES.join(', ')}, not ${JSON.stringify(mode)}`);
  }
  const hours = given.windowHours ?? process.env.REVIEW_WINDOW_HOURS;
  if (hours !== undefined && hours !== '' && !(Number(hours) > 0)) {
    throw new Error(
      `REVIEW_WINDOW_HOURS must be a positive number of hours (fractions allowed), not ${hours}`,
    );
  }
  return {
    ...(mode === undefined || mode === '' ? {} : { REVIEW_MODE: mode }),
    ...(hours === undefined || hours === '' ? {} : { REVIEW_WINDOW_HOURS: String(hours) }),
  };
}

/**
 * What the local functions take otherwise than the template says, and why: only fictional demo
 * and test data is ever loaded locally, so every rendering says "synthetic"; the send rate is
 * the local SES server's, settable for tests and benchmarks; the per-source limit is contract
 * §1's SUBSCRIBE_SOURCE_LIMIT; LOCAL_TIME_SCALE shrinks the subscription flow's windows and the
 * review window; REVIEW_MODE, REVIEW_WINDOW_HOURS and EDITOR_EMAILS are contract §1's (the
 * template's dev value of EDITOR_EMAILS is editors@example.org).
 */
export function localOverrides(timeScale = 1, review: LocalReview = {}): Record<string, string> {
  return {
    ...localReview(review),
    // Contract §1: the editors' mail lands in the local mailbox like every other.
    ...(process.env.EDITOR_EMAILS ? { EDITOR_EMAILS: process.env.EDITOR_EMAILS } : {}),
    SYNTHETIC_DATA: 'true',
    SEND_RATE_PER_SECOND: process.env.SEND_RATE_PER_SECOND ?? '50',
    ...(process.env.SUBSCRIBE_SOURCE_LIMIT === undefined
      ? {}
      : { SUBSCRIBE_SOURCE_LIMIT: process.env.SUBSCRIBE_SOURCE_LIMIT }),
    ...(timeScale === 1 ? {} : { LOCAL_TIME_SCALE: String(timeScale) }),
  };
}
