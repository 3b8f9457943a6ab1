import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { publishWeek } from '#core/edition/publication';
import { publishMessageSchema } from '#core/edition/publish-message';
import { publisherDeps } from './publisher';

const deps = publisherDeps();

/**
 * The publisher: for each queued week, assemble and publish it (idempotent: an unchanged week
 * makes no revision), fan out its email when the decision is to send, and clear the week's
 * re-issue mark. A failure returns the message to the queue; after three tries it goes to the
 * dead-letter queue, which raises an alarm.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const message = publishMessageSchema.parse(JSON.parse(record.body));
      for (const { week, email } of message.publications) {
        const seenAt = new Date().toISOString();
        const result = await publishWeek(deps, { date: week, email });
        await deps.editions.clearDirty(result.week, seenAt);
        console.log(
          JSON.stringify({
            level: 'INFO',
            message: 'published',
            week: result.week,
            result: result.result,
            revision: result.revision,
          }),
        );
      }
    } catch (error) {
      console.error(
        JSON.stringify({
          level: 'ERROR',
          message: 'publication failed',
          messageId: record.messageId,
          error: error instanceof Error ? error.message : String(error),
        }),
      );
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
});
