import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { budgetPeriodKey, DynamoLimitStore } from '#adapters/limit-store';
import { sendEmail } from '#adapters/mailer';
import { count, logger, observed } from '#adapters/observability';
import { secretSourceFromEnv } from '#adapters/secret-source';
import { enqueue } from '#adapters/sqs';
import { DynamoSubscriberStore } from '#adapters/subscriber-store';
import { readEnvironment } from '#config/env';
import { confirmationsEnvironment } from '#config/functions';
import { METRICS, type MetricName } from '#core/operations/metrics';
import { confirmationRequestSchema } from '#core/subscriptions/confirmation-request';
import {
  type ConfirmationDeps,
  type ConfirmationOutcome,
  processConfirmationRequest,
} from '#core/subscriptions/subscriber-lifecycle';
import { scaledTiming } from '#core/subscriptions/timing';

const env = readEnvironment(confirmationsEnvironment);
const timing = scaledTiming(env.LOCAL_TIME_SCALE);
const limits = new DynamoLimitStore();

const deps: ConfirmationDeps = {
  subscribers: new DynamoSubscriberStore(),
  secrets: secretSourceFromEnv(env),
  sendEmail,
  siteUrl: env.SITE_URL.replace(/\/+$/, ''),
  now: () => new Date(),
  timing,
  takeBudget: (now) => {
    const period = budgetPeriodKey(now, timing.budgetPeriodMs);
    return limits.take(period.key, env.CONFIRMATION_HOURLY_BUDGET, Math.ceil(period.endsAt / 1000) + 3600);
  },
};

/** The count each outcome adds to (EMF, namespace ddor). */
const CONFIRMATION_METRIC: Record<ConfirmationOutcome, MetricName> = {
  'confirmation-sent': METRICS.confirmationsSent,
  'rate-limited': METRICS.confirmationsRateLimited,
  'already-confirmed': METRICS.confirmationsAlreadyConfirmed,
  suppressed: METRICS.confirmationsSuppressed,
  'over-budget': METRICS.confirmationsDeferred,
  dropped: METRICS.confirmationsDropped,
};

/** Time one request needs at most: the SES client's 10-second request timeout, and a margin. */
const SEND_ROOM_MS = 13_000;

/** SQS's longest delay. */
const MAX_DELAY_SECONDS = 900;

/**
 * How long a request waits when the budget is spent: until the next period begins, at most
 * SQS's 15 minutes (it then waits again). Expressed in deployed seconds: the local queue shrinks
 * delays by LOCAL_TIME_SCALE itself.
 */
function delayUntilNextPeriod(now: Date): number {
  const { endsAt } = budgetPeriodKey(now, timing.budgetPeriodMs);
  const deployedSeconds = (endsAt - now.getTime()) / 1000 / env.LOCAL_TIME_SCALE;
  return Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(deployedSeconds)));
}

function log(level: 'INFO' | 'WARN' | 'ERROR', message: string, fields: Record<string, unknown>): void {
  // Never the address: the log keeps what happened, not to whom. `dropped` is the metric the
  // confirmation-dropped alarm counts (lib/constructs/subscriptions.ts).
  if (level === 'ERROR') logger.error(message, fields);
  else if (level === 'WARN') logger.warn(message, fields);
  else logger.info(message, fields);
}

/**
 * The confirmation worker (contract §5): each queued subscribe request becomes at most one
 * confirmation email, within the hourly budget. A request over the budget goes back to the queue,
 * delayed to the next period, in the order it came; one that has waited 24 hours is dropped and
 * counted. A failed send is reported as a batch item failure: SQS retries it, then dead-letters it.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(observed())
  .handler(async (event, context) => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      // One more request may take an SES call of up to 10 s: past the timeout Lambda would end the
      // invocation mid-batch, so the rest go back to the queue untouched instead.
      if (context.getRemainingTimeInMillis() < SEND_ROOM_MS) {
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      let outcome: ConfirmationOutcome;
      try {
        const parsed = confirmationRequestSchema.safeParse(JSON.parse(record.body));
        if (!parsed.success) {
          // Retrying cannot fix it: logged and let go.
          log('ERROR', 'skipped a confirmation message that is not a request', {
            messageId: record.messageId,
          });
          continue;
        }
        outcome = await processConfirmationRequest(deps, parsed.data);
        if (outcome === 'over-budget') {
          const delaySeconds = delayUntilNextPeriod(deps.now());
          await enqueue(env.CONFIRMATION_QUEUE_URL, confirmationRequestSchema, [parsed.data], {
            delaySeconds,
          });
        }
      } catch (error) {
        log('ERROR', 'confirmation failed', {
          messageId: record.messageId,
          error: error instanceof Error ? error.name : String(error),
        });
        count(METRICS.confirmationFailures);
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      count(CONFIRMATION_METRIC[outcome]);
      log(outcome === 'dropped' ? 'ERROR' : 'INFO', 'confirmation request', {
        outcome,
        ...(outcome === 'dropped' ? { dropped: 1 } : {}),
      });
    }
    return { batchItemFailures: failures };
  });
