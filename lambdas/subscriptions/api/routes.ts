import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { count, logger } from '#adapters/observability';
import { DomainError, TooManyRequestsError, ValidationError } from '#core/errors';
import { METRICS } from '#core/operations/metrics';
import type { ConfirmationRequest } from '#core/subscriptions/confirmation-request';
import { CONFIRM_PATH, SUBSCRIBE_PATH, UNSUBSCRIBE_PATH } from '#core/subscriptions/links';
import { type Admission, sourceKey, viewerIp } from '#core/subscriptions/source-limit';
import {
  checkConfirmLink,
  confirmSubscription,
  type LinkDeps,
  type LinkRefusal,
  parseSubscribeAddress,
} from '#core/subscriptions/subscriber-lifecycle';
import { isFormPost, mediaType, parseForm } from '#http/form-body';
import { html } from '#http/html';
import { parseJson, requestHeader } from '#http/json-body';
import { json } from '#http/responses';
import type { Route } from '#http/router';
import { checkInboxPage, confirmedPage, confirmFormPage, refusedLinkPage } from './pages';

/**
 * The public subscription endpoints of CONTRACT.md §5 (the unsubscribe link has a function of its
 * own). No bearer token: the links carry sealed tokens. `POST /subscriptions` never reads the
 * subscriber: it validates, counts the source, queues one message and answers 202, so its status,
 * body and time are the same whatever the address's state (no account probing), and a failing
 * SES cannot fail it.
 */
export interface SubscriptionApiDeps extends LinkDeps {
  /** Counts one request of a source; refuses when its window is full. */
  readonly admit: (source: string) => Promise<Admission>;
  /** Queues the confirmation request for the worker. */
  readonly queue: (request: ConfirmationRequest) => Promise<void>;
}

/** Pages for browsers and mail clients; JSON for API callers of POST /subscriptions. */
export function wantsHtml(event: APIGatewayProxyEventV2): boolean {
  const path = event.rawPath.replace(/\/+$/, '');
  if (path === CONFIRM_PATH || path === UNSUBSCRIBE_PATH) return true;
  if (isFormPost(event)) return true;
  const accept = requestHeader(event, 'accept') ?? '';
  return accept.includes('text/html');
}

export function log(message: string, fields: Record<string, string | number>): void {
  // Never the address, the token or the source: the log keeps what happened, not who.
  logger.info(message, fields);
}

/** The address from a JSON body `{"email"}` or a form post `email=…`. */
function requestedAddress(event: APIGatewayProxyEventV2): string {
  if (isFormPost(event)) return parseSubscribeAddress(parseForm(event).get('email') ?? undefined);
  const type = mediaType(event);
  if (type !== undefined && type !== 'application/json' && !type.endsWith('+json')) {
    throw new DomainError(
      415,
      'send the address as JSON (Content-Type: application/json) or as a form (application/x-www-form-urlencoded)',
    );
  }
  const body = parseJson(event);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('send a JSON object: {"email": "…"}', [{ path: '', message: 'an object' }]);
  }
  const unknown = Object.keys(body).filter((key) => key !== 'email');
  if (unknown.length > 0) {
    throw new ValidationError(
      'the body has unknown fields',
      unknown.map((path) => ({ path, message: 'unknown field' })),
    );
  }
  return parseSubscribeAddress((body as Record<string, unknown>).email);
}

/**
 * The viewer's source (contract §5): CloudFront's `CloudFront-Viewer-Address` (the local gateway
 * sets it as CloudFront does), IPv6 per /64. The TCP peer of the function is CloudFront itself, so
 * it is only the fallback of a request without the header, which the origin check makes rare.
 */
function sourceOf(event: APIGatewayProxyEventV2): string {
  const ip =
    viewerIp(requestHeader(event, 'cloudfront-viewer-address')) ?? event.requestContext?.http?.sourceIp;
  return sourceKey(ip ?? '') ?? 'unknown';
}

/** Counts the request against its source, or refuses it with 429 and when to try again. */
async function countSource(deps: SubscriptionApiDeps, event: APIGatewayProxyEventV2): Promise<void> {
  const admission = await deps.admit(sourceOf(event));
  if (!admission.ok) {
    log('source limit', { retryAfterSeconds: admission.retryAfterSeconds });
    count(METRICS.subscriptionRequestsLimited);
    throw new TooManyRequestsError(
      `too many subscription requests from your network: try again in ${admission.retryAfterSeconds} seconds`,
      admission.retryAfterSeconds,
    );
  }
}

/** The link's `token` query parameter, if it has a non-empty one. */
export function tokenOf(query: URLSearchParams): string | undefined {
  const token = query.get('token');
  return token === null || token === '' ? undefined : token;
}

export function refused(
  purpose: 'confirm' | 'unsubscribe',
  refusal: LinkRefusal | 'missing',
): APIGatewayProxyStructuredResultV2 {
  log(`${purpose} link refused`, { refusal });
  return html(400, refusedLinkPage(purpose, refusal));
}

export function subscriptionRoutes(deps: SubscriptionApiDeps): Route<null>[] {
  return [
    {
      method: 'POST',
      path: SUBSCRIBE_PATH,
      handle: async ({ event }) => {
        const address = requestedAddress(event);
        await countSource(deps, event);
        await deps.queue({ address, requestedAt: deps.now().toISOString() });
        count(METRICS.subscriptionRequests);
        if (isFormPost(event)) return html(202, checkInboxPage(address));
        return json(202, {
          result: 'accepted',
          message: 'If this address can receive our email, a link to confirm the subscription is on its way.',
        });
      },
    },
    {
      method: 'GET',
      path: CONFIRM_PATH,
      handle: async (request) => {
        // Changes nothing: mail scanners open links, so only the page's POST confirms.
        const token = tokenOf(request.query);
        if (token === undefined) return refused('confirm', 'missing');
        const check = await checkConfirmLink(deps, token);
        if (!check.ok) return refused('confirm', check.refusal);
        const action = `${CONFIRM_PATH}?token=${encodeURIComponent(token)}`;
        return html(200, confirmFormPage(check.address, action));
      },
    },
    {
      method: 'POST',
      path: CONFIRM_PATH,
      handle: async (request) => {
        const token = tokenOf(request.query);
        if (token === undefined) return refused('confirm', 'missing');
        await countSource(deps, request.event);
        const outcome = await confirmSubscription(deps, token);
        if (!outcome.ok) return refused('confirm', outcome.refusal);
        log('confirm', { outcome: outcome.result });
        return html(200, confirmedPage(outcome.address, outcome.result === 'already-confirmed'));
      },
    },
  ];
}
