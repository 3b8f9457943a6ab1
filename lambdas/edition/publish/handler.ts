import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { METRICS } from '#core/operations/metrics';
import '#core/zod-messages';
import { count, logger, observed } from '#adapters/observability';
import { DynamoOutcomeStore } from '#adapters/outcome-store';
import { DynamoAcknowledgements } from '#adapters/review-store';
import { enqueue } from '#adapters/sqs';
import { readEnvironment } from '#config/env';
import { publisherEnvironment } from '#config/functions';
import {
  type DraftedResult,
  type PublishResult,
  publishWeek,
  type RebuildResult,
  rebuildSite,
} from '#core/edition/publication';
import {
  ARCHIVE_DELAY_SECONDS,
  archiveMessageSchema,
  type PublishMessage,
  publishMessageSchema,
  shouldWaitForReissues,
} from '#core/edition/publish-message';
import { settleReissueMark } from '#core/edition/reissue';
import { ConflictError, ValidationError } from '#core/errors';
import { withoutAddresses } from '#core/redact';
import { sameNamePairKey } from '#core/review/checks';
import { decide, type ReviewSettings } from '#core/review/gate';
import { noticeChanged, settleRunWeek } from '#core/review/notice';
import { editorNotices, previewLink, publisherDeps } from './publisher';

const deps = publisherDeps();
const acknowledgements = new DynamoAcknowledgements();
const outcomes = new DynamoOutcomeStore();
const markDeps = {
  editions: deps.editions,
  currentRecord: (detainerId: string) => outcomes.get(detainerId),
  now: () => new Date(),
};
const env = readEnvironment(publisherEnvironment);
const queueUrl = env.PUBLISH_QUEUE_URL;
/** The editors' email (none when REVIEW_MODE is off); EDITOR_EMAILS is checked here, at the start. */
const notices = editorNotices(deps, env);
/** The schedule's publications are drafts first unless REVIEW_MODE is off; the window shrinks locally. */
const review: ReviewSettings | undefined =
  env.REVIEW_MODE === 'off'
    ? undefined
    : {
        mode: env.REVIEW_MODE,
        windowHours: env.REVIEW_WINDOW_HOURS * env.LOCAL_TIME_SCALE,
        timeScale: env.LOCAL_TIME_SCALE,
      };
/** SQS's longest delay: a window longer than it is waited out a delay at a time. */
const MAX_DELAY_SECONDS = 900;

/** How long the week to email waits, each time, for the run's re-issues to publish. */
const REISSUE_WAIT_SECONDS = 60;

/**
 * One week of a weekly run: publish it, then clear its re-issue mark. The week to email first
 * lets the same run's re-issues go (it is queued again for a minute, at most twice), so its
 * email lists them. A failure returns the message to the queue; a week that fails three times
 * goes to the dead-letter queue, which raises an alarm, and holds back no other week.
 */
async function publishOne(record: SQSRecord): Promise<void> {
  const body: unknown = JSON.parse(record.body);
  if (typeof body === 'object' && body !== null && 'archive' in body) {
    archiveMessageSchema.parse(body);
    await deps.archiveFiles?.();
    return;
  }
  const message = publishMessageSchema.parse(body);
  // Only the week to email that names re-issues reads the marks: the others never wait.
  const mayWait = queueUrl !== undefined && message.email && (message.after?.length ?? 0) > 0;
  if (mayWait && queueUrl !== undefined && shouldWaitForReissues(message, await reissuesStillComing())) {
    const again = { ...message, waited: (message.waited ?? 0) + 1 };
    await enqueue(queueUrl, publishMessageSchema, [again], { delaySeconds: REISSUE_WAIT_SECONDS });
    return;
  }
  const seenAt = new Date().toISOString();
  const result = await publishWeek(deps, {
    date: message.week,
    email: message.email,
    ...(review === undefined ? {} : { review: { ...review, runId: message.runAt } }),
  });
  if (result.result === 'drafted') {
    await awaitReview(message, result);
  } else {
    await settleReissueMark(markDeps, result.week, seenAt, result.read);
    logger.info('published', { week: result.week, result: result.result, revision: result.revision });
    countPublication(result.result, result.revision);
    // The index and data files, once the run's weeks have landed (a later message finds it done).
    if (queueUrl !== undefined) {
      await enqueue(queueUrl, archiveMessageSchema, [{ archive: true }], {
        delaySeconds: ARCHIVE_DELAY_SECONDS,
      });
    }
  }
  await tellEditors(message, result);
}

/**
 * The weeks still marked for re-issue that have not gone ahead yet: a re-issue that is a draft
 * under review has been assembled and now waits on its editors, not on this run, so the week to
 * email does not wait for it (it is listed by the next emailed edition once it publishes).
 */
async function reissuesStillComing(): Promise<string[]> {
  const marked = await deps.editions.dirtyWeeks();
  if (review === undefined || deps.reviews === undefined || marked.length === 0) return marked;
  const drafted = new Set(
    (await deps.reviews.list())
      .filter((stored) => stored.draft.status !== 'published')
      .map((stored) => stored.draft.week),
  );
  return marked.filter((week) => !drafted.has(week));
}

