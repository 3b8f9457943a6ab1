import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { DynamoDisputeStore } from '#adapters/dispute-store';
import { DynamoEditionStore } from '#adapters/edition-store';
import { logger, metrics, observed } from '#adapters/observability';
import { DynamoReviewStore } from '#adapters/review-store';
import { readEnvironment } from '#config/env';
import { monitorEnvironment } from '#config/functions';
import { scheduleFor } from '#config/schedule';
import { checkHealth, HEALTH_METRICS } from '#core/operations/health';

const env = readEnvironment(monitorEnvironment);
const editions = new DynamoEditionStore();
const disputes = new DynamoDisputeStore();
const reviews = new DynamoReviewStore();

/**
 * The hourly monitor (EventBridge Scheduler): publishes whether the edition the last weekly run
 * was due to publish is missing, the age of the oldest open dispute and of the oldest draft
 * waiting for its editors, as metrics; the alarms
 * on them reach the operator. Reads only.
 */
export const handler = middy<
  unknown,
  { dueWeek?: string; editionMissing: number; oldestOpenDisputeDays: number; oldestDraftHours: number }
>()
  .use(observed())
  .handler(async () => {
    const health = await checkHealth({
      schedule: scheduleFor(env.REPORT_TIME_ZONE),
      now: () => new Date(),
      published: async (week) => (await editions.latest(week)) !== undefined,
      disputes,
      drafts: async () =>
        (await reviews.list()).map(({ draft }) => ({
          status: draft.status,
          assembledAt: draft.decisions[0]?.at ?? new Date().toISOString(),
        })),
    });
    metrics.addMetric(HEALTH_METRICS.editionMissing, MetricUnit.Count, health.editionMissing);
    metrics.addMetric(HEALTH_METRICS.oldestOpenDisputeDays, MetricUnit.Count, health.oldestOpenDisputeDays);
    metrics.addMetric(HEALTH_METRICS.oldestDraftHours, MetricUnit.Count, health.oldestDraftHours);
    if (health.editionMissing === 1)
      logger.error('the week due by now has no edition', { week: health.dueWeek });
    else logger.info('health', { ...health });
    return health;
  });
