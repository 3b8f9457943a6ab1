import * as z from 'zod';
import {
  batchBodySchema,
  createClientBodySchema,
  disputeBodySchema,
  putJurisdictionBodySchema,
  putOutcomeBodySchema,
  recordDisputeBodySchema,
  resolutionBodySchema,
  voidBodySchema,
} from '#core/intake/schemas';

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate the bodies, so the
 * description cannot drift from the behaviour. Cross-field rules (e.g. declinedOn only with
 * declined) are in the schemas' descriptions; JSON Schema cannot say them all.
 */
/** Every schema with a meta id, as components that the paths refer to. */
function componentSchemas(): Record<string, unknown> {
  const out = z.toJSONSchema(z.globalRegistry, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
  });
  const schemas: Record<string, unknown> = {};
  for (const [id, value] of Object.entries(out.schemas)) {
    const { $schema: _schema, $id: _id, ...rest } = value as Record<string, unknown>;
    schemas[id] = rest;
  }
  return schemas;
}

function idOf(s: z.ZodType): string {
  const id = z.globalRegistry.get(s)?.id;
  if (id === undefined) throw new Error('every request schema needs a meta id for the OpenAPI document');
  return id;
}

const schema = (s: z.ZodType) => ({ $ref: `#/components/schemas/${idOf(s)}` });

const errorBody = {
  type: 'object',
  required: ['error', 'issues'],
  properties: {
    error: { type: 'string' },
    issues: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [
      String(code),
      {
        description: ERROR_TEXT[code] ?? 'error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );

const ERROR_TEXT: Record<number, string> = {
  400: 'invalid body, path or query',
  401: 'no, unknown or revoked token',
  403: 'the token’s role may not do this',
  404: 'not found (or not visible to this token)',
  409: 'contradicts stored facts, or the record is voided',
  412: 'If-Match names a stale revision, or the record does not exist',
  413: 'body over 256 KiB',
  415: 'body is not JSON',
  429: 'throttled, or the call ran out of time before it wrote anything: send it again (Retry-After)',
};

const body = (s: z.ZodType) => ({ required: true, content: { 'application/json': { schema: schema(s) } } });
const ok = (description: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object' } } },
});
const detainerId = {
  name: 'detainerId',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$' },
};
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  required: false,
  schema: { type: 'string' },
  description: 'revision, e.g. "3"',
};

const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', minLength: 1, maxLength: 128 },
  description: 'repeating a key answers the dispute it opened instead of opening another',
};

let cached: unknown;

export function openApiDocument(): unknown {
  cached ??= {
    openapi: '3.1.0',
    info: {
      title: 'Declined Detainer Outcome Report: intake API',
      version: '1.0.0',
      description:
        'Records detainer outcomes, jurisdictions and their policies, and disputes. Every call except this document needs Authorization: Bearer <token>. null means the same as absent; unknown fields are rejected.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { ...componentSchemas(), Error: errorBody },
    },
    security: [{ bearer: [] }],
    paths: {
      '/outcomes/{detainerId}': {
        parameters: [detainerId],
        put: {
          summary: 'Create or replace the record of one detainer',
          parameters: [ifMatch],
          requestBody: body(putOutcomeBodySchema),
          responses: {
            '201': ok('created'),
            '200': ok('updated or unchanged'),
            ...errors(400, 401, 403, 409, 412, 413, 415, 429),
          },
        },
        get: {
          summary: 'The current record and its history',
          responses: { '200': ok('the record'), ...errors(400, 401, 404, 429) },
        },
      },
      '/outcomes': {
        post: {
          summary: 'A batch of 1–100 records; valid items are stored even when others are not',
          description:
            'A result "conflict" means the item was not written: it contradicts stored facts, or the record was voided, or the call ran out of time before the item (its issue says so; send that item again, which is safe: a write equal to the stored record is "unchanged").',
          requestBody: body(batchBodySchema),
          responses: { '200': ok('one result per item, in order'), ...errors(400, 401, 403, 413, 415, 429) },
        },
      },
      '/outcomes/{detainerId}/void': {
        parameters: [detainerId],
        post: {
          summary: 'Void a record entered in error',
          requestBody: body(voidBodySchema),
          responses: { '200': ok('voided'), ...errors(400, 401, 403, 404, 413, 415, 429) },
        },
      },
      '/outcomes/{detainerId}/disputes': {
        parameters: [detainerId],
        post: {
          summary: 'Dispute a known record',
          parameters: [idempotencyKey],
          requestBody: body(recordDisputeBodySchema),
          responses: { '201': ok('the dispute'), ...errors(400, 401, 404, 409, 413, 415, 429) },
        },
      },
      '/jurisdictions/{id}': {
        parameters: [
          {
            name: 'id',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$' },
          },
        ],
        put: {
          summary: 'A jurisdiction and its policy (Section III)',
          requestBody: body(putJurisdictionBodySchema),
          responses: {
            '201': ok('created'),
            '200': ok('updated or unchanged'),
            ...errors(400, 401, 403, 409, 413, 415, 429),
          },
        },
      },
      '/disputes': {
        post: {
          summary: 'Dispute a published row (by ref) or a record (by detainerId)',
          description:
            'A client may hold 3 open disputes about one record (409 past it) and open 100 in any 24 hours (429 with Retry-After past it).',
          parameters: [idempotencyKey],
          requestBody: body(disputeBodySchema),
          responses: { '201': ok('the dispute'), ...errors(400, 401, 404, 409, 413, 415, 429) },
        },
        get: {
          summary: 'List disputes, oldest first, in pages (a jurisdiction token sees its own)',
          parameters: [
            {
              name: 'status',
              in: 'query',
              schema: {
                type: 'string',
                enum: ['open', 'resolved', 'all', 'corrected', 'rejected'],
                default: 'open',
              },
            },
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            },
            {
              name: 'cursor',
              in: 'query',
              schema: { type: 'string' },
              description: 'the `next` of the previous page',
            },
          ],
          responses: {
            '200': ok('{"disputes": [… each with ageSeconds], "next": cursor or null}'),
            ...errors(400, 401, 429),
          },
        },
      },
      '/disputes/{id}/resolution': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        post: {
          summary: 'Resolve a dispute',
          requestBody: body(resolutionBodySchema),
          responses: { '200': ok('resolved'), ...errors(400, 401, 403, 404, 409, 413, 415, 429) },
        },
      },
      '/clients': {
        post: {
          summary: 'Admin: create a client; the token is in this answer only',
          requestBody: body(createClientBodySchema),
          responses: { '201': ok('the client and its token'), ...errors(400, 401, 403, 413, 415, 429) },
        },
        get: {
          summary: 'Admin: list clients (no tokens)',
          responses: { '200': ok('clients'), ...errors(401, 403, 429) },
        },
      },
      '/clients/{id}': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        delete: {
          summary: 'Admin: revoke a client',
          responses: { '200': ok('revoked'), ...errors(401, 403, 404, 429) },
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', security: [], responses: { '200': ok('OpenAPI 3.1') } },
      },
    },
  };
  return cached;
}
