import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DomainError, ValidationError } from '#core/errors';
import { CONFIRM_PATH, SUBSCRIBE_PATH, UNSUBSCRIBE_PATH } from '#core/subscriptions/links';
import {
  checkUnsubscribeLink,
  confirmSubscription,
  type LinkRefusal,
  parseSubscribeAddress,
  type SubscriptionDeps,
  subscribe,
  unsubscribe,
} from '#core/subscriptions/subscriber-lifecycle';
import { isFormPost, mediaType, parseForm } from '#http/form-body';
import { html } from '#http/html';
import { parseJson, requestHeader } from '#http/json-body';
import { json } from '#http/responses';
import type { Route, RouteRequest } from '#http/router';
import {
  checkInboxPage,
  confirmedPage,
  refusedLinkPage,
  unsubscribedPage,
  unsubscribeFormPage,
} from './pages';

/**
 * The public subscription endpoints of CONTRACT.md section 5. No bearer token: the links carry
 * signed tokens, and the subscribe answer is the same for every address (no account probing).
 */

/** Pages for browsers and mail clients; JSON for API callers of POST /subscriptions. */
export function wantsHtml(event: APIGatewayProxyEventV2): boolean {
  const path = event.rawPath.replace(/\/+$/, '');
  if (path === CONFIRM_PATH || path === UNSUBSCRIBE_PATH) return true;
  if (isFormPost(event)) return true;
  const accept = requestHeader(event, 'accept') ?? '';
  return accept.includes('text/html');
}

function log(message: string, fields: Record<string, string>): void {
  // Never the address or the token: the log keeps what happened, not who.
  console.log(JSON.stringify({ level: 'INFO', message, ...fields }));
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
  const body = parseJson(event) as Record<string, unknown>;
  const unknown = Object.keys(body).filter((key) => key !== 'email');
  if (unknown.length > 0) {
    throw new ValidationError(
      'the body has unknown fields',
      unknown.map((path) => ({ path, message: 'unknown field' })),
    );
  }
  return parseSubscribeAddress(body.email);
}

function tokenOf(request: RouteRequest<null>): string | undefined {
  const token = request.query.get('token');
  return token === null || token === '' ? undefined : token;
}

function refused(
  purpose: 'confirm' | 'unsubscribe',
  refusal: LinkRefusal | 'missing',
): APIGatewayProxyStructuredResultV2 {
  log(`${purpose} link refused`, { refusal });
  return html(400, refusedLinkPage(purpose, refusal));
}

export function subscriptionRoutes(deps: SubscriptionDeps): Route<null>[] {
  return [
    {
      method: 'POST',
      path: SUBSCRIBE_PATH,
      handle: async ({ event }) => {
        const address = requestedAddress(event);
        const outcome = await subscribe(deps, address);
        log('subscribe', { outcome });
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
        const token = tokenOf(request);
        if (token === undefined) return refused('confirm', 'missing');
        const outcome = await confirmSubscription(deps, token);
        if (!outcome.ok) return refused('confirm', outcome.refusal);
        log('confirm', { outcome: outcome.result });
        return html(200, confirmedPage(outcome.address, outcome.result === 'already-confirmed'));
      },
    },
    {
      method: 'GET',
      path: UNSUBSCRIBE_PATH,
      handle: async (request) => {
        // Changes nothing: mail scanners follow links, so only the page's POST unsubscribes.
        const token = tokenOf(request);
        if (token === undefined) return refused('unsubscribe', 'missing');
        const check = await checkUnsubscribeLink(deps, token);
        if (!check.ok) return refused('unsubscribe', check.refusal);
        const action = `${UNSUBSCRIBE_PATH}?token=${encodeURIComponent(token)}`;
        return html(200, unsubscribeFormPage(check.address, action));
      },
    },
    {
      method: 'POST',
      path: UNSUBSCRIBE_PATH,
      // RFC 8058 one-click: the body is `List-Unsubscribe=One-Click`; the page's form and an empty
      // body do the same. The token alone decides, so the body is not read.
      handle: async (request) => {
        const token = tokenOf(request);
        if (token === undefined) return refused('unsubscribe', 'missing');
        const outcome = await unsubscribe(deps, token);
        if (!outcome.ok) return refused('unsubscribe', outcome.refusal);
        log('unsubscribe', { outcome: outcome.result });
        return html(200, unsubscribedPage(outcome.address, outcome.result));
      },
    },
  ];
}
