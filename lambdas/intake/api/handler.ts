import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DynamoClientStore } from '#adapters/client-store';
import { DynamoDisputeStore } from '#adapters/dispute-store';
import { dataStore, previewEditionKey, previewPageKey } from '#adapters/edition-data';
import { DynamoEditionStore } from '#adapters/edition-store';
import { DynamoJurisdictionStore } from '#adapters/jurisdiction-store';
import { sendEmail } from '#adapters/mailer';
import { count, logger, observed } from '#adapters/observability';
import { DynamoOutcomeStore } from '#adapters/outcome-store';
import { DynamoReviewStore } from '#adapters/review-store';
import { enqueue } from '#adapters/sqs';
import { readEnvironment } from '#config/env';
import { editorAddresses, intakeEnvironment } from '#config/functions';
import { publishMessageSchema } from '#core/edition/publish-message';
import { UnauthorizedError } from '#core/errors';
import { disputeOpenedEmail } from '#core/intake/dispute-notice';
import type { DisputeItem } from '#core/intake/model';
import { METRICS } from '#core/operations/metrics';
import { withoutAddresses } from '#core/redact';
import { todayIn } from '#core/reporting-week';
import { type AuthContext, bearerAuth } from '#http/auth';
import { callDeadline } from '#http/deadline';
import { errorHandler } from '#http/error-handler';
import { router } from '#http/router';
import { type IntakeServices, intakeRoutes } from './routes';

const env = readEnvironment(intakeEnvironment);
const editions = new DynamoEditionStore();
/** Checked at the start: a bad address fails the function's start with the variable's name. */
const editors = env.EDITOR_EMAILS === undefined ? [] : editorAddresses(env.EDITOR_EMAILS);

/** The most a dispute's answer waits for its editors' email: the request keeps its own deadline. */
const NOTICE_WAIT_MS = 3_000;

/**
 * The editors hear of each dispute as it is opened: one message each, sent side by side. The
 * answer waits at most NOTICE_WAIT_MS for them, and a failed or late send never fails the request
 * (the dispute is stored and listed by GET /disputes, npm run status and the next drafts'
 * checks): it is logged and counted (DisputeNoticeFailures, alarmed at once).
 */
async function notifyEditors(dispute: DisputeItem): Promise<void> {
  const email = disputeOpenedEmail(dispute);
  const failed = (reason: string) => {
    logger.error('dispute notice failed', { dispute: dispute.id, error: withoutAddresses(reason) });
    count(METRICS.disputeNoticeFailures);
  };
  const sends = editors.map((to) =>
    sendEmail({ to, ...email, tags: { kind: 'dispute' } }).then(
      () => 'sent' as const,
      (error: unknown) => failed(error instanceof Error ? error.message : String(error)),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), NOTICE_WAIT_MS);
  });
  const outcome = await Promise.race([Promise.all(sends), late]);
  clearTimeout(timer);
  if (outcome === 'late') failed(`SES did not answer within ${NOTICE_WAIT_MS} ms`);
}
const services: IntakeServices = {
  outcomes: new DynamoOutcomeStore(),
  jurisdictions: new DynamoJurisdictionStore(),
  clients: new DynamoClientStore(),
  disputes: new DynamoDisputeStore(),
  now: () => new Date(),
  today: () => todayIn(env.REPORT_TIME_ZONE),
  markDirty: (weeks, at) => editions.markDirty(weeks, at),
  markWrite: (weeks, write, at) => editions.markWrite(weeks, write, at),
  ...(editors.length === 0 ? {} : { notifyEditors }),
  desk: {
    reviews: new DynamoReviewStore(),
    files: {
      page: (week, hash) => dataStore().getText(previewPageKey(week, hash)),
      edition: (week, hash) => dataStore().getText(previewEditionKey(week, hash)),
    },
    // The publisher publishes an approved draft from its own queue, as the weekly run's message would.
    publish: async (stored) => {
      await enqueue(env.PUBLISH_QUEUE_URL, publishMessageSchema, [
        { week: stored.draft.week, email: stored.email, runAt: stored.draft.runId },
      ]);
    },
    now: () => new Date(),
  },
  draftPolicy: draftContentPolicy(env.SITE_URL),
};

/** The site's policy, with the site's origin where the site says 'self' (the page is served here). */
function draftContentPolicy(siteUrl: string): string {
  const site = new URL(siteUrl).origin;
  return `default-src 'none'; style-src ${site}; img-src ${site} data:; form-action ${site}; base-uri 'none'; frame-ancestors 'none'`;
}

const route = router(intakeRoutes(services));

/**
 * Served without a token: the OpenAPI document, and a draft's read-only preview by its key
 * (`GET /editions/{week}/draft?key=K`), which the route checks instead of a token.
 */
const isPublic = (event: APIGatewayProxyEventV2) =>
  event.requestContext.http.method.toUpperCase() === 'GET' &&
  (event.rawPath === '/openapi.json' ||
    (/^\/editions\/[^/]+\/draft\/?$/.test(event.rawPath) &&
      new URLSearchParams(event.rawQueryString ?? '').has('key')));

/** The intake API: every route of CONTRACT.md section 2, including unmatched ones (404). */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, AuthContext>()
  .use(observed())
  .use(errorHandler())
  .use(bearerAuth(services.clients, isPublic))
  .handler(async (event, context): Promise<APIGatewayProxyStructuredResultV2> => {
    if (isPublic(event)) return route(event, { id: 'public', name: 'public', role: 'intake' });
    if (!context.actor) throw new UnauthorizedError();
    return route(event, context.actor, callDeadline(context));
  });
