import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { RECORD_METRICS } from '#core/operations/metrics';
import '#core/zod-messages';
import { count } from '#adapters/observability';
import { NotFoundError, ValidationError } from '#core/errors';
import { writeBatch } from '#core/intake/batch';
import { createClient, publicClient, revokeClient } from '#core/intake/clients';
import { openDispute, pageDisputes, resolveDispute } from '#core/intake/disputes';
import { getJurisdiction, putJurisdiction } from '#core/intake/jurisdictions';
import type { Actor, ClientStore, DisputeStore } from '#core/intake/model';
import { getOutcome, getOutcomeByRef, type IntakeDeps, putOutcome, voidOutcome } from '#core/intake/outcomes';
import {
  batchBodySchema,
  createClientBodySchema,
  detainerIdSchema,
  disputeBodySchema,
  jurisdictionIdSchema,
  putJurisdictionBodySchema,
  putOutcomeBodySchema,
  recordDisputeBodySchema,
  resolutionBodySchema,
  reviewBodySchema,
  voidBodySchema,
} from '#core/intake/schemas';
import { toIssues } from '#core/issues';
import { weekOf } from '#core/reporting-week';
import { type DeskDeps, draftDocument, draftPage, previewPage, reviewByEditor } from '#core/review/desk';
import { forgetCachedTokens, requireRole } from '#http/auth';
import { parseBody, requestHeader, validate } from '#http/json-body';
import { servedOpenApi } from '#http/openapi-served';
import { json } from '#http/responses';
import type { Route } from '#http/router';

export interface IntakeServices extends IntakeDeps {
  clients: ClientStore;
  disputes: DisputeStore;
  /** The editors' desk (contract §3); absent where no publisher keeps drafts. */
  desk?: DeskDeps;
  /** The draft page's Content-Security-Policy: its stylesheet and links are the site's. */
  draftPolicy?: string;
}

const WRITERS = ['intake', 'admin'] as const;
/** Who may read and review drafts (contract §3). */
const REVIEWERS = ['admin', 'editor'] as const;

/** A week is named by its Saturday; any day of it names it too. */
const weekSchema = z.iso.date('a week is a date, YYYY-MM-DD (its Saturday, or any day of it)');

/** Who may open and list disputes: not an editor, who reads records and reviews drafts only. */
const DISPUTERS = ['intake', 'admin', 'jurisdiction'] as const;

function pathParam<S extends z.ZodMiniType>(schema: S, value: string | undefined, name: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ValidationError(
      `the path parameter ${name} is invalid`,
      toIssues(result.error).map((i) => ({ ...i, path: name })),
    );
  }
  return result.data;
}

/** If-Match: `"n"`, `n`, `W/"n"` or `*`. */
function ifMatch(event: APIGatewayProxyEventV2): number | '*' | undefined {
  const raw = requestHeader(event, 'if-match');
  if (raw === undefined) return undefined;
  // A present but empty If-Match is a malformed condition, not an absent one: never write on it.
  const value = raw.trim();
  if (value === '*') return '*';
  const match = /^(?:W\/)?"?(\d{1,12})"?$/.exec(value);
  if (!match?.[1]) {
    throw new ValidationError('If-Match must be a revision such as "3"', [
      { path: 'If-Match', message: `not a revision: ${value}` },
    ]);
  }
  return Number(match[1]);
}

const etag = (revision: number) => ({ etag: `"${revision}"` });

/** `Idempotency-Key`: 1–128 visible ASCII characters, or absent. */
function idempotencyKey(event: APIGatewayProxyEventV2): string | undefined {
  const raw = requestHeader(event, 'idempotency-key');
  if (raw === undefined) return undefined;
  const key = raw.trim();
  if (!/^[\x21-\x7e]{1,128}$/.test(key)) {
    throw new ValidationError('Idempotency-Key must be 1 to 128 visible ASCII characters', [
      { path: 'Idempotency-Key', message: 'e.g. a UUID made once per dispute you mean to open' },
    ]);
  }
  return key;
}

/** `GET /outcomes?ref=R`: the one query of the record list, a published row's ref. */
const outcomeQuerySchema = z.strictObject({
  ref: z
    .string({ error: "ref is required: GET /outcomes?ref=R, R being a published row's ref" })
    .check(z.minLength(1, 'ref must not be empty'), z.maxLength(100, 'ref is at most 100 characters')),
});

