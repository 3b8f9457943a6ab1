import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DynamoLimitStore } from '#adapters/limit-store';
import { observed } from '#adapters/observability';
import { originSecretFromEnv, secretSourceFromEnv } from '#adapters/secret-source';
import { enqueue } from '#adapters/sqs';
import { DynamoSubscriberStore } from '#adapters/subscriber-store';
import { readEnvironment } from '#config/env';
import { subscriptionsEnvironment } from '#config/functions';
import { confirmationRequestSchema } from '#core/subscriptions/confirmation-request';
import { admit } from '#core/subscriptions/source-limit';
import { scaledTiming } from '#core/subscriptions/timing';
import { errorHandler } from '#http/error-handler';
import { htmlErrorPages } from '#http/html-errors';
import { requireOrigin } from '#http/origin';
import { router } from '#http/router';
import { errorPage } from './pages';
import { type SubscriptionApiDeps, subscriptionRoutes, wantsHtml } from './routes';

const env = readEnvironment(subscriptionsEnvironment);
const timing = scaledTiming(env.LOCAL_TIME_SCALE);
const limits = new DynamoLimitStore();
const now = () => new Date();
const services: SubscriptionApiDeps = {
  subscribers: new DynamoSubscriberStore(),
  secrets: secretSourceFromEnv(env),
  now,
  timing,
  admit: (source) =>
    admit({ store: limits, limit: env.SUBSCRIBE_SOURCE_LIMIT, windowMs: timing.sourceWindowMs, now }, source),
  queue: (request) => enqueue(env.CONFIRMATION_QUEUE_URL, confirmationRequestSchema, [request]),
};

const route = router(subscriptionRoutes(services));

/**
 * Subscribe and confirm (CONTRACT.md §5): no bearer token, only through the site's CloudFront.
 * Errors go through the one mapping; browsers and form posts get it as an HTML page.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(observed())
  .use(htmlErrorPages(wantsHtml, errorPage))
  .use(errorHandler())
  .use(requireOrigin(originSecretFromEnv(env)))
  .handler((event) => route(event, null));
