import * as z from 'zod/mini';
import {
  batchAnswerSchema,
  clientListSchema,
  createdClientSchema,
  disputeAnswerSchema,
  disputePageSchema,
  draftAnswerSchema,
  jurisdictionAnswerSchema,
  jurisdictionReadSchema,
  outcomeAnswerSchema,
  responseRegistry,
  reviewAnswerSchema,
  revokedClientSchema,
  voidAnswerSchema,
  writeAnswerSchema,
} from '#core/intake/responses';
import {
  batchBodySchema,
  createClientBodySchema,
  disputeBodySchema,
  putJurisdictionBodySchema,
  putOutcomeBodySchema,
  recordDisputeBodySchema,
  resolutionBodySchema,
  reviewBodySchema,
  voidBodySchema,
} from '#core/intake/schemas';

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate the bodies and
 * describe the answers, so the description cannot drift from the behaviour. Cross-field rules
 * (e.g. declinedOn only with declined) are in the schemas' descriptions; JSON Schema cannot say
 * them all.
 */

/** JSON Schema of every schema of `registry`, as components, `$ref`s between them. */
function componentsOf(registry: typeof z.globalRegistry | typeof responseRegistry, io: 'input' | 'output') {
  const out = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    io,
    uri: (id) => `#/components/schemas/${id}`,
  });
  const schemas: Record<string, unknown> = {};
  for (const [id, value] of Object.entries(out.schemas)) {
    const { $schema: _schema, $id: _id, ...rest } = value as Record<string, unknown>;
    schemas[id] = rest;
  }
  return schemas;
}

/**
 * A request may send `null` for any optional field (it means absent): the document says so, so a
 * generated client may send it too. Applied to request schemas only; answers never carry it.
 */
function allowNullForOptional(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(allowNullForOptional);
  if (node === null || typeof node !== 'object') return node;
  const object = Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, allowNullForOptional(value)]),
  ) as Record<string, unknown>;
  const properties = object.properties as Record<string, unknown> | undefined;
  if (properties !== undefined) {
    const required = new Set((object.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries(properties)) {
      if (required.has(name) || isNullable(schema)) continue;
      properties[name] = { anyOf: [schema, { type: 'null' }] };
    }
  }
  return object;
}

function isNullable(schema: unknown): boolean {
  const anyOf = (schema as { anyOf?: unknown[] }).anyOf;
  return anyOf?.some((s) => (s as { type?: unknown }).type === 'null') === true;
}

function idOf(
  s: z.core.$ZodType,
  registry: typeof z.globalRegistry | typeof responseRegistry = z.globalRegistry,
): string {
  const id = registry.get(s)?.id;
  if (id === undefined)
    throw new Error('every request and response schema needs an id for the OpenAPI document');
  return id;
}

const schema = (s: z.core.$ZodType) => ({ $ref: `#/components/schemas/${idOf(s)}` });

const HEADERS = {
  ETag: {
    description: 'the revision the answer shows, e.g. "3": send it back in If-Match',
    schema: { type: 'string', pattern: '^"[0-9]+"$' },
  },
  RetryAfter: {
    description: 'seconds to wait before trying again',
    schema: { type: 'integer', minimum: 0 },
  },
};

const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [
      String(code),
      {
        description: ERROR_TEXT[code] ?? 'error',
        ...(code === 429 ? { headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } } : {}),
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
  429: 'throttled, or the call ran out of time before it wrote anything: send it again after Retry-After',
};

const body = (s: z.core.$ZodType) => ({
  required: true,
  content: { 'application/json': { schema: schema(s) } },
});
/** A success answer of `answer`'s schema, with an ETag when it shows a revision. */
const ok = (description: string, answer: z.core.$ZodType, withEtag = false) => ({
  description,
  ...(withEtag ? { headers: { ETag: { $ref: '#/components/headers/ETag' } } } : {}),
  content: {
    'application/json': { schema: { $ref: `#/components/schemas/${idOf(answer, responseRegistry)}` } },
  },
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

const week = {
  name: 'week',
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'date' },
  description: 'any day of the week (its Saturday names it)',
};

const clientId = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
};

/**
 * Without the components nothing refers to (a request schema only others embed): generators
 * and linters take an unused one for a mistake.
 */
function withoutUnusedSchemas<D extends { components: { schemas: Record<string, unknown> } }>(
  document: D,
): D {
  const schemas = { ...document.components.schemas };
  for (;;) {
    const text = JSON.stringify({ ...document, components: { ...document.components, schemas } });
    const unused = Object.keys(schemas).filter((id) => !text.includes(`"#/components/schemas/${id}"`));
    if (unused.length === 0) return { ...document, components: { ...document.components, schemas } };
    for (const id of unused) delete schemas[id];
  }
}

