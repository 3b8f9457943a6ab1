import * as z from 'zod/mini';
import '#core/zod-messages';
import { isTimeZone } from '#core/reporting-week';
import { REVIEW_MODES } from '#core/review/draft';
import { checkAddress } from '#core/subscriptions/email-address';
import { DEFAULT_TIME_ZONE, readEnvironment } from './env';

/**
 * Each function's own variables, besides its tables (each store reads the variable its table
 * definition names). CDK sets them through the `bind*` helpers of `lib/constructs/function.ts`;
 * the local stack sets the same names.
 */

const timeZone = z._default(
  z.string().check(z.refine(isTimeZone, { message: 'is not an IANA time zone (e.g. America/New_York)' })),
  DEFAULT_TIME_ZONE,
);

/** The site's base URL for links in pages and emails: http(s), no query or fragment. */
const siteUrl = z.string().check(
  z.refine(
    (value) => {
      try {
        const url = new URL(value);
        return (
          (url.protocol === 'https:' || url.protocol === 'http:') && url.search === '' && url.hash === ''
        );
      } catch {
        return false;
      }
    },
    { message: 'must be an http(s) URL with no query or fragment' },
  ),
);

const url = z.url({ message: 'must be a URL' });
const flag = z._default(z.enum(['true', 'false'], { message: 'must be true or false' }), 'false');
const positive = z.coerce
  .number({ message: 'must be a number' })
  .check(z.positive({ message: 'must be above 0' }));

/** Where the subscription secret is (`secretSource` in `lambdas/adapters/secret-source.ts`): Secrets Manager deployed, a file (mode 0600) locally. */
export const secretEnvironment = {
  SUBSCRIPTION_SECRET_ARN: z.optional(z.string()),
  SUBSCRIPTION_SECRET_FILE: z.optional(z.string()),
};

/** Read by the mailer (`lambdas/adapters/mailer.ts`) of every function that sends. */
export const mailEnvironment = z.object({
  /** The sender, e.g. `Declined Detainer Outcome Report <reports@example.org>`: a verified SES identity. */
  MAIL_FROM: z.string().check(z.minLength(3)),
  /** The configuration set that publishes bounces and complaints to SNS (optional locally). */
  MAIL_CONFIGURATION_SET: z.optional(z.string()),
});

/** The hourly monitor: which week the schedule was due to publish is a date in the report's zone. */
export const monitorEnvironment = z.object({ REPORT_TIME_ZONE: timeZone });

export const intakeEnvironment = z.object({
  REPORT_TIME_ZONE: timeZone,
  /** The editors' desk (contract §3): draft pages link the site and load its stylesheet. */
  SITE_URL: siteUrl,
  /** The drafts' files the publisher keeps (read only, under `editions/*\/review/`). */
  DATA_BUCKET: z.string().check(z.minLength(3)),
  /** An editor's approval queues the week's publication here. */
  PUBLISH_QUEUE_URL: url,
  /** Who is emailed when a dispute is opened (contract §2); unset, nobody is (review off, no editors). */
  EDITOR_EMAILS: z.optional(z.string().check(z.maxLength(4000))),
});

export const reportEnvironment = z.object({ REPORT_TIME_ZONE: timeZone, PUBLISH_QUEUE_URL: url });

/**
 * LOCAL_TIME_SCALE (contract §1), set by the local stack only: the subscription flow's windows
 * and lifetimes shrink by it. Never set deployed (1).
 */
const timeScale = z._default(
  z.coerce
    .number({ message: 'must be a number' })
    .check(z.positive({ message: 'must be above 0' }), z.maximum(1, { message: 'must be at most 1' })),
  1,
);

/** Editorial review (contract §3): `window` publishes a draft when its window ends unless held. */
const reviewMode = z._default(z.enum(REVIEW_MODES, { message: 'must be window, required or off' }), 'window');

