import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * One JSON line per request, with HTTP API variables only (docs/ARCHITECTURE.md, personal data):
 * no headers (so no bearer token), no query string (so no link token), and no path, which names a
 * detainer on the intake API: the route is what the log keeps. The caller's IP stays, for a token
 * used from where it should not be (on the subscriptions API it is CloudFront's, not a reader's).
 */
export const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    method: '$context.httpMethod',
    route: '$context.routeKey',
    status: '$context.status',
    responseLength: '$context.responseLength',
    latency: '$context.responseLatency',
    integrationStatus: '$context.integrationStatus',
    integrationError: '$context.integrationErrorMessage',
    error: '$context.error.message',
  }),
);

/** Access logs are kept a month, whatever the functions' logs keep: long enough to look into abuse. */
export const ACCESS_LOG_RETENTION = RetentionDays.ONE_MONTH;
