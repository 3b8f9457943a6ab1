import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { sendBatch } from '#core/mail/send-ledger';
import { senderDeps } from './sender';

const jobSchema = z.strictObject({
  week: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  revision: z.number().int().positive(),
  addresses: z.array(z.string().min(3).max(254)).min(1).max(100),
});

/**
 * The sender: works through queued batches of recipients, each exactly once through the ledger.
 * A batch with recipients another worker is still sending to, or that stayed throttled, goes
 * back to the queue and is retried after its visibility timeout.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const job = jobSchema.parse(JSON.parse(record.body));
      const outcome = await sendBatch(senderDeps(`${record.messageId}:${randomUUID()}`), job);
      if (outcome.pending.length > 0) failures.push({ itemIdentifier: record.messageId });
    } catch (error) {
      console.error(
        JSON.stringify({
          level: 'ERROR',
          message: 'send batch failed',
          messageId: record.messageId,
          error: error instanceof Error ? error.name : String(error),
        }),
      );
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
});
