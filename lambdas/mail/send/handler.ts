import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { count, logger, observed } from '#adapters/observability';
import { enqueue } from '#adapters/sqs';
import { readEnvironment } from '#config/env';
import { senderEnvironment } from '#config/functions';
import { sendJobSchema } from '#core/mail/send-job';
import { DEFER_SECONDS, sendBatch } from '#core/mail/send-ledger';
import { METRICS } from '#core/operations/metrics';
import { senderDeps } from './sender';

const deps = senderDeps();
const queueUrl = readEnvironment(senderEnvironment).SEND_QUEUE_URL;

/**
 * The sender: works through queued batches of recipients, each exactly once through the ledger.
 * A batch with recipients another worker is still sending to goes back to the queue and is
 * retried after its visibility timeout. When SES keeps throttling, reaches the daily quota or says
 * sending is paused, the readers not yet tried are queued again as a batch of their own, delayed,
 * so that waiting for SES never uses up a receive and never sends a batch to the dead-letter queue.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(observed())
  .handler(async (event) => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        const job = sendJobSchema.parse(JSON.parse(record.body));
        // Each delivery of a batch holds its leases under a name of its own.
        const owner = `${record.messageId}:${randomUUID()}`;
        const outcome = await sendBatch({ ...deps, owner }, job);
        count(METRICS.emailsSent, outcome.sent);
        count(METRICS.emailsSkipped, outcome.skipped);
        count(METRICS.emailsRejected, outcome.rejected ?? 0);
        count(METRICS.emailsUnknown, outcome.unknown);
        if (outcome.unknownCauses !== undefined) {
          // Each waits for its send event (or an hour) before it is tried again: say why.
          logger.warn('sends with no answer from SES, recorded unknown', { causes: outcome.unknownCauses });
        }
        if (outcome.deferred !== undefined && queueUrl !== undefined) {
          const { addresses, reason } = outcome.deferred;
          const { waitingFor: _previous, ...rest } = job;
          // At the quota or paused, the batch asks SES first when it comes back (GetAccount).
          const again =
            reason === 'throttled' ? { ...rest, addresses } : { ...rest, addresses, waitingFor: reason };
          await enqueue(queueUrl, sendJobSchema, [again], { delaySeconds: DEFER_SECONDS[reason] });
          const fields = { reason, readers: addresses.length, delaySeconds: DEFER_SECONDS[reason] };
          if (reason === 'paused') logger.error('send batch deferred: SES says sending is paused', fields);
          else logger.warn('send batch deferred', fields);
          count(
            reason === 'throttled'
              ? METRICS.emailsThrottled
              : reason === 'paused'
                ? METRICS.sendingPaused
                : METRICS.dailyQuotaReached,
          );
        } else if (outcome.deferred !== undefined) {
          failures.push({ itemIdentifier: record.messageId });
        }
        if (outcome.pending.length > 0) failures.push({ itemIdentifier: record.messageId });
      } catch (error) {
        logger.error('send batch failed', {
          messageId: record.messageId,
          error: error instanceof Error ? error.name : String(error),
        });
        count(METRICS.sendBatchFailures);
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  });
