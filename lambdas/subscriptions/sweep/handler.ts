import middy from '@middy/core';
import { count, logger, observed } from '#adapters/observability';
import { DynamoSubscriberStore } from '#adapters/subscriber-store';
import { METRICS } from '#core/operations/metrics';
import { sweepForgotten } from '#core/subscriptions/subscriber-lifecycle';

const subscribers = new DynamoSubscriberStore();

/** Pages of this many; a sweep stops before its timeout and the next day's run goes on. */
const PAGE = 500;
const MAX_PAGES = 20;

/**
 * The daily sweep (contract §5): deletes every mailbox that never confirmed and was forgotten
 * (30 days after its last request), so none is kept more than a day past that. Idempotent.
 */
export const handler = middy<unknown, { deleted: number }>()
  .use(observed())
  .handler(async () => {
    let deleted = 0;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const removed = await sweepForgotten({ subscribers, now: () => new Date() }, PAGE);
      deleted += removed;
      if (removed < PAGE) break;
    }
    logger.info('forgotten subscribers deleted', { deleted });
    count(METRICS.forgottenSubscribersDeleted, deleted);
    return { deleted };
  });
