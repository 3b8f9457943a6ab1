import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { z } from 'zod';
import { DEFAULT_TIME_ZONE } from '#config/env';
import { FUNCTIONS } from '#config/runtime';
import { paceProblem } from '#core/mail/send-pace';
import { isTimeZone } from '#core/reporting-week';
import { REVIEW_MODES, type ReviewMode } from '#core/review/draft';
import { checkAddress } from '#core/subscriptions/email-address';

/** The one typed configuration of a deployment, read from CDK context (`cdk synth -c key=value`). */
export interface AppConfig {
  /** Names the stacks, so several stages can live in one account. */
  readonly stage: string;
  /** IANA time zone that decides what "today" is for the report (latest week, schedule, defaults). */
  readonly reportTimeZone: string;
  /** The intake API's stage throttling; over it, the gateway answers 429. */
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  /** How long function and access logs are kept. */
  readonly logRetention: RetentionDays;
  /** The edition and subscription mail. */
  readonly mail: MailConfig;
  /** Contract §5's limits on what strangers can make the service do. */
  readonly subscriptions: SubscriptionLimits;
  /**
   * The publisher's own words (context `contactLine`): where readers and the jurisdictions named
   * write, shown in every page's footer, in Section II's "Disputing a row" and in every email (bulk
   * mail must carry the sender's postal address). Required outside `dev`.
   */
  readonly contactLine: string;
  /**
   * Editorial review (contract §3): the schedule's editions are drafts first under `window` (they
   * publish `windowHours` after the draft unless held) and `required` (only when approved); `off`
   * publishes at once. Contexts `reviewMode` and `reviewWindowHours`; `editorEmails` names the SSM
   * parameter that lists the editors (required outside `dev` unless the mode is `off`; in `dev`
   * without it the fictional editors@example.org stands).
   */
  readonly review: {
    readonly mode: ReviewMode;
    readonly windowHours: number;
    readonly editorEmailsParameter?: string;
  };
  /** Who is emailed when an alarm fires (context `alarmEmail`); required outside `dev`. */
  readonly alarmEmail?: string;
  /** Outside `dev` the stateful stack cannot be deleted by accident (termination protection). */
  readonly protectStatefulStack: boolean;
}

export interface SubscriptionLimits {
  /** Subscribe and confirm requests per source (viewer address, IPv6 per /64) in any 600 s. */
  readonly sourceLimit: number;
  /** Confirmation emails per hour, all sources together. */
  readonly hourlyBudget: number;
}

/** Who mail comes from and how fast it goes out. */
export interface MailConfig {
  /** The sender address (`MAIL_FROM`), on `domain` or one of its subdomains. */
  readonly from: string;
  /** The SES domain identity mail is sent from (DKIM-signed; DNS records to publish once deployed). */
  readonly domain: string;
  /**
   * The custom MAIL FROM (envelope sender) domain, a subdomain of `domain`: with it the SPF check
   * passes for a domain aligned with the From address, so DMARC rests on SPF and DKIM both.
   */
  readonly mailFromDomain: string;
  /**
   * Messages per second for the whole send queue: the account's SES maximum send rate with
   * headroom. Each sender invocation takes its share (`sendRatePerSecond / sendConcurrency`).
   */
  readonly sendRatePerSecond: number;
  /** Sender invocations in flight at once (the send queue's event source maximum concurrency). */
  readonly sendConcurrency: number;
}

/** The context keys, as given in cdk.json or with `-c`. */
export const CONTEXT_KEYS = {
  stage: 'stage',
  reportTimeZone: 'reportTimeZone',
  rateLimit: 'throttleRateLimit',
  burstLimit: 'throttleBurstLimit',
  logRetentionDays: 'logRetentionDays',
  mailFrom: 'mailFrom',
  mailDomain: 'mailDomain',
  mailFromDomain: 'mailFromDomain',
  sendRatePerSecond: 'sendRatePerSecond',
  sendConcurrency: 'sendConcurrency',
  subscribeSourceLimit: 'subscribeSourceLimit',
  confirmationHourlyBudget: 'confirmationHourlyBudget',
  alarmEmail: 'alarmEmail',
  contactLine: 'contactLine',
  reviewMode: 'reviewMode',
  reviewWindowHours: 'reviewWindowHours',
  editorEmails: 'editorEmails',
} as const;

