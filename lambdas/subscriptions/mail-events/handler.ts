import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { DynamoSubscriberStore } from '#adapters/subscriber-store';
import { parseMailEvent } from '#core/subscriptions/mail-events';
import { type SuppressionDeps, suppress } from '#core/subscriptions/subscriber-lifecycle';

const services: SuppressionDeps = { subscribers: new DynamoSubscriberStore(), now: () => new Date() };

function log(level: 'INFO' | 'WARN', message: string, fields: Record<string, unknown> = {}): void {
  // Never an address: the log keeps what happened, not to whom.
  console.log(JSON.stringify({ level, message, ...fields }));
}

/**
 * SES bounce and complaint events, from a configuration set through SNS: a permanent bounce or a
 * complaint suppresses the address for good. A message that is not an SES event is logged and
 * skipped (retrying cannot fix it); a storage error fails the invocation so Lambda retries it
 * (suppressing is idempotent).
 */
export const handler = middy<SNSEvent, void>().handler(async (event) => {
  for (const record of event.Records) {
    const parsed = parseMailEvent(record.Sns.Message);
    if (!parsed.ok) {
      log('WARN', 'skipped an SNS message that is not an SES event', {
        problem: parsed.problem,
        messageId: record.Sns.MessageId,
      });
      continue;
    }
    for (const suppression of parsed.suppressions) {
      const result = await suppress(services, suppression.address, suppression.reason);
      log('INFO', 'suppression', { eventType: parsed.type, reason: suppression.reason, result });
    }
  }
});
