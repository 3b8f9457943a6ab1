import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { readStoredEmail } from '../adapters/edition-data';
import { DynamoLedgerStore } from '../adapters/ledger-store';
import { sendEmail } from '../adapters/mailer';
import { secretSourceFromEnv } from '../adapters/secret-source';
import { DynamoSubscriberStore } from '../adapters/subscriber-store';
import { optionalEnv, requireEnv } from '../config/env';
import { type SendDeps, type StoredEmail, sendBatch } from '../core/edition-mail';
import { RateLimiter } from '../core/rate-limiter';
import { listUnsubscribeHeaders, unsubscribeUrl } from '../core/subscription-links';

const jobSchema = z.strictObject({
  week: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  revision: z.number().int().positive(),
  addresses: z.array(z.string().min(3).max(254)).min(1).max(100),
});

const THROTTLES = new Set(['TooManyRequestsException', 'ThrottlingException', 'LimitExceededException']);

/**
 * The account's send rate (with headroom) shared by the sender's concurrent containers:
 * each takes its share. Locally one process runs every invocation, so SEND_CONCURRENCY is 1.
 */
const rate = new RateLimiter(
  Number(optionalEnv('SEND_RATE_PER_SECOND', '10')) / Number(optionalEnv('SEND_CONCURRENCY', '1')),
);
const siteUrl = requireEnv('SITE_URL');
const ledger = new DynamoLedgerStore();
const subscribers = new DynamoSubscriberStore();
const secrets = secretSourceFromEnv();
const emails = new Map<string, Promise<StoredEmail>>();

function deps(owner: string): SendDeps {
  return {
    ledger,
    subscriber: (address) => subscribers.get(address),
    email: (week, revision) => {
      const key = `${week}#${revision}`;
      let email = emails.get(key);
      if (!email) {
        email = readStoredEmail(week, revision);
        emails.set(key, email);
        email.catch(() => emails.delete(key));
      }
      return email;
    },
    unsubscribeUrl: async (subscriber) => unsubscribeUrl(siteUrl, await secrets.key(), subscriber),
    headers: (link) => listUnsubscribeHeaders(link),
    send: async (message) => (await sendEmail(message)).messageId,
    rate,
    now: () => new Date(),
    owner,
    // Longer than the SES client's request timeout (10 s) with its retries.
    leaseMs: 120_000,
    isThrottling: (error) => error instanceof Error && THROTTLES.has(error.name),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

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
      const outcome = await sendBatch(deps(`${record.messageId}:${randomUUID()}`), job);
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