/**
 * The editors' side of one week of a run: a draft of this run whose content changed after the
 * run's email is emailed again on its own; the run's last week to be assembled sends the run's
 * email. A send that fails fails the message, which is retried (the run's claim is given back).
 */
async function tellEditors(message: PublishMessage, result: PublishResult | DraftedResult): Promise<void> {
  if (notices === undefined) return;
  // Not only when this call changed it: a retry after a failed send must send it still.
  if (result.result === 'drafted' && result.stored.draft.runId === message.runAt) {
    if (await noticeChanged(notices, result.stored)) count(METRICS.editorEmailsSent);
  }
  if (message.run === undefined) return;
  const sent = await settleRunWeek(notices, message.runAt, result.week, message.run);
  if (sent === 'sent') {
    logger.info('editors emailed', { run: message.runAt, weeks: message.run });
    count(METRICS.editorEmailsSent);
  }
}

/**
 * A draft waits: under `window` its message comes back when the window ends (in steps of SQS's
 * longest delay), to publish it then unless it is held; a held draft, or any under `required`,
 * waits for an approval, which publishes it itself. The week's re-issue mark stays until then.
 */
async function awaitReview(message: PublishMessage, result: DraftedResult): Promise<void> {
  const { draft } = result.stored;
  logger.info('drafted', {
    week: result.week,
    status: draft.status,
    contentHash: draft.contentHash,
    ...(draft.publishAt === undefined ? {} : { publishAt: draft.publishAt }),
    checks: result.stored.checks.map((check) => check.id),
  });
  if (result.changed) count(METRICS.draftsAssembled);
  if (queueUrl === undefined || review?.mode !== 'window' || draft.status === 'held') return;
  if (draft.publishAt === undefined) return;
  const remainingMs = Math.max(0, Date.parse(draft.publishAt) - Date.now());
  // Delays are in deployed seconds: the local queue shrinks them by the same scale as the window.
  const delaySeconds = Math.min(
    MAX_DELAY_SECONDS,
    Math.max(1, Math.ceil(remainingMs / 1000 / env.LOCAL_TIME_SCALE)),
  );
  await enqueue(queueUrl, publishMessageSchema, [message], { delaySeconds });
}

/**
 * A direct invocation (`npm run publish`, with the operator role's lambda:InvokeFunction): one
 * week, published as the queue would, its failure raised to the caller instead of retried.
 */
const operatorName = z.string().check(z.minLength(1), z.maxLength(100));
const jurisdictionId = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/));

const directInvocation = z.union([
  z.strictObject({
    date: z.iso.date(),
    email: z.boolean(),
    /** `npm run publish --as NAME`: published whatever its draft's state (`published-by-operator`). */
    operator: z.optional(operatorName),
  }),
  /** `npm run acknowledge`: two jurisdictions of one name in two states are known to be two (same-name). */
  z.strictObject({
    acknowledge: z.strictObject({
      ids: z.tuple([jurisdictionId, jurisdictionId]),
      by: operatorName,
      reason: z.optional(z.string().check(z.minLength(1), z.maxLength(2000))),
    }),
  }),
  /** `npm run weekly`, at its end: the jurisdiction index and /data/ files, built now. */
  archiveMessageSchema,
  /** `npm run rebuild-site`: the archive's pages rendered again, `limit` weeks a call after `after`. */
  z.strictObject({
    rebuild: z.strictObject({
      after: z.optional(z.iso.date()),
      limit: z.int().check(z.minimum(1), z.maximum(52)),
    }),
  }),
  /** `npm run review --week`: a new preview link of one week's draft (the operator cannot write drafts). */
  z.strictObject({ preview: z.strictObject({ week: z.iso.date() }) }),
  /** `npm run approve` and `npm run hold`: an editor's decision on one week's draft, or a run's. */
  z.strictObject({
    review: z.strictObject({
      week: z.optional(z.iso.date()),
      run: z.optional(z.string().check(z.minLength(1), z.maxLength(40))),
      decision: z.enum(['approve', 'hold']),
      by: operatorName,
      reason: z.optional(z.string().check(z.minLength(1), z.maxLength(2000))),
    }),
  }),
]);

export interface DirectPublishResult {
  readonly week: string;
  readonly revision: number;
  readonly result: 'published' | 'unchanged';
  readonly url: string;
  readonly email: { readonly decision: string; readonly reason?: string };
}

/** One week's draft after an editor's decision: published by an approval, or still a draft. */
export interface DirectReviewResult {
  readonly week: string;
  readonly status: 'awaiting-review' | 'held' | 'approved' | 'published';
  readonly publishAt?: string;
  readonly published?: DirectPublishResult;
}

/** A draft's preview link, valid 72 hours, needing no token. */
export interface DirectPreviewResult {
  readonly week: string;
  readonly url: string;
  readonly expiresAt: string;
}

/** What a direct invocation answers, by its kind. */
type DirectResult =
  | DirectPublishResult
  | { reviewed: DirectReviewResult[] }
  | DirectPreviewResult
  | DirectAcknowledgeResult
  | RebuildResult
  | { archive: unknown };

