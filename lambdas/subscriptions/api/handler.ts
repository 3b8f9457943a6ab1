import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { sendEmail } from '#adapters/mailer';
import { secretSourceFromEnv } from '#adapters/secret-source';
import { DynamoSubscriberStore } from '#adapters/subscriber-store';
import { requireEnv } from '#config/env';
import type { SubscriptionDeps } from '#core/subscriptions/subscriber-lifecycle';
import { errorHandler } from '#http/error-handler';
import { htmlErrorPages } from '#http/html-errors';
import { router } from '#http/router';
import { errorPage } from './pages';
import { subscriptionRoutes, wantsHtml } from './routes';

/** SITE_URL: the site's base URL for links in emails and pages (http(s), no query). */
function siteUrl(): string {
  const value = requireEnv('SITE_URL');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`SITE_URL is not a URL: ${value}`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '') {
    throw new Error(`SITE_URL must be an http(s) URL with no query or fragment: ${value}`);
  }
  return value.replace(/\/+$/, '');
}

/** Built on first use, once per container: table, secret, sender and site come from the environment. */
let services: SubscriptionDeps | undefined;
function subscriptionServices(): SubscriptionDeps {
  services ??= {
    subscribers: new DynamoSubscriberStore(),
    secrets: secretSourceFromEnv(),
    sendEmail,
    siteUrl: siteUrl(),
    now: () => new Date(),
  };
  return services;
}

const route = router(subscriptionRoutes(subscriptionServices));

/**
 * The public subscription endpoints (CONTRACT.md section 5): no bearer token. Errors go through
 * the one mapping; browsers and form posts get it as an HTML page.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(htmlErrorPages(wantsHtml, errorPage))
  .use(errorHandler())
  .handler((event) => route(event, null));
