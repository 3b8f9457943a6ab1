/**
 * How each function runs and how its queue feeds it: one definition read by the CDK app
 * (`lib/constructs/*`) and by the local stack (`local/product.ts`), so the two cannot drift.
 * Plain data with no aws-cdk import: the functions' bundles never carry the CDK.
 */

/**
 * The template metadata key under which CDK records each function's `entry`, so the local stack
 * finds the function of the synthesized template that runs each entry.
 */
export const ENTRY_METADATA = 'ddor:entry';

/** The template metadata key that marks the operator role (lib/constructs/operator.ts), value `operator`. */
export const ROLE_METADATA = 'ddor:role';

export interface FunctionSettings {
  /** The handler module, relative to the project root. */
  readonly entry: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

/** Lambda's default memory for our functions: enough for the SDK and a rendered page. */
const MEMORY_MB = 512;

export const FUNCTIONS = {
  intake: { entry: 'lambdas/intake/api/handler.ts', timeoutSeconds: 10, memoryMb: MEMORY_MB },
  subscriptions: { entry: 'lambdas/subscriptions/api/handler.ts', timeoutSeconds: 10, memoryMb: MEMORY_MB },
  // Its own function (and API route): a subscribe flood cannot use up what one-click unsubscribes need.
  unsubscribe: { entry: 'lambdas/subscriptions/unsubscribe/handler.ts', timeoutSeconds: 10, memoryMb: 256 },
  // A batch of ten confirmations, each one SES call.
  confirmations: {
    entry: 'lambdas/subscriptions/confirmations/handler.ts',
    timeoutSeconds: 30,
    memoryMb: 256,
  },
  subscriptionSweep: {
    entry: 'lambdas/subscriptions/sweep/handler.ts',
    timeoutSeconds: 60,
    memoryMb: 256,
  },
  mailEvents: {
    entry: 'lambdas/subscriptions/mail-events/handler.ts',
    timeoutSeconds: 30,
    memoryMb: MEMORY_MB,
  },
  report: { entry: 'lambdas/edition/report/handler.ts', timeoutSeconds: 60, memoryMb: MEMORY_MB },
  // Hourly: is the edition due by now there, how old is the oldest open dispute (two reads).
  monitor: { entry: 'lambdas/operations/monitor/handler.ts', timeoutSeconds: 30, memoryMb: 256 },
  // A week of 5,000 declines renders pages, CSV and feed in memory.
  publish: { entry: 'lambdas/edition/publish/handler.ts', timeoutSeconds: 300, memoryMb: 1024 },
  // A batch of 50 at the slowest configured rate, with room for throttling back-off.
  send: { entry: 'lambdas/mail/send/handler.ts', timeoutSeconds: 180, memoryMb: MEMORY_MB },
} as const satisfies Record<string, FunctionSettings>;

export interface QueueSettings {
  /** The local queue's name (deployed, CloudFormation names it). */
  readonly name: string;
  /** The variable that gives the producing functions the queue URL. */
  readonly envVar: string;
  /** The consuming function (its event source mapping). */
  readonly consumer: keyof typeof FUNCTIONS;
  /**
   * How long a received message stays hidden: six times the consumer's timeout, as AWS advises
   * for Lambda event sources, so a retried batch is not handed out while still running.
   */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before a message goes to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Records per invocation. */
  readonly batchSize: number;
  /** Invocations in flight at once; for the send queue, the configured `sendConcurrency` wins. */
  readonly maxConcurrency: number;
}

export const QUEUES = {
  publish: {
    name: 'ddor-publish',
    envVar: 'PUBLISH_QUEUE_URL',
    consumer: 'publish',
    visibilityTimeoutSeconds: FUNCTIONS.publish.timeoutSeconds * 6,
    maxReceiveCount: 3,
    batchSize: 1,
    maxConcurrency: 2,
  },
  confirmations: {
    name: 'ddor-confirmations',
    envVar: 'CONFIRMATION_QUEUE_URL',
    consumer: 'confirmations',
    visibilityTimeoutSeconds: FUNCTIONS.confirmations.timeoutSeconds * 6,
    maxReceiveCount: 5,
    batchSize: 10,
    maxConcurrency: 2,
  },
  send: {
    name: 'ddor-send',
    envVar: 'SEND_QUEUE_URL',
    consumer: 'send',
    visibilityTimeoutSeconds: FUNCTIONS.send.timeoutSeconds * 6,
    maxReceiveCount: 5,
    batchSize: 1,
    maxConcurrency: 2,
  },
} as const satisfies Record<string, QueueSettings>;

/**
 * A queue's settings as the local stack runs it: the deployed definition, with its visibility
 * timeout shrunk by `LOCAL_TIME_SCALE` (contract §1) but never below its consumer's own timeout,
 * so a function still running is never handed its message a second time.
 */
export function localQueueSettings(queue: keyof typeof QUEUES, timeScale = 1): QueueSettings {
  const settings: QueueSettings = QUEUES[queue];
  const floor = FUNCTIONS[settings.consumer].timeoutSeconds;
  const visibilityTimeoutSeconds = Math.max(Math.ceil(settings.visibilityTimeoutSeconds * timeScale), floor);
  return { ...settings, visibilityTimeoutSeconds };
}

/** The variable that gives the operator commands a queue's dead-letter queue URL: PUBLISH_QUEUE_URL → PUBLISH_DLQ_URL. */
export function deadLetterEnvVar(queueEnvVar: string): string {
  return queueEnvVar.replace(/_QUEUE_URL$/, '_DLQ_URL');
}

/** The functions the operator commands invoke, by the variable that names each. */
export const OPERATOR_FUNCTIONS = { publish: 'PUBLISHER_FUNCTION', report: 'REPORT_FUNCTION' } as const;

/**
 * A deployment tells the `--deployed` commands its resources through stack outputs, one per
 * variable of their environment, keyed `Env` + the variable in PascalCase
 * (EDITIONS_TABLE → EnvEditionsTable): the commands set exactly those variables and run the
 * same adapters as the functions.
 */
export function operatorOutputKey(envVar: string): string {
  if (!/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/.test(envVar))
    throw new Error(`not an environment variable name: ${envVar}`);
  return `Env${envVar
    .split('_')
    .map((word) => word[0] + word.slice(1).toLowerCase())
    .join('')}`;
}

/** The variable an output key of `operatorOutputKey` stands for; undefined for any other output. */
export function envVarOfOutputKey(key: string): string | undefined {
  const match = /^Env((?:[A-Z][a-z0-9]*)+)$/.exec(key);
  return match?.[1]?.replace(/(?!^)([A-Z])/g, '_$1').toUpperCase();
}