async function publishDirect(event: unknown): Promise<DirectResult> {
  const input = directInvocation.parse(event);
  if ('review' in input) return { reviewed: await reviewDirect(input.review) };
  if ('preview' in input) return previewDirect(input.preview.week);
  if ('rebuild' in input) return rebuildSite(deps, input.rebuild);
  if ('archive' in input) return { archive: (await deps.archiveFiles?.()) ?? null };
  if ('acknowledge' in input) return acknowledgeDirect(input.acknowledge);
  const { date, email, operator } = input;
  const seenAt = new Date().toISOString();
  // The operator's command: an emailed week's readers not yet reached are queued again.
  const result = await publishWeek(deps, {
    date,
    email,
    resumeEmail: email,
    operator: operator ?? 'operator',
  });
  if (result.result === 'drafted') throw new Error('an operator publication is never a draft');
  // After an operator's publication, at once (contract §4 freshness).
  await deps.archiveFiles?.();
  return directResult(result, seenAt);
}

async function directResult(result: PublishResult, seenAt: string): Promise<DirectPublishResult> {
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

/**
 * An editor's decision through the operator's command. An approval publishes at once, in every
 * mode, and releases a hold; the publication assembles the week again, so a record changed since
 * the approval makes it lapse and the draft waits for review again (the answer says so).
 */
async function reviewDirect(request: {
  week?: string | undefined;
  run?: string | undefined;
  decision: 'approve' | 'hold';
  by: string;
  reason?: string | undefined;
}): Promise<DirectReviewResult[]> {
  const reviews = deps.reviews;
  if (reviews === undefined) throw new Error('this publisher keeps no drafts');
  if ((request.week === undefined) === (request.run === undefined))
    throw new ValidationError('name exactly one of week or run');
  const weeks =
    request.week !== undefined
      ? [request.week]
      : (await reviews.list())
          .filter((stored) => stored.draft.runId === request.run && stored.draft.status !== 'published')
          .map((stored) => stored.draft.week)
          .sort();
  if (weeks.length === 0) throw new ConflictError(`the run ${request.run} has no draft waiting for review`);
  const results: DirectReviewResult[] = [];
  for (const week of weeks) {
    const at = new Date().toISOString();
    const decision =
      request.decision === 'hold'
        ? { decision: 'hold' as const, reason: request.reason ?? '' }
        : {
            decision: 'approve' as const,
            ...(request.reason === undefined ? {} : { reason: request.reason }),
          };
    const stored = await decide(reviews, week, decision, request.by, at);
    if (request.decision === 'hold') {
      results.push({ week, status: stored.draft.status });
      continue;
    }
    const seenAt = new Date().toISOString();
    const result = await publishWeek(deps, {
      date: week,
      email: stored.email,
      review: {
        ...(review ?? { mode: 'required', windowHours: env.REVIEW_WINDOW_HOURS }),
        runId: stored.draft.runId,
      },
    });
    if (result.result === 'drafted') {
      const { draft } = result.stored;
      // The approval lapsed: the content changed since it was read, and the editors are told.
      if (notices !== undefined && (await noticeChanged(notices, result.stored)))
        count(METRICS.editorEmailsSent);
      results.push({
        week,
        status: draft.status,
        ...(draft.publishAt ? { publishAt: draft.publishAt } : {}),
      });
    } else {
      results.push({ week, status: 'published', published: await directResult(result, seenAt) });
    }
  }
  // An approval published: the index and /data/ files at once, as after npm run publish.
  if (results.some((result) => result.status === 'published')) await deps.archiveFiles?.();
  return results;
}

/** A same-name pair acknowledged for good: the check stops naming it from the next assembly on. */
export interface DirectAcknowledgeResult {
  readonly pair: string;
  readonly acknowledged: 'new' | 'already';
}

async function acknowledgeDirect(request: {
  ids: [string, string];
  by: string;
  reason?: string | undefined;
}): Promise<DirectAcknowledgeResult> {
  const [a, b] = request.ids;
  if (a === b) throw new ValidationError('name two different jurisdictions');
  const pair = sameNamePairKey(a, b);
  const added = await acknowledgements.add({
    pair,
    by: request.by,
    at: new Date().toISOString(),
    ...(request.reason === undefined ? {} : { reason: request.reason }),
  });
  return { pair, acknowledged: added ? 'new' : 'already' };
}

async function previewDirect(week: string): Promise<DirectPreviewResult> {
  const reviews = deps.reviews;
  if (reviews === undefined) throw new Error('this publisher keeps no drafts');
  return { week, ...(await previewLink(reviews, deps.config, week)) };
}

/** Editions published (revision 1), re-issued (a later revision) or found unchanged. */
function countPublication(result: 'published' | 'unchanged', revision: number): void {
  count(
    result === 'unchanged'
      ? METRICS.editionsUnchanged
      : revision === 1
        ? METRICS.editionsPublished
        : METRICS.editionsReissued,
  );
}

export const handler = middy<SQSEvent | unknown, SQSBatchResponse | DirectResult>()
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
        count(METRICS.publicationFailures);
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  });
