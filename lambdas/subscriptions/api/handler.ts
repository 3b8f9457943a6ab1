import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { sendEmail } from '#adapters/mailer';
import { secretSourceFromEnv } from '#adapters/secret-source';
import { DynamoSubscriberStore } from '#adapters/subscriber-store';
import { readEnvironment } from '#config/env';
import { subscriptionsEnvironment } from '#config/functions';
import type { SubscriptionDeps } from '#core/subscriptions/subscriber-lifecycle';
import { errorHandler } from '#http/error-handler';
import { htmlErrorPages } from '#http/html-errors';
import { router } from '#http/router';
import { errorPage } from './pages';
import { subscriptionRoutes, wantsHtml } from './routes';

const env = readEnvironment(subscriptionsEnvironment);
const services: SubscriptionDeps = {
  subscribers: new DynamoSubscriberStore(),
  secrets: secretSourceFromEnv(env),
  sendEmail,
  siteUrl: env.SITE_URL.replace(/\/+$/, ''),
  now: () => new Date(),
};

const route = router(subscriptionRoutes(services));

/**
 * The public subscription endpoints (CONTRACT.md section 5): no bearer token. Errors go through
 * the one mapping; browsers and form posts get it as an HTML page.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(htmlErrorPages(wantsHtml, errorPage))
  .use(errorHandler())
  .handler((event) => route(event, null));