const disputeQuerySchema = z.strictObject({
  status: z._default(
    z.enum(['open', 'resolved', 'all', 'corrected', 'rejected'], {
      error: 'status must be open, resolved or all (or corrected, rejected)',
    }),
    'open',
  ),
  limit: z._default(
    z.coerce
      .number({ error: 'limit must be a number from 1 to 500' })
      .check(
        z.refine(Number.isSafeInteger, 'limit must be a whole number from 1 to 500'),
        z.minimum(1, 'limit must be from 1 to 500'),
        z.maximum(500, 'limit must be from 1 to 500'),
      ),
    100,
  ),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(500))),
});

/** Records written, by result (`RecordsCreated`, `RecordsUpdated`, `RecordsUnchanged`, `RecordsConflict`, …). */
function countWrites(results: readonly (keyof typeof RECORD_METRICS)[]): void {
  const byResult = new Map<keyof typeof RECORD_METRICS, number>();
  for (const result of results) byResult.set(result, (byResult.get(result) ?? 0) + 1);
  for (const [result, n] of byResult) count(RECORD_METRICS[result], n);
}

function desk(services: IntakeServices): DeskDeps {
  if (services.desk === undefined) throw new NotFoundError('this API serves no drafts');
  return services.desk;
}

/** A draft's page: never cached or indexed, no referrer (a preview URL carries its key). */
export function draftHtml(services: IntakeServices, page: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-robots-tag': 'noindex, nofollow',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      ...(services.draftPolicy === undefined ? {} : { 'content-security-policy': services.draftPolicy }),
    },
    body: page,
  };
}

