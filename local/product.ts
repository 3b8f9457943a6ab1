import { Cron } from 'croner';
import { reportTimeZone } from '#config/env';
import { FUNCTIONS, localQueueSettings, QUEUES } from '#config/runtime';
import { cronerPattern, scheduleFor } from '#config/schedule';
import type { LocalQueue } from './stack';

/**
 * The product's queues and schedule as the local stack runs them: the same functions the CDK
 * app deploys (publisher on the publish queue, sender on the send queue, the weekly report on
 * the schedule), from the same definitions (`#config/runtime`, `#config/schedule`): the deployed
 * settings, with only the waits shrunk by LOCAL_TIME_SCALE.
 */
export const PUBLISH_QUEUE = QUEUES.publish.name;
export const SEND_QUEUE = QUEUES.send.name;

const HANDLERS: Record<keyof typeof QUEUES, LocalQueue['loadHandler']> = {
  publish: async () => (await import('#lambdas/edition/publish/handler')).handler,
  send: async () => (await import('#lambdas/mail/send/handler')).handler,
};

/** The product's queues, with waits shrunk by `timeScale` (LOCAL_TIME_SCALE). */
export function productQueues(timeScale = 1): LocalQueue[] {
  return (Object.keys(QUEUES) as (keyof typeof QUEUES)[]).map((key) => {
    const queue = localQueueSettings(key, timeScale);
    return {
      name: queue.name,
      envVar: queue.envVar,
      visibilityTimeout: queue.visibilityTimeoutSeconds,
      dlqName: `${queue.name}-dlq`,
      maxReceiveCount: queue.maxReceiveCount,
      batchSize: queue.batchSize,
      maxConcurrency: queue.maxConcurrency,
      functionName: queue.consumer,
      timeoutSeconds: FUNCTIONS[queue.consumer].timeoutSeconds,
      loadHandler: HANDLERS[key],
    };
  });
}

/** The weekly schedule with croner, from the one definition CDK also uses. */
export function startWeeklySchedule(log: (line: string) => void): {
  stop(): void;
  pattern: string;
  next?: Date;
} {
  const schedule = scheduleFor(reportTimeZone());
  const pattern = cronerPattern(schedule);
  const job = new Cron(pattern, { timezone: schedule.timeZone, protect: true }, async () => {
    const scheduledTime = new Date().toISOString();
    try {
      const { handler } = await import('#lambdas/edition/report/handler');
      const out = await handler({ scheduledTime }, reportContext());
      log(`weekly run at ${scheduledTime}: queued ${out.weeks.join(', ')}`);
    } catch (error) {
      log(`weekly run at ${scheduledTime} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  const next = job.nextRun() ?? undefined;
  return { stop: () => job.stop(), pattern, ...(next ? { next } : {}) };
}

/** The Lambda context the weekly report function is invoked with locally (schedule and `npm run weekly`). */
export function reportContext() {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'report',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:report',
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: '/aws/lambda/report',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => FUNCTIONS.report.timeoutSeconds * 1000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
