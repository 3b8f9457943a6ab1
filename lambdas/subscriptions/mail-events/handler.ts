import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { DynamoLedgerStore } from '#adapters/ledger-store';
import { count, logger, observed } from '#adapters/observability';
import { DynamoSubscriberStore } from '#adapters/subscriber-store';
import { reconcileSend } from '#core/mail/reconcile';
import { METRICS } from '#core/operations/metrics';
import { parseMailEvent } from '#core/subscriptions/mail-events';
import { type SuppressionDeps, suppress } from '#core/subscriptions/subscriber-lifecycle';

const services: SuppressionDeps = { subscribers: new DynamoSubscriberStore(), now: () => new Date() };
const ledger = new DynamoLedgerStore();

function log(level: 'INFO' | 'WARN', message: string, fields: Record<string, unknown> = {}): void {
  // Never an address: the log keeps what happened, not to whom.
  if (level === 'WARN') logger.warn(message, fields);
  else logger.info(message, fields);
}

/**
 * SES events, from a configuration set through SNS: a permanent bounce or a complaint suppresses
 * the address for good; a Send event settles an edition send whose answer never came. A message that is not an SES event is logged and
 * skipped (retrying cannot fix it); a storage error fails the invocation so Lambda retries it
 * (suppressing is idempotent).
 */
export const handler = middy<SNSEvent, void>()
  .use(observed())
  .handler(async (event) => {
    for (const record of event.Records) {
      const parsed = parseMailEvent(record.Sns.Message);
      if (!parsed.ok) {
        log('WARN', 'skipped an SNS message that is not an SES event', {
          problem: parsed.problem,
          messageId: record.Sns.MessageId,
        });
        continue;
      }
      if (parsed.send !== undefined) {
        const reconciled = await reconcileSend(ledger, parsed.send, new Date());
        if (reconciled > 0) log('INFO', 'unknown send reconciled from its send event', { reconciled });
      }
      for (const suppression of parsed.suppressions) {
        const result = await suppress(services, suppression.address, suppression.reason);
        count(suppression.reason === 'bounce' ? METRICS.bounces : METRICS.complaints);
        log('INFO', 'suppression', { eventType: parsed.type, reason: suppression.reason, result });
      }
    }
  });