export const publisherEnvironment = z.object({
  REPORT_TIME_ZONE: timeZone,
  SITE_URL: siteUrl,
  SITE_BUCKET: z.string(),
  DATA_BUCKET: z.string(),
  /** Set by the local stack only: every page, email and report.json then says the data is synthetic. */
  SYNTHETIC_DATA: flag,
  /**
   * The publisher's contact (CDK context `contactLine`, always bound deployed and locally); the
   * default only shows where the function runs outside the app, and says what is missing.
   */
  CONTACT_LINE: z._default(
    z.string().check(z.minLength(1)),
    'no contact line is configured (CDK context contactLine)',
  ),
  /** The intake API's base URL, shown in Section IV's dispute instructions. */
  API_URL: z.optional(z.string()),
  /** Unset: the publisher sends no email (a site-only deployment or test). */
  SEND_QUEUE_URL: z.optional(url),
  /** Unset locally: there is no CloudFront to invalidate. */
  DISTRIBUTION_ID: z.optional(z.string()),
  /** Its own queue: the week to email is queued again, delayed, while the run's re-issues go first. */
  PUBLISH_QUEUE_URL: z.optional(url),
  /** Deployed: context `reviewMode`; locally REVIEW_MODE. */
  REVIEW_MODE: reviewMode,
  /** Hours after the draft is made that it publishes under `window` (context `reviewWindowHours`). */
  REVIEW_WINDOW_HOURS: z._default(positive, 3),
  /**
   * Who is emailed each run's drafts and every dispute opened (contract §3): addresses separated
   * by commas. Deployed: the SSM parameter the `editorEmails` context names; required unless
   * REVIEW_MODE is off (checked where it is read, `editorAddresses`).
   */
  EDITOR_EMAILS: z.optional(z.string().check(z.maxLength(4000))),
  LOCAL_TIME_SCALE: timeScale,
});

/**
 * EDITOR_EMAILS as addresses, each checked as subscribers' are: a bad one fails the function at
 * its start with the variable's name, never a send to half the editors.
 */
export function editorAddresses(value: string | undefined): string[] {
  const addresses = (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (addresses.length === 0) {
    throw new Error('EDITOR_EMAILS is required unless REVIEW_MODE is off: who reviews the drafts');
  }
  for (const address of addresses) {
    const check = checkAddress(address);
    if (!check.ok) throw new Error(`EDITOR_EMAILS: ${address} is not an email address (${check.reason})`);
  }
  if (addresses.length > 50) throw new Error('EDITOR_EMAILS names more than 50 addresses');
  return addresses;
}

export const senderEnvironment = z.object({
  SITE_URL: siteUrl,
  DATA_BUCKET: z.string(),
  /** The account's send rate, with headroom, shared by the sender's concurrent containers. */
  SEND_RATE_PER_SECOND: z._default(positive, 10),
  /** Containers sending at once; each takes its share of the rate. Locally one process runs them all. */
  SEND_CONCURRENCY: z._default(positive, 1),
  /** Its own queue: a deferred batch (throttled, at the quota, sending paused) is queued again. */
  SEND_QUEUE_URL: z.optional(url),
  ...secretEnvironment,
});

/** Where the origin secret is: the value CloudFront adds to each request for the subscription endpoints. */
export const originSecretEnvironment = {
  ORIGIN_SECRET_ARN: z.optional(z.string()),
  ORIGIN_SECRET_FILE: z.optional(z.string()),
};

const wholeNumber = z.coerce
  .number({ message: 'must be a number' })
  .check(z.refine(Number.isSafeInteger, { message: 'must be a whole number' }));

/** The subscribe and confirm endpoints: they queue, and count each source (contract §5). */
export const subscriptionsEnvironment = z.object({
  CONFIRMATION_QUEUE_URL: url,
  /** Requests per source per 600 s (deployed: context `subscribeSourceLimit`). */
  SUBSCRIBE_SOURCE_LIMIT: z._default(wholeNumber.check(z.minimum(1, { message: 'must be at least 1' })), 10),
  LOCAL_TIME_SCALE: timeScale,
  ...secretEnvironment,
  ...originSecretEnvironment,
});

/** The unsubscribe endpoint: its own function, so no other subscription traffic can throttle it. */
export const unsubscribeEnvironment = z.object({
  LOCAL_TIME_SCALE: timeScale,
  ...secretEnvironment,
  ...originSecretEnvironment,
});

/** The confirmation worker: mails confirmations from its queue within the hourly budget. */
export const confirmationsEnvironment = z.object({
  SITE_URL: siteUrl,
  /** Its own queue: a request waiting for budget is queued again, delayed. */
  CONFIRMATION_QUEUE_URL: url,
  /** Confirmations per hour (deployed: context `confirmationHourlyBudget`). */
  CONFIRMATION_HOURLY_BUDGET: z._default(
    wholeNumber.check(z.minimum(1, { message: 'must be at least 1' })),
    500,
  ),
  LOCAL_TIME_SCALE: timeScale,
  ...secretEnvironment,
});

export type PublisherEnvironment = z.infer<typeof publisherEnvironment>;
export type SenderEnvironment = z.infer<typeof senderEnvironment>;
export type SubscriptionsEnvironment = z.infer<typeof subscriptionsEnvironment>;
export type ConfirmationsEnvironment = z.infer<typeof confirmationsEnvironment>;

export { readEnvironment };
