import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { DynamoEditionStore } from '../adapters/edition-store';
import { publishWeek } from '../core/publication';
import { publisherDeps } from './publisher';

/** One publication request, as the weekly report function queues it. */
export const publishMessageSchema = z.strictObject({
  week: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  email: z.boolean(),
});

export type PublishMessage = z.infer<typeof publishMessageSchema>;

let deps: ReturnType<typeof publisherDeps> | undefined;

/**
 * The publisher: for each queued week, assemble and publish it (idempotent: an unchanged week
 * makes no revision), fan out its email when the decision is to send, and clear the week's
 * re-issue mark. A failure returns the message to the queue; after three tries it goes to the
 * dead-letter queue, which raises an alarm.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
  deps ??= publisherDeps();
  const editions = new DynamoEditionStore();
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const message = publishMessageSchema.parse(JSON.parse(record.body));
      const seenAt = new Date().toISOString();
      const result = await publishWeek(deps, { date: message.week, email: message.email });
      await editions.clearDirty(result.week, seenAt);
      console.log(
        JSON.stringify({
          level: 'INFO',
          message: 'published',
          week: result.week,
          result: result.result,
          revision: result.revision,
        }),
      );
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
