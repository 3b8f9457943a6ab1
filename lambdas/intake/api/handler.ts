import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DynamoClientStore } from '#adapters/client-store';
import { DynamoDisputeStore } from '#adapters/dispute-store';
import { DynamoEditionStore } from '#adapters/edition-store';
import { DynamoJurisdictionStore } from '#adapters/jurisdiction-store';
import { observed } from '#adapters/observability';
import { DynamoOutcomeStore } from '#adapters/outcome-store';
import { readEnvironment } from '#config/env';
import { intakeEnvironment } from '#config/functions';
import { UnauthorizedError } from '#core/errors';
import { todayIn } from '#core/reporting-week';
import { type AuthContext, bearerAuth } from '#http/auth';
import { callDeadline } from '#http/deadline';
import { errorHandler } from '#http/error-handler';
import { router } from '#http/router';
import { type IntakeServices, intakeRoutes } from './routes';

const env = readEnvironment(intakeEnvironment);
const editions = new DynamoEditionStore();
const services: IntakeServices = {
  outcomes: new DynamoOutcomeStore(),
  jurisdictions: new DynamoJurisdictionStore(),
  clients: new DynamoClientStore(),
  disputes: new DynamoDisputeStore(),
  now: () => new Date(),
  today: () => todayIn(env.REPORT_TIME_ZONE),
  markDirty: (weeks, at) => editions.markDirty(weeks, at),
  markWrite: (weeks, write, at) => editions.markWrite(weeks, write, at),
};

const route = router(intakeRoutes(services));

const isPublic = (event: APIGatewayProxyEventV2) =>
  event.rawPath === '/openapi.json' && event.requestContext.http.method.toUpperCase() === 'GET';

/** The intake API: every route of CONTRACT.md section 2, including unmatched ones (404). */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, AuthContext>()
  .use(observed())
  .use(errorHandler())
  .use(bearerAuth(services.clients, isPublic))
  .handler(async (event, context): Promise<APIGatewayProxyStructuredResultV2> => {
    if (isPublic(event)) return route(event, { id: 'public', name: 'public', role: 'intake' });
    if (!context.actor) throw new UnauthorizedError();
    return route(event, context.actor, callDeadline(context));
  });