export function intakeRoutes(services: IntakeServices): Route<Actor>[] {
  return [
    {
      method: 'GET',
      path: '/openapi.json',
      // Built from the schemas at build time (scripts/build-openapi.ts), not in the function.
      handle: async () => json(200, servedOpenApi()),
    },
    {
      method: 'PUT',
      path: '/outcomes/{detainerId}',
      handle: async ({ event, params, actor, signal }) => {
        requireRole(actor, WRITERS, 'write records');
        const detainerId = pathParam(detainerIdSchema, params.detainerId, 'detainerId');
        const { reason, ...input } = parseBody(event, putOutcomeBodySchema);
        const condition = ifMatch(event);
        const out = await putOutcome(services, {
          detainerId,
          input,
          actor,
          signal,
          ...(reason === undefined ? {} : { reason }),
          ...(condition === undefined ? {} : { ifMatch: condition }),
        });
        countWrites([out.result]);
        return json(out.result === 'created' ? 201 : 200, out, etag(out.revision));
      },
    },
    {
      method: 'POST',
      path: '/outcomes',
      handle: async ({ event, actor, signal }) => {
        requireRole(actor, WRITERS, 'write records');
        const { outcomes } = parseBody(event, batchBodySchema);
        const results = await writeBatch(services, outcomes, actor, signal);
        countWrites(results.map((item) => item.result));
        return json(200, { results });
      },
    },
    {
      method: 'GET',
      path: '/outcomes',
      handle: async ({ query, actor }) => {
        const { ref } = validate(outcomeQuerySchema, Object.fromEntries(query), 'the query is invalid');
        const view = await getOutcomeByRef(services, ref, actor);
        return json(200, view, etag(view.revision));
      },
    },
    {
      method: 'GET',
      path: '/outcomes/{detainerId}',
      handle: async ({ params, actor }) => {
        const detainerId = pathParam(detainerIdSchema, params.detainerId, 'detainerId');
        const view = await getOutcome(services, detainerId, actor);
        return json(200, view, etag(view.revision));
      },
    },
    {
      method: 'POST',
      path: '/outcomes/{detainerId}/void',
      handle: async ({ event, params, actor, signal }) => {
        requireRole(actor, WRITERS, 'void records');
        const detainerId = pathParam(detainerIdSchema, params.detainerId, 'detainerId');
        const { reason } = parseBody(event, voidBodySchema);
        const out = await voidOutcome(services, { detainerId, reason, actor, signal });
        return json(200, out, etag(out.revision));
      },
    },
    {
      method: 'POST',
      path: '/outcomes/{detainerId}/disputes',
      handle: async ({ event, params, actor }) => {
        requireRole(actor, DISPUTERS, 'open disputes');
        const detainerId = pathParam(detainerIdSchema, params.detainerId, 'detainerId');
        const { reason } = parseBody(event, recordDisputeBodySchema);
        return json(201, await openDispute(services, { detainerId }, reason, actor, idempotencyKey(event)));
      },
    },
    {
      method: 'PUT',
      path: '/jurisdictions/{id}',
      handle: async ({ event, params, actor }) => {
        requireRole(actor, WRITERS, 'write jurisdictions');
        const id = pathParam(jurisdictionIdSchema, params.id, 'id');
        const body = parseBody(event, putJurisdictionBodySchema, ['policy']);
        const condition = ifMatch(event);
        const out = await putJurisdiction(services, {
          id,
          name: body.name,
          state: body.state,
          actor,
          ...(condition === undefined ? {} : { ifMatch: condition }),
          ...(body.aor === undefined ? {} : { aor: body.aor }),
          ...(body.policy === undefined ? {} : { policy: body.policy }),
          ...(body.reason === undefined ? {} : { reason: body.reason }),
        });
        return json(out.result === 'created' ? 201 : 200, out, etag(out.jurisdiction.revision));
      },
    },
    {
      method: 'GET',
      path: '/jurisdictions/{id}',
      handle: async ({ params, actor }) => {
        const id = pathParam(jurisdictionIdSchema, params.id, 'id');
        const view = await getJurisdiction(services, id, actor);
        return json(200, view, etag(view.revision));
      },
    },
    {
      method: 'POST',
      path: '/disputes',
      handle: async ({ event, actor }) => {
        requireRole(actor, DISPUTERS, 'open disputes');
        const body = parseBody(event, disputeBodySchema);
        const target = body.ref !== undefined ? { ref: body.ref } : { detainerId: body.detainerId ?? '' };
        return json(201, await openDispute(services, target, body.reason, actor, idempotencyKey(event)));
      },
    },
    {
      method: 'GET',
      path: '/disputes',
      handle: async ({ query, actor }) => {
        requireRole(actor, DISPUTERS, 'list disputes');
        const { status, limit, cursor } = validate(
          disputeQuerySchema,
          Object.fromEntries(query),
          'the query is invalid',
        );
        return json(
          200,
          await pageDisputes(services, status, actor, { limit, ...(cursor === undefined ? {} : { cursor }) }),
        );
      },
    },
    {
      method: 'POST',
      path: '/disputes/{id}/resolution',
      handle: async ({ event, params, actor }) => {
        requireRole(actor, WRITERS, 'resolve disputes');
        const id = pathParam(
          z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a dispute id')),
          params.id,
          'id',
        );
        const body = parseBody(event, resolutionBodySchema);
        return json(200, await resolveDispute(services, id, body.outcome, body.reason, actor));
      },
    },
    {
      method: 'GET',
      path: '/editions/{week}/draft.json',
      handle: async ({ params, actor }) => {
        requireRole(actor, REVIEWERS, 'read drafts');
        const week = weekOf(pathParam(weekSchema, params.week, 'week'));
        return json(200, await draftDocument(desk(services), week));
      },
    },
    {
      method: 'GET',
      path: '/editions/{week}/draft',
      handle: async ({ params, query, actor }) => {
        const week = weekOf(pathParam(weekSchema, params.week, 'week'));
        // The editors' email's link: read-only, by the draft's key, with no token (the handler let it through).
        const key = query.get('key');
        if (key !== null) return draftHtml(services, await previewPage(desk(services), week, key));
        requireRole(actor, REVIEWERS, 'read drafts');
        return draftHtml(services, await draftPage(desk(services), week));
      },
    },
    {
      method: 'POST',
      path: '/editions/{week}/review',
      handle: async ({ event, params, actor }) => {
        requireRole(actor, REVIEWERS, 'review drafts');
        const week = weekOf(pathParam(weekSchema, params.week, 'week'));
        const body = parseBody(event, reviewBodySchema);
        return json(200, await reviewByEditor(desk(services), week, body, actor.name));
      },
    },
    {
      method: 'POST',
      path: '/clients',
      handle: async ({ event, actor }) => {
        requireRole(actor, ['admin'], 'manage clients');
        const body = parseBody(event, createClientBodySchema);
        return json(201, await createClient(services.clients, body, services.now()));
      },
    },
    {
      method: 'GET',
      path: '/clients',
      handle: async ({ actor }) => {
        requireRole(actor, ['admin'], 'manage clients');
        const clients = await services.clients.list();
        return json(200, { clients: clients.map(publicClient) });
      },
    },
    {
      method: 'DELETE',
      path: '/clients/{id}',
      handle: async ({ params, actor }) => {
        requireRole(actor, ['admin'], 'manage clients');
        const id = pathParam(
          z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a client id')),
          params.id,
          'id',
        );
        const client = await revokeClient(services.clients, id, services.now());
        forgetCachedTokens();
        return json(200, { ...publicClient(client), revoked: true });
      },
    },
  ];
}
