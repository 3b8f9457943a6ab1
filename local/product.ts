import { Cron } from 'croner';
import { reportTimeZone } from '#config/env';
import { cronerPattern, scheduleFor } from '#config/schedule';
import type { LocalQueue } from './stack';

/**
 * The product's queues and schedule as the local stack runs them: the same functions the CDK
 * app deploys (publisher on the publish queue, sender on the send queue, the weekly report on
 * the schedule), with the same batch sizes, retries and dead-letter queues.
 */
export const PUBLISH_QUEUE = 'ddor-publish';
export const SEND_QUEUE = 'ddor-send';

export function productQueues(): LocalQueue[] {
  return [
    {
      name: PUBLISH_QUEUE,
      envVar: 'PUBLISH_QUEUE_URL',
      visibilityTimeout: 300,
      dlqName: `${PUBLISH_QUEUE}-dlq`,
      maxReceiveCount: 3,
      batchSize: 1,
      maxConcurrency: 1,
      functionName: 'publish',
      loadHandler: async () => (await import('#lambdas/edition/publish/handler')).handler,
    },
    {
      name: SEND_QUEUE,
      envVar: 'SEND_QUEUE_URL',
      // Long enough for a batch of 50 at a few per second, short enough to retry a busy batch soon.
      visibilityTimeout: 60,
      dlqName: `${SEND_QUEUE}-dlq`,
      maxReceiveCount: 5,
      batchSize: 1,
      maxConcurrency: 2,
      functionName: 'send',
      loadHandler: async () => (await import('#lambdas/mail/send/handler')).handler,
    },
  ];
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
      const out = await handler({ scheduledTime }, fakeContext());
      log(`weekly run at ${scheduledTime}: queued ${out.weeks.join(', ')}`);
    } catch (error) {
      log(`weekly run at ${scheduledTime} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  const next = job.nextRun() ?? undefined;
  return { stop: () => job.stop(), pattern, ...(next ? { next } : {}) };
}

function fakeContext() {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'report',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:report',
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: '/aws/lambda/report',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 300_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