export const CONFIG_DEFAULTS = {
  stage: 'dev',
  reportTimeZone: DEFAULT_TIME_ZONE,
  // Far above a loader's pace (100 records a call) and far below the account's limits, so a
  // runaway client cannot spend the account's Lambda concurrency.
  rateLimit: 50,
  burstLimit: 100,
  // A quarter: long enough to look into a disputed week after the fact, short enough to stay cheap.
  logRetentionDays: RetentionDays.THREE_MONTHS,
  // Placeholders that synthesize anywhere; a real deployment sets its own verified domain.
  mailFrom: 'reports@example.org',
  mailDomain: 'example.org',
  // Well under the usual production SES rate (14/s at first), leaving room for confirmations.
  sendRatePerSecond: 10,
  // Two senders keep a 10/s budget busy while one waits on SES; each takes half the rate.
  sendConcurrency: 2,
  // Fictional, and says what to set: the dev stage and the local stack show it.
  contactLine: 'Synthetic Report Desk, 1 Example Plaza, Springfield ZZ 00000 (set the contactLine context)',
  // Contract §3: a Monday-morning editor has three hours to look before the schedule publishes.
  reviewMode: 'window',
  reviewWindowHours: 3,
  // Contract §5's defaults: a household or an office subscribes a few people, never ten in 10 minutes.
  subscribeSourceLimit: 10,
  // Far above real sign-ups, far below what would hurt the account's reputation in an hour.
  confirmationHourlyBudget: 500,
} as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const RETENTIONS: readonly RetentionDays[] = Object.values(RetentionDays).filter(
  (value): value is RetentionDays => typeof value === 'number',
);

// Lower-case DNS labels, at least two, ASCII only (an IDN in punycode), as SES identities are named.
const DOMAIN =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** The address normalised as subscribers' are (trimmed, lower-cased), or an issue naming why not. */
const mailAddress = z.string().transform((value, ctx) => {
  const check = checkAddress(value);
  if (!check.ok) {
    ctx.addIssue({ code: 'custom', message: `not an email address: ${check.reason}` });
    return z.NEVER;
  }
  return check.address;
});

/**
 * One line of the publisher's own words: trimmed, 10 to 300 characters, no line break or control
 * character (it is one line in every template and a header-safe text in mail).
 */
const contactLine = z
  .string()
  .transform((value) => value.trim().replace(/\s+/g, ' '))
  .pipe(
    z
      .string()
      .min(10, 'at least 10 characters: a postal address or a desk and how to reach it')
      .max(300, 'at most 300 characters: one line')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
      .refine((value) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value), 'no control characters'),
  );

/** `address` is sent from `domain` when its domain is the domain or a subdomain of it. */
function isOnDomain(address: string, domain: string): boolean {
  const addressDomain = address.slice(address.lastIndexOf('@') + 1);
  return addressDomain === domain || addressDomain.endsWith(`.${domain}`);
}

