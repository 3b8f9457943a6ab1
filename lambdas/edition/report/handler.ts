import middy from '@middy/core';
import * as z from 'zod';
import { DynamoEditionStore } from '#adapters/edition-store';
import { enqueueJson } from '#adapters/send-queue';
import { reportTimeZone, requireEnv } from '#config/env';
import { planWeeklyRun } from '#core/edition/weekly-run';

/** The Scheduler target input: `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`. */
const scheduledEvent = z.object({ scheduledTime: z.iso.datetime({ offset: true }) });

const timeZone = reportTimeZone();
const queueUrl = requireEnv('PUBLISH_QUEUE_URL');
const editions = new DynamoEditionStore();

/**
 * The weekly report function, triggered by EventBridge Scheduler: decides which weeks to publish
 * and hands each to the publisher through its queue (retry-safe: publishing is idempotent).
 */
export const handler = middy<unknown, { weeks: string[] }>().handler(async (event) => {
  const { scheduledTime } = scheduledEvent.parse(event);
  const seenAt = new Date().toISOString();
  const plan = await planWeeklyRun(editions, new Date(scheduledTime), timeZone);
  await enqueueJson(queueUrl, [{ publications: plan.weeks }]);
  // The '*' mark is cleared only once every week it stands for has been queued.
  if (plan.expandedAll) await editions.clearDirty('*', seenAt);
  console.log(
    JSON.stringify({ level: 'INFO', message: 'weekly run queued', scheduledTime, weeks: plan.weeks }),
  );
  return { weeks: plan.weeks.map((w) => w.week) };
});
