import middy from '@middy/core';
import * as z from 'zod/mini';
import { METRICS } from '#core/operations/metrics';
import '#core/zod-messages';
import { DynamoEditionStore } from '#adapters/edition-store';
import { count, logger, observed } from '#adapters/observability';
import { enqueue } from '#adapters/sqs';
import { readEnvironment } from '#config/env';
import { reportEnvironment } from '#config/functions';
import { publishMessageSchema } from '#core/edition/publish-message';
import { planWeeklyRun, runMessages } from '#core/edition/weekly-run';
import { ALL_WEEKS } from '#core/reissue-marks';

/** The Scheduler target input: `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`. */
const scheduledEvent = z.object({ scheduledTime: z.iso.datetime({ offset: true }) });

const env = readEnvironment(reportEnvironment);
const editions = new DynamoEditionStore();

/**
 * The weekly report function, triggered by EventBridge Scheduler: decides which weeks to publish
 * and hands each to the publisher through its queue (retry-safe: publishing is idempotent).
 */
export const handler = middy<unknown, { weeks: string[] }>()
  .use(observed())
  .handler(async (event) => {
    const { scheduledTime } = scheduledEvent.parse(event);
    const seenAt = new Date().toISOString();
    const plan = await planWeeklyRun(editions, new Date(scheduledTime), env.REPORT_TIME_ZONE);
    if (plan.expandedAll) {
      // '*' becomes a mark of each week it stands for, and only then goes: each week's mark is
      // cleared by that week's own publication, so a week that fails keeps its re-issue.
      await editions.markDirty(
        plan.weeks.filter((w) => !w.email).map((w) => w.week),
        seenAt,
      );
      await editions.clearDirty(ALL_WEEKS, seenAt);
    }
    await enqueue(env.PUBLISH_QUEUE_URL, publishMessageSchema, runMessages(plan, scheduledTime));
    logger.info('weekly run queued', { scheduledTime, weeks: plan.weeks });
    count(METRICS.weeksQueued, plan.weeks.length);
    return { weeks: plan.weeks.map((w) => w.week) };
  });
