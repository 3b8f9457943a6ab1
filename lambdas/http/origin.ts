import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ForbiddenError } from '#core/errors';
import type { SecretSource } from '#core/subscriptions/subscribers';
import { requestHeader } from './json-body';

/**
 * The header CloudFront adds to every request it forwards to the subscriptions API, with the
 * origin secret's value (lib/constructs/site.ts; the local gateway does the same). The API's own
 * `execute-api` URL is public: without this check a client could skip CloudFront, and with it the
 * WAF and the viewer address the source limit counts.
 */
export const ORIGIN_HEADER = 'x-origin-verify';

/** Refuses (403) any request that did not come through the site's CloudFront distribution. */
export function requireOrigin(
  secret: SecretSource,
): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    before: async (request) => {
      const given = Buffer.from(requestHeader(request.event, ORIGIN_HEADER) ?? '', 'utf8');
      const expected = Buffer.from(await secret.key());
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new ForbiddenError("this endpoint answers only through the site: use the site's address");
      }
    },
  };
}
