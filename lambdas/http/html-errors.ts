import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { html } from './html';

/** An error page: status and the message the error mapping chose to show. */
export type ErrorPage = (status: number, message: string) => string;

/**
 * Shows the error mapping's answer as an HTML page to requests that want one (a browser following
 * a link, a form post). It runs after `errorHandler()` (use it *before* that in the chain, as
 * middy runs onError last-registered first), so status and message are decided in one place
 * and only the presentation changes; response headers such as `allow` and `retry-after` are kept.
 */
export function htmlErrorPages(
  wantsHtml: (event: APIGatewayProxyEventV2) => boolean,
  page: ErrorPage,
): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: async (request) => {
      const response = request.response;
      if (response === undefined || response === null || !wantsHtml(request.event)) return;
      const status = response.statusCode ?? 500;
      let message = 'Something went wrong.';
      try {
        const body: unknown = JSON.parse(response.body ?? '');
        if (typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'string') {
          message = body.error;
        }
      } catch {
        // Not the mapping's JSON: keep the generic message.
      }
      const { 'content-type': _type, ...kept } = Object.fromEntries(
        Object.entries(response.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
      );
      request.response = html(status, page(status, message), kept);
    },
  };
}
