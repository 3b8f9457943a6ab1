import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { sendJobSchema } from '#core/mail/send-job';
import { sendBatch } from '#core/mail/send-ledger';
import { senderDeps } from './sender';

const deps = senderDeps();

/**
 * The sender: works through queued batches of recipients, each exactly once through the ledger.
 * A batch with recipients another worker is still sending to, or that stayed throttled, goes
 * back to the queue and is retried after its visibility timeout.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const job = sendJobSchema.parse(JSON.parse(record.body));
      // Each delivery of a batch holds its leases under a name of its own.
      const owner = `${record.messageId}:${randomUUID()}`;
      const outcome = await sendBatch({ ...deps, owner }, job);
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
