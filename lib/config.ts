import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { z } from 'zod';
import { DEFAULT_TIME_ZONE } from '../lambdas/config/env';

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
}

/** The context keys, as given in cdk.json or with `-c`. */
export const CONTEXT_KEYS = {
  stage: 'stage',
  reportTimeZone: 'reportTimeZone',
  rateLimit: 'throttleRateLimit',
  burstLimit: 'throttleBurstLimit',
  logRetentionDays: 'logRetentionDays',
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

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

// Context from `-c` arrives as strings, from cdk.json as JSON values: numbers are coerced.
const contextSchema = z.object({
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
});

/**
 * Reads the configuration from CDK context, with defaults for what is absent.
 *
 * @throws ConfigError naming each invalid key, so a bad `-c` value fails synth instead of deploying.
 */
export function loadConfig(node: Node): AppConfig {
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
  };
}