// Context from `-c` arrives as strings, from cdk.json as JSON values: numbers are coerced.
const contextSchema = z
  .object({
    [CONTEXT_KEYS.stage]: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{0,19}$/,
        'lower-case letters, digits and hyphens, starting with a letter, at most 20',
      )
      .default(CONFIG_DEFAULTS.stage),
    [CONTEXT_KEYS.reportTimeZone]: z
      .string()
      .refine(isTimeZone, 'not an IANA time zone')
      .default(CONFIG_DEFAULTS.reportTimeZone),
    [CONTEXT_KEYS.rateLimit]: z.coerce.number().positive().max(10_000).default(CONFIG_DEFAULTS.rateLimit),
    [CONTEXT_KEYS.burstLimit]: z.coerce
      .number()
      .int()
      .positive()
      .max(5_000)
      .default(CONFIG_DEFAULTS.burstLimit),
    [CONTEXT_KEYS.logRetentionDays]: z.coerce
      .number()
      .transform((days, ctx) => {
        const retention = RETENTIONS.find((r) => r === days);
        if (retention === undefined) {
          ctx.addIssue({ code: 'custom', message: `one of ${RETENTIONS.join(', ')}` });
          return z.NEVER;
        }
        return retention;
      })
      .default(CONFIG_DEFAULTS.logRetentionDays),
    [CONTEXT_KEYS.mailFrom]: mailAddress.default(CONFIG_DEFAULTS.mailFrom),
    [CONTEXT_KEYS.mailDomain]: z
      .string()
      .transform((value) => value.trim().toLowerCase())
      .pipe(
        z.string().regex(DOMAIN, 'not a domain name (e.g. example.org; international domains in punycode)'),
      )
      .default(CONFIG_DEFAULTS.mailDomain),
    // SES production rates start at 14/s; over 500 is a typo rather than a quota.
    [CONTEXT_KEYS.mailFromDomain]: z
      .string()
      .transform((value) => value.trim().toLowerCase())
      .pipe(z.string().regex(DOMAIN, 'not a domain name (e.g. bounce.example.org)'))
      .optional(),
    [CONTEXT_KEYS.sendRatePerSecond]: z.coerce
      .number()
      .positive()
      .max(500)
      .default(CONFIG_DEFAULTS.sendRatePerSecond),
    // The event source mapping's maximum concurrency is 2 to 1000; past 20 the rate share gets too thin.
    [CONTEXT_KEYS.sendConcurrency]: z.coerce
      .number()
      .int()
      .min(2)
      .max(20)
      .default(CONFIG_DEFAULTS.sendConcurrency),
    [CONTEXT_KEYS.subscribeSourceLimit]: z.coerce
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(CONFIG_DEFAULTS.subscribeSourceLimit),
    [CONTEXT_KEYS.confirmationHourlyBudget]: z.coerce
      .number()
      .int()
      .min(1)
      .max(50_000)
      .default(CONFIG_DEFAULTS.confirmationHourlyBudget),
    [CONTEXT_KEYS.alarmEmail]: mailAddress.optional(),
    [CONTEXT_KEYS.contactLine]: contactLine.optional(),
    [CONTEXT_KEYS.reviewMode]: z
      .enum(REVIEW_MODES, { message: 'one of window, required, off' })
      .default(CONFIG_DEFAULTS.reviewMode),
    // Fractions allowed; past a week the next run's draft would overtake it.
    [CONTEXT_KEYS.reviewWindowHours]: z.coerce
      .number()
      .positive('a positive number of hours')
      .max(167, 'at most 167 hours: the window must end before the next weekly run')
      .default(CONFIG_DEFAULTS.reviewWindowHours),
    // An SSM parameter's name (String, comma-separated addresses), resolved at deploy time.
    [CONTEXT_KEYS.editorEmails]: z
      .string()
      .regex(
        /^\/?[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/,
        'the name of an SSM parameter (e.g. /ddor/editor-emails) that lists the editors, comma-separated',
      )
      .max(1011)
      .optional(),
  })
  .superRefine((context, ctx) => {
    const from = context[CONTEXT_KEYS.mailFrom];
    const domain = context[CONTEXT_KEYS.mailDomain];
    if (!isOnDomain(from, domain)) {
      ctx.addIssue({
        code: 'custom',
        path: [CONTEXT_KEYS.mailFrom],
        message: `${from} is not on the mail domain ${domain} (or a subdomain of it): SES would refuse to send from it`,
      });
    }
    const mailFromDomain = context[CONTEXT_KEYS.mailFromDomain];
    if (mailFromDomain !== undefined && !mailFromDomain.endsWith(`.${domain}`)) {
      ctx.addIssue({
        code: 'custom',
        path: [CONTEXT_KEYS.mailFromDomain],
        message: `${mailFromDomain} is not a subdomain of the mail domain ${domain}: SES requires one`,
      });
    }
    // Each sender's share of the rate must get a batch through well within the function's timeout.
    const pace = paceProblem(
      context[CONTEXT_KEYS.sendRatePerSecond],
      context[CONTEXT_KEYS.sendConcurrency],
      FUNCTIONS.send.timeoutSeconds,
    );
    if (pace !== undefined) {
      ctx.addIssue({ code: 'custom', path: [CONTEXT_KEYS.sendConcurrency], message: pace });
    }
    if (context[CONTEXT_KEYS.stage] === CONFIG_DEFAULTS.stage) return;
    if (context[CONTEXT_KEYS.reviewMode] !== 'off' && context[CONTEXT_KEYS.editorEmails] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [CONTEXT_KEYS.editorEmails],
        message:
          'required outside the dev stage unless reviewMode is off: the SSM parameter listing who reviews the drafts',
      });
    }
    if (context[CONTEXT_KEYS.contactLine] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [CONTEXT_KEYS.contactLine],
        message:
          'required outside the dev stage: the postal address or desk readers and jurisdictions write to (every page and email shows it)',
      });
    }
    // Outside dev, a placeholder would deploy a site that mails nobody and alarms nobody hears.
    for (const key of [CONTEXT_KEYS.mailDomain, CONTEXT_KEYS.mailFrom, CONTEXT_KEYS.alarmEmail] as const) {
      const value = context[key];
      if (value === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `required outside the dev stage (${key === CONTEXT_KEYS.alarmEmail ? 'who hears the alarms' : 'the real domain mail is sent from'})`,
        });
      } else if (isPlaceholderDomain(value.slice(value.lastIndexOf('@') + 1))) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${value} is a placeholder (RFC 2606 reserves it): set a real one outside the dev stage`,
        });
      }
    }
  });

/** The names RFC 2606 and RFC 6761 reserve for examples and tests, which can receive no mail. */
function isPlaceholderDomain(domain: string): boolean {
  return /(^|\.)example\.(org|com|net)$/.test(domain) || /\.(example|test|invalid|localhost)$/.test(domain);
}

/**
 * Context keys that are neither ours nor CDK's own: a misspelt key (`-c mailfrom=…`) would
 * otherwise be ignored and the default deployed. CDK's feature flags and internal keys carry a
 * `:` or start with `@`.
 */
function unknownContextKeys(all: Record<string, unknown>): string[] {
  const known = new Set<string>(Object.values(CONTEXT_KEYS));
  return Object.keys(all).filter((key) => !known.has(key) && !key.includes(':') && !key.startsWith('@'));
}

/**
 * Reads the configuration from CDK context, with defaults for what is absent.
 *
 * @throws ConfigError naming each invalid key, so a bad `-c` value fails synth instead of deploying.
 */
export function loadConfig(node: Node): AppConfig {
  const unknown = unknownContextKeys(node.getAllContext());
  if (unknown.length > 0) {
    const known = Object.values(CONTEXT_KEYS);
    const problems = unknown.map((key) => {
      const like = known.find((k) => k.toLowerCase() === key.toLowerCase());
      return `context "${key}": not a setting of this app${like === undefined ? '' : ` (did you mean ${like}?)`}`;
    });
    throw new ConfigError(
      `invalid CDK context\n${problems.join('\n')}\nthe settings are: ${known.join(', ')}`,
    );
  }
  const raw: Record<string, unknown> = {};
  for (const key of Object.values(CONTEXT_KEYS)) {
    const value: unknown = node.tryGetContext(key);
    if (value !== undefined) raw[key] = value;
  }
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `context "${issue.path.join('.')}": ${issue.message}`,
    );
    throw new ConfigError(`invalid CDK context\n${problems.join('\n')}`);
  }
  const context = parsed.data;
  return {
    stage: context[CONTEXT_KEYS.stage],
    reportTimeZone: context[CONTEXT_KEYS.reportTimeZone],
    throttling: { rateLimit: context[CONTEXT_KEYS.rateLimit], burstLimit: context[CONTEXT_KEYS.burstLimit] },
    logRetention: context[CONTEXT_KEYS.logRetentionDays],
    mail: {
      from: context[CONTEXT_KEYS.mailFrom],
      domain: context[CONTEXT_KEYS.mailDomain],
      mailFromDomain: context[CONTEXT_KEYS.mailFromDomain] ?? `bounce.${context[CONTEXT_KEYS.mailDomain]}`,
      sendRatePerSecond: context[CONTEXT_KEYS.sendRatePerSecond],
      sendConcurrency: context[CONTEXT_KEYS.sendConcurrency],
    },
    subscriptions: {
      sourceLimit: context[CONTEXT_KEYS.subscribeSourceLimit],
      hourlyBudget: context[CONTEXT_KEYS.confirmationHourlyBudget],
    },
    contactLine: context[CONTEXT_KEYS.contactLine] ?? CONFIG_DEFAULTS.contactLine,
    review: {
      mode: context[CONTEXT_KEYS.reviewMode],
      windowHours: context[CONTEXT_KEYS.reviewWindowHours],
      ...(context[CONTEXT_KEYS.editorEmails] === undefined
        ? {}
        : { editorEmailsParameter: context[CONTEXT_KEYS.editorEmails] }),
    },
    ...(context[CONTEXT_KEYS.alarmEmail] === undefined
      ? {}
      : { alarmEmail: context[CONTEXT_KEYS.alarmEmail] }),
    protectStatefulStack: context[CONTEXT_KEYS.stage] !== CONFIG_DEFAULTS.stage,
  };
}
