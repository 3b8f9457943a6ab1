import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import '#core/zod-messages';
import { count, logger, observed } from '#adapters/observability';
import { DynamoOutcomeStore } from '#adapters/outcome-store';
import { enqueue } from '#adapters/sqs';
import { readEnvironment } from '#config/env';
import { publisherEnvironment } from '#config/functions';
import { publishWeek } from '#core/edition/publication';
import { publishMessageSchema, shouldWaitForReissues } from '#core/edition/publish-message';
import { settleReissueMark } from '#core/edition/reissue';
import { withoutAddresses } from '#core/redact';
import { publisherDeps } from './publisher';

const deps = publisherDeps();
const outcomes = new DynamoOutcomeStore();
const markDeps = {
  editions: deps.editions,
  currentRecord: (detainerId: string) => outcomes.get(detainerId),
  now: () => new Date(),
};
const queueUrl = readEnvironment(publisherEnvironment).PUBLISH_QUEUE_URL;

/** How long the week to email waits, each time, for the run's re-issues to publish. */
const REISSUE_WAIT_SECONDS = 60;

/**
 * One week of a weekly run: publish it, then clear its re-issue mark. The week to email first
 * lets the same run's re-issues go (it is queued again for a minute, at most twice), so its
 * email lists them. A failure returns the message to the queue; a week that fails three times
 * goes to the dead-letter queue, which raises an alarm, and holds back no other week.
 */
async function publishOne(record: SQSRecord): Promise<void> {
  const message = publishMessageSchema.parse(JSON.parse(record.body));
  // Only the week to email that names re-issues reads the marks: the others never wait.
  const mayWait = queueUrl !== undefined && message.email && (message.after?.length ?? 0) > 0;
  if (mayWait && queueUrl !== undefined && shouldWaitForReissues(message, await deps.editions.dirtyWeeks())) {
    const again = { ...message, waited: (message.waited ?? 0) + 1 };
    await enqueue(queueUrl, publishMessageSchema, [again], { delaySeconds: REISSUE_WAIT_SECONDS });
    return;
  }
  const seenAt = new Date().toISOString();
  const result = await publishWeek(deps, { date: message.week, email: message.email });
  await settleReissueMark(markDeps, result.week, seenAt, result.read);
  logger.info('published', { week: result.week, result: result.result, revision: result.revision });
  countPublication(result.result, result.revision);
}

/**
 * A direct invocation (`npm run publish`, with the operator role's lambda:InvokeFunction): one
 * week, published as the queue would, its failure raised to the caller instead of retried.
 */
const directInvocation = z.strictObject({
  date: z.iso.date(),
  email: z.boolean(),
});

export interface DirectPublishResult {
  readonly week: string;
  readonly revision: number;
  readonly result: 'published' | 'unchanged';
  readonly url: string;
  readonly email: { readonly decision: string; readonly reason?: string };
}

async function publishDirect(event: unknown): Promise<DirectPublishResult> {
  const { date, email } = directInvocation.parse(event);
  const seenAt = new Date().toISOString();
  // The operator's command: an emailed week's readers not yet reached are queued again.
  const result = await publishWeek(deps, { date, email, resumeEmail: email });
  await settleReissueMark(markDeps, result.week, seenAt, result.read);
  countPublication(result.result, result.revision);
  const decision = result.record.email;
  return {
    week: result.week,
    revision: result.revision,
    result: result.result,
    url: result.url,
    email: {
      decision: decision.decision,
      ...('reason' in decision ? { reason: String(decision.reason) } : {}),
    },
  };
}

/** Editions published (revision 1), re-issued (a later revision) or found unchanged. */
function countPublication(result: 'published' | 'unchanged', revision: number): void {
  count(
    result === 'unchanged' ? 'EditionsUnchanged' : revision === 1 ? 'EditionsPublished' : 'EditionsReissued',
  );
}

export const handler = middy<SQSEvent | unknown, SQSBatchResponse | DirectPublishResult>()
  .use(observed())
  .handler(async (input) => {
    if (typeof input !== 'object' || input === null || !('Records' in input)) return publishDirect(input);
    const event = input as SQSEvent;
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        await publishOne(record);
      } catch (error) {
        logger.error('publication failed', {
          messageId: record.messageId,
          error: withoutAddresses(error instanceof Error ? error.message : String(error)),
        });
        count('PublicationFailures');
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  });
