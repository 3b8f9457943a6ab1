import { join } from 'node:path';

/** The sender of local mail (the local SES server accepts any). */
export const LOCAL_MAIL_FROM = 'Declined Detainer Outcome Report <reports@ddor.local>';

/** Where the local stack keeps the subscription tokens' HMAC key (made on first use, mode 0600). */
export function subscriptionSecretPath(dataDir: string): string {
  return join(dataDir, 'subscription-secret');
}

/**
 * What the subscription and mail functions read besides tables and endpoints, locally: links
 * point at the gateway, mail comes from a local sender, the token key is a file in DATA_DIR
 * (deployed: SITE_URL is the CloudFront URL and SUBSCRIPTION_SECRET_ARN names the secret).
 */
export function subscriptionEnvironment(source: {
  readonly gateway: string;
  readonly dataDir: string;
}): Record<string, string> {
  return {
    SITE_URL: source.gateway,
    MAIL_FROM: LOCAL_MAIL_FROM,
    SUBSCRIPTION_SECRET_FILE: subscriptionSecretPath(source.dataDir),
    // Only fictional demo and test data is ever loaded locally: every rendering says "synthetic".
    SYNTHETIC_DATA: 'true',
    // One process runs every sender invocation locally, so they share one rate limiter.
    SEND_CONCURRENCY: '1',
    SEND_RATE_PER_SECOND: process.env.SEND_RATE_PER_SECOND ?? '50',
  };
}