let cached: unknown;

export function openApiDocument(): unknown {
  cached ??= withoutUnusedSchemas({
    openapi: '3.1.0',
    info: {
      title: 'Declined Detainer Outcome Report: intake API',
      version: '3.0.0',
      description:
        'Records detainer outcomes, jurisdictions and their policies, and disputes. Every call except this document needs Authorization: Bearer <token>. null means the same as absent; unknown fields are rejected.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-ddor' },
    },
    // Relative: the document is served by the API it describes, locally and deployed.
    servers: [{ url: '/', description: 'the API that serves this document' }],
    tags: [
      { name: 'outcomes', description: 'Detainer records and their history' },
      { name: 'jurisdictions', description: 'Agencies and their policies (Section III)' },
      { name: 'disputes', description: 'Disputes about published rows and records' },
      { name: 'review', description: 'Editorial review: drafts, their checks and decisions' },
      { name: 'clients', description: 'Admin: API clients and their tokens' },
      { name: 'meta', description: 'This document' },
    ],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      headers: HEADERS,
      schemas: {
        ...(allowNullForOptional(componentsOf(z.globalRegistry, 'input')) as Record<string, unknown>),
        ...componentsOf(responseRegistry, 'output'),
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/outcomes/{detainerId}': {
        parameters: [detainerId],
        put: {
          operationId: 'putOutcome',
          tags: ['outcomes'],
          summary: 'Create or replace the record of one detainer',
          parameters: [ifMatch],
          requestBody: body(putOutcomeBodySchema),
          responses: {
            '201': ok('created', writeAnswerSchema, true),
            '200': ok('updated or unchanged', writeAnswerSchema, true),
            ...errors(400, 401, 403, 409, 412, 413, 415, 429),
          },
        },
        get: {
          operationId: 'getOutcome',
          tags: ['outcomes'],
          summary: 'The current record and its history',
          responses: { '200': ok('the record', outcomeAnswerSchema, true), ...errors(400, 401, 404, 429) },
        },
      },
      '/outcomes': {
        get: {
          operationId: 'getOutcomeByRef',
          tags: ['outcomes'],
          summary: "The record a published row's ref names, with its history",
          description:
            'Intake, admin and editor tokens; a jurisdiction token finds only records that name it (another ref answers 404, as an unknown one does).',
          parameters: [
            {
              name: 'ref',
              in: 'query',
              required: true,
              schema: { type: 'string', minLength: 1, maxLength: 100 },
              description: "a published row's ref, as report.json and the page show it",
            },
          ],
          responses: { '200': ok('the record', outcomeAnswerSchema, true), ...errors(400, 401, 404, 429) },
        },
        post: {
          operationId: 'postOutcomes',
          tags: ['outcomes'],
          summary: 'A batch of 1–100 records; valid items are stored even when others are not',
          description:
            'A result "conflict" means the item was not written: it contradicts stored facts, or the record was voided, or the call ran out of time before the item (its issue says so; send that item again, which is safe: a write equal to the stored record is "unchanged").',
          requestBody: body(batchBodySchema),
          responses: {
            '200': ok('one result per item, in order', batchAnswerSchema),
            ...errors(400, 401, 403, 413, 415, 429),
          },
        },
      },
      '/outcomes/{detainerId}/void': {
        parameters: [detainerId],
        post: {
          operationId: 'voidOutcome',
          tags: ['outcomes'],
          summary: 'Void a record entered in error',
          requestBody: body(voidBodySchema),
          responses: {
            '200': ok('voided', voidAnswerSchema, true),
            ...errors(400, 401, 403, 404, 413, 415, 429),
          },
        },
      },
      '/outcomes/{detainerId}/disputes': {
        parameters: [detainerId],
        post: {
          operationId: 'disputeOutcome',
          tags: ['disputes'],
          summary: 'Dispute a known record',
          parameters: [idempotencyKey],
          requestBody: body(recordDisputeBodySchema),
          responses: {
            '201': ok('the dispute', disputeAnswerSchema),
            ...errors(400, 401, 403, 404, 409, 413, 415, 429),
          },
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
          operationId: 'putJurisdiction',
          tags: ['jurisdictions'],
          summary: 'A jurisdiction and its policy (Section III)',
          parameters: [ifMatch],
          requestBody: body(putJurisdictionBodySchema),
          responses: {
            '201': ok('created', jurisdictionAnswerSchema, true),
            '200': ok('updated or unchanged', jurisdictionAnswerSchema, true),
            ...errors(400, 401, 403, 409, 412, 413, 415, 429),
          },
        },
        get: {
          operationId: 'getJurisdiction',
          tags: ['jurisdictions'],
          summary: 'The jurisdiction with every policy version, its history and its revision',
          responses: {
            '200': ok('the jurisdiction', jurisdictionReadSchema, true),
            ...errors(400, 401, 404, 429),
          },
        },
      },
      '/disputes': {
        post: {
          operationId: 'openDispute',
          tags: ['disputes'],
          summary: 'Dispute a published row (by ref) or a record (by detainerId)',
          description:
            'A client may hold 3 open disputes about one record (409 past it) and open 100 in any 24 hours (429 with Retry-After past it).',
          parameters: [idempotencyKey],
          requestBody: body(disputeBodySchema),
          responses: {
            '201': ok('the dispute', disputeAnswerSchema),
            ...errors(400, 401, 403, 404, 409, 413, 415, 429),
          },
        },
        get: {
          operationId: 'listDisputes',
          tags: ['disputes'],
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
            '200': ok('a page of disputes, each with its age', disputePageSchema),
            ...errors(400, 401, 403, 429),
          },
        },
      },
      '/disputes/{id}/resolution': {
        parameters: [
          {
            name: 'id',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
          },
        ],
        post: {
          operationId: 'resolveDispute',
          tags: ['disputes'],
          summary: 'Resolve a dispute',
          requestBody: body(resolutionBodySchema),
          responses: {
            '200': ok('resolved', disputeAnswerSchema),
            ...errors(400, 401, 403, 404, 409, 413, 415, 429),
          },
        },
      },
      '/editions/{week}/draft.json': {
        parameters: [week],
        get: {
          operationId: 'getDraft',
          tags: ['review'],
          summary: 'Editor or admin: a draft, its checks, review state and decisions',
          responses: {
            '200': ok('the draft', draftAnswerSchema),
            ...errors(400, 401, 403, 404, 429),
          },
        },
      },
      '/editions/{week}/draft': {
        parameters: [week],
        get: {
          operationId: 'getDraftPage',
          tags: ['review'],
          summary: 'The draft page as it would be published, marked as a draft',
          description:
            'With an editor or admin token, or with no token and the preview key of the editors’ email (valid 72 hours). Answers X-Robots-Tag: noindex, Cache-Control: no-store, Referrer-Policy: no-referrer.',
          security: [{ bearer: [] }, {}],
          parameters: [
            {
              name: 'key',
              in: 'query',
              required: false,
              schema: { type: 'string', minLength: 20, maxLength: 100 },
              description: 'the preview key of the editors’ email, instead of a token',
            },
          ],
          responses: {
            '200': {
              description: 'the draft page',
              content: { 'text/html': { schema: { type: 'string' } } },
            },
            ...errors(400, 401, 403, 404, 429),
          },
        },
      },
      '/editions/{week}/review': {
        parameters: [week],
        post: {
          operationId: 'reviewDraft',
          tags: ['review'],
          summary: 'Editor or admin: approve (publishes at once, in every mode) or hold a draft',
          description:
            'A hold needs a reason. An approval also releases a hold; with contentHash it is refused (409) when the draft changed since it was read. 409 for a week with no draft or a draft already published.',
          requestBody: body(reviewBodySchema),
          responses: {
            '200': ok('the decision is kept', reviewAnswerSchema),
            ...errors(400, 401, 403, 409, 413, 415, 429),
          },
        },
      },
      '/clients': {
        post: {
          operationId: 'createClient',
          tags: ['clients'],
          summary: 'Admin: create a client; the token is in this answer only',
          requestBody: body(createClientBodySchema),
          responses: {
            '201': ok('the client and its token', createdClientSchema),
            ...errors(400, 401, 403, 413, 415, 429),
          },
        },
        get: {
          operationId: 'listClients',
          tags: ['clients'],
          summary: 'Admin: list clients (no tokens)',
          responses: { '200': ok('clients', clientListSchema), ...errors(401, 403, 429) },
        },
      },
      '/clients/{id}': {
        parameters: [clientId],
        delete: {
          operationId: 'revokeClient',
          tags: ['clients'],
          summary: 'Admin: revoke a client',
          responses: { '200': ok('revoked', revokedClientSchema), ...errors(400, 401, 403, 404, 429) },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          tags: ['meta'],
          summary: 'This document',
          security: [],
          responses: {
            '200': {
              description: 'OpenAPI 3.1',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            ...errors(429),
          },
        },
      },
    },
  });
  return cached;
}
