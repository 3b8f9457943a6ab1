import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { count, logger } from '#adapters/observability';
import { DomainError } from '#core/errors';
import { METRICS } from '#core/operations/metrics';
import { withoutAddresses } from '#core/redact';
import { json } from './responses';

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);

/**
 * The one mapping from errors to HTTP answers. A domain error keeps its status, message and
 * issues; storage throttling is a 429 the client may retry; anything else is a bare 500 that
 * leaks nothing (its details go to the log, never to the caller).
 */
export function errorHandler(): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: async (request) => {
      const error = request.error;
      if (error instanceof DomainError) {
        request.response = json(
          error.status,
          { error: error.message, issues: error.issues },
          { ...error.headers },
        );
        return;
      }
      if (error instanceof Error && THROTTLING.has(error.name)) {
        request.response = json(
          429,
          { error: 'too many requests: retry shortly', issues: [] },
          { 'retry-after': '1' },
        );
        return;
      }
      logger.error('unhandled error', {
        name: error instanceof Error ? error.name : typeof error,
        error: withoutAddresses(error instanceof Error ? error.message : String(error)),
        ...(error instanceof Error && error.stack !== undefined
          ? { stack: withoutAddresses(error.stack) }
          : {}),
      });
      count(METRICS.unhandledErrors);
      request.response = json(500, { error: 'internal error', issues: [] });
    },
  };
}
