import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DynamoClientStore } from '#adapters/client-store';
import { DynamoDisputeStore } from '#adapters/dispute-store';
import { DynamoEditionStore } from '#adapters/edition-store';
import { DynamoJurisdictionStore } from '#adapters/jurisdiction-store';
import { DynamoOutcomeStore } from '#adapters/outcome-store';
import { reportTimeZone } from '#config/env';
import { UnauthorizedError } from '#core/errors';
import { todayIn } from '#core/reporting-week';
import { type AuthContext, bearerAuth } from '#http/auth';
import { errorHandler } from '#http/error-handler';
import { router } from '#http/router';
import { type IntakeServices, intakeRoutes } from './routes';

/** Built on first use, once per container: tables and time zone come from the environment. */
let services: IntakeServices | undefined;
function intakeServices(): IntakeServices {
  if (!services) {
    const timeZone = reportTimeZone();
    const editions = new DynamoEditionStore();
    services = {
      outcomes: new DynamoOutcomeStore(),
      jurisdictions: new DynamoJurisdictionStore(),
      clients: new DynamoClientStore(),
      disputes: new DynamoDisputeStore(),
      now: () => new Date(),
      today: () => todayIn(timeZone),
      markDirty: (weeks, at) => editions.markDirty(weeks, at),
    };
  }
  return services;
}

const route = router(intakeRoutes(intakeServices));

const isPublic = (event: APIGatewayProxyEventV2) =>
  event.rawPath === '/openapi.json' && event.requestContext.http.method.toUpperCase() === 'GET';

/** The intake API: every route of CONTRACT.md section 2, including unmatched ones (404). */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, AuthContext>()
  .use(errorHandler())
  .use(bearerAuth(() => intakeServices().clients, isPublic))
  .handler(async (event, context): Promise<APIGatewayProxyStructuredResultV2> => {
    if (isPublic(event)) return route(event, { id: 'public', name: 'public', role: 'intake' });
    if (!context.actor) throw new UnauthorizedError();
    return route(event, context.actor);
  });
