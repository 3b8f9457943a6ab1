import { join } from 'node:path';
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

/**
 * What the local functions take otherwise than the template says, and why: only fictional demo
 * and test data is ever loaded locally, so every rendering says "synthetic"; the send rate is
 * the local SES server's, settable for tests and benchmarks; the per-source limit is contract
 * §1's SUBSCRIBE_SOURCE_LIMIT; LOCAL_TIME_SCALE shrinks the subscription flow's windows.
 */
export function localOverrides(timeScale = 1): Record<string, string> {
  return {
    SYNTHETIC_DATA: 'true',
    SEND_RATE_PER_SECOND: process.env.SEND_RATE_PER_SECOND ?? '50',
    ...(process.env.SUBSCRIBE_SOURCE_LIMIT === undefined
      ? {}
      : { SUBSCRIBE_SOURCE_LIMIT: process.env.SUBSCRIBE_SOURCE_LIMIT }),
    ...(timeScale === 1 ? {} : { LOCAL_TIME_SCALE: String(timeScale) }),
  };
}
