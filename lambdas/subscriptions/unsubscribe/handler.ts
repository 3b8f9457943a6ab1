import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { observed } from '#adapters/observability';
import { originSecretFromEnv, secretSourceFromEnv } from '#adapters/secret-source';
import { DynamoSubscriberStore } from '#adapters/subscriber-store';
import { readEnvironment } from '#config/env';
import { unsubscribeEnvironment } from '#config/functions';
import { UNSUBSCRIBE_PATH } from '#core/subscriptions/links';
import { checkUnsubscribeLink, type LinkDeps, unsubscribe } from '#core/subscriptions/subscriber-lifecycle';
import { scaledTiming } from '#core/subscriptions/timing';
import { errorHandler } from '#http/error-handler';
import { html } from '#http/html';
import { htmlErrorPages } from '#http/html-errors';
import { requireOrigin } from '#http/origin';
import { type Route, router } from '#http/router';
import { errorPage, unsubscribedPage, unsubscribeFormPage } from '../api/pages';
import { log, refused, tokenOf } from '../api/routes';

const env = readEnvironment(unsubscribeEnvironment);
const deps: LinkDeps = {
  subscribers: new DynamoSubscriberStore(),
  secrets: secretSourceFromEnv(env),
  now: () => new Date(),
  timing: scaledTiming(env.LOCAL_TIME_SCALE),
};

const routes: Route<null>[] = [
  {
    method: 'GET',
    path: UNSUBSCRIBE_PATH,
    handle: async ({ query }) => {
      // Changes nothing: mail scanners follow links, so only the page's POST unsubscribes.
      const token = tokenOf(query);
      if (token === undefined) return refused('unsubscribe', 'missing');
      const check = await checkUnsubscribeLink(deps, token);
      if (!check.ok) return refused('unsubscribe', check.refusal);
      return html(
        200,
        unsubscribeFormPage(check.address, `${UNSUBSCRIBE_PATH}?token=${encodeURIComponent(token)}`),
      );
    },
  },
  {
    method: 'POST',
    path: UNSUBSCRIBE_PATH,
    // RFC 8058 one-click: the body is `List-Unsubscribe=One-Click`; the page's form and an empty
    // body do the same. The token alone decides, so the body is not read.
    handle: async ({ query }) => {
      const token = tokenOf(query);
      if (token === undefined) return refused('unsubscribe', 'missing');
      const outcome = await unsubscribe(deps, token);
      if (!outcome.ok) return refused('unsubscribe', outcome.refusal);
      log('unsubscribe', { outcome: outcome.result });
      return html(200, unsubscribedPage(outcome.address, outcome.result));
    },
  },
];

const route = router(routes);

/**
 * The unsubscribe link (CONTRACT.md §5), a function and API route of its own: never throttled by
 * other subscription traffic, and never counted against a source.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(observed())
  .use(htmlErrorPages(() => true, errorPage))
  .use(errorHandler())
  .use(requireOrigin(originSecretFromEnv(env)))
  .handler((event) => route(event, null));
