import * as z from 'zod/mini';
import '#core/zod-messages';
import { CLIENT_ROLES, jurisdictionRefSchema, outcomeRecordSchema, policySchema } from './schemas';

/**
 * The answers of the intake API as zod schemas: the OpenAPI document's typed responses are
 * generated from them (lambdas/http/openapi.ts), and the integration tests parse real answers
 * with them (strict: a field the document does not name fails), so the two cannot drift.
 *
 * They live in a registry of their own: the stored record is the request's `OutcomeRecord`
 * read as output, and a response never carries the `null`s a request may use for "absent".
 */
export const responseRegistry = z.registry<{ id: string; description?: string }>();

const id = (name: string, description?: string) => ({
  id: name,
  ...(description === undefined ? {} : { description }),
});

const actorSchema = z.strictObject({ id: z.string(), name: z.string() });

export const storedRecordSchema = outcomeRecordSchema.register(
  responseRegistry,
  id('StoredRecord', 'The record as stored: defaults applied (kind, learnedOn), no null.'),
);
responseRegistry.add(jurisdictionRefSchema, id('Jurisdiction'));
responseRegistry.add(policySchema, id('PolicyVersion'));

const writeResult = z.enum(['created', 'updated', 'unchanged']);

export const writeAnswerSchema = z
  .strictObject({ result: writeResult, revision: z.int().check(z.minimum(1)), record: storedRecordSchema })
  .register(responseRegistry, id('WriteAnswer'));

export const voidAnswerSchema = z
  .strictObject({
    result: writeResult,
    revision: z.int().check(z.minimum(1)),
    record: storedRecordSchema,
    voided: z.literal(true),
  })
  .register(responseRegistry, id('VoidAnswer'));

const issueSchema = z.strictObject({ path: z.string(), message: z.string() });

export const batchAnswerSchema = z
  .strictObject({
    results: z.array(
      z.union([
        z.strictObject({
          detainerId: z.string(),
          result: writeResult,
          revision: z.int().check(z.minimum(1)),
        }),
        z.strictObject({
          detainerId: z.string(),
          result: z.enum(['invalid', 'conflict']),
          issues: z.array(issueSchema),
        }),
      ]),
    ),
  })
  .register(responseRegistry, id('BatchAnswer', 'One result per item, in the order sent.'));

const historyEntrySchema = z.strictObject({
  revision: z
    .nullable(z.int().check(z.minimum(1)))
    .register(z.globalRegistry, { description: 'null for a dispute step' }),
  at: z.iso.datetime(),
  client: actorSchema,
  reason: z.nullable(z.string()),
  changes: z.array(z.strictObject({ field: z.string(), before: z.unknown(), after: z.unknown() })),
  dispute: z.optional(z.strictObject({ id: z.string(), step: z.enum(['opened', 'corrected', 'rejected']) })),
});

export const outcomeAnswerSchema = z
  .strictObject({
    detainerId: z
      .optional(z.string())
      .register(z.globalRegistry, { description: 'absent for a jurisdiction token reading by ref' }),
    ref: z.string(),
    revision: z.int().check(z.minimum(1)),
    voided: z.boolean(),
    record: storedRecordSchema,
    history: z.array(historyEntrySchema),
  })
  .register(responseRegistry, id('Outcome', 'The current record and every change to it, oldest first.'));

export const disputeAnswerSchema = z
  .strictObject({
    id: z.string(),
    status: z.enum(['open', 'corrected', 'rejected']),
    ref: z.string(),
    detainerId: z
      .optional(z.string())
      .register(z.globalRegistry, { description: 'absent for a jurisdiction token' }),
    reason: z.string(),
    openedAt: z.iso.datetime(),
    openedBy: actorSchema,
    resolution: z.optional(
      z.strictObject({
        outcome: z.enum(['corrected', 'rejected']),
        reason: z.string(),
        at: z.iso.datetime(),
        by: actorSchema,
      }),
    ),
  })
  .register(responseRegistry, id('DisputeAnswer'));

export const disputePageSchema = z
  .strictObject({
    disputes: z.array(z.extend(disputeAnswerSchema, { ageSeconds: z.int().check(z.minimum(0)) })),
    next: z
      .nullable(z.string())
      .register(z.globalRegistry, { description: 'pass as cursor for the next page; null on the last' }),
  })
  .register(responseRegistry, id('DisputePage'));

const jurisdictionViewSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  aor: z.optional(z.string()),
  policy: z
    .nullable(policySchema)
    .register(z.globalRegistry, { description: 'the version in force today; null when none' }),
  policies: z.array(policySchema),
  revision: z.int().check(z.minimum(0)),
});

export const jurisdictionAnswerSchema = z
  .strictObject({ result: writeResult, jurisdiction: jurisdictionViewSchema })
  .register(responseRegistry, id('JurisdictionAnswer'));

/** `GET /jurisdictions/{id}` (contract §2, v3): the jurisdiction, every policy version and its history. */
export const jurisdictionReadSchema = z
  .extend(jurisdictionViewSchema, { history: z.array(historyEntrySchema) })
  .register(responseRegistry, id('JurisdictionRecord'));

const clientFields = {
  id: z.string(),
  name: z.string(),
  role: z.enum(CLIENT_ROLES),
  jurisdictionId: z.optional(z.string()),
};

export const createdClientSchema = z
  .strictObject({
    ...clientFields,
    createdAt: z.iso.datetime(),
    token: z.string().register(z.globalRegistry, { description: 'shown in this answer only' }),
  })
  .register(responseRegistry, id('CreatedClient'));

const publicClientSchema = z.strictObject({
  ...clientFields,
  createdAt: z.iso.datetime(),
  revokedAt: z.optional(z.iso.datetime()),
});

export const clientListSchema = z
  .strictObject({ clients: z.array(publicClientSchema) })
  .register(responseRegistry, id('ClientList'));

export const revokedClientSchema = z
  .extend(publicClientSchema, { revoked: z.literal(true) })
  .register(responseRegistry, id('RevokedClient'));

export const errorAnswerSchema = z
  .strictObject({ error: z.string(), issues: z.array(issueSchema) })
  .register(responseRegistry, id('Error'));

const draftStatus = z.enum(['awaiting-review', 'held', 'approved', 'published']);

/** `GET /editions/{week}/draft.json` (contract §3). */
export const draftAnswerSchema = z
  .strictObject({
    edition: z
      .record(z.string(), z.unknown())
      .register(z.globalRegistry, { description: 'the report.json fields of the draft as assembled' }),
    checks: z.array(
      z.strictObject({
        id: z.string(),
        message: z.string(),
        refs: z.array(z.string()),
        jurisdictionIds: z.optional(z.array(z.string())),
      }),
    ),
    status: draftStatus,
    publishAt: z
      .nullable(z.iso.datetime())
      .register(z.globalRegistry, { description: 'under REVIEW_MODE=window: when it publishes unless held' }),
    contentHash: z.string().register(z.globalRegistry, {
      description: 'send it with an approval: a changed draft is then refused',
    }),
    runId: z.string(),
    decisions: z.array(
      z.strictObject({
        kind: z.string(),
        at: z.iso.datetime(),
        by: z.string(),
        contentHash: z.string(),
        reason: z.optional(z.string()),
      }),
    ),
  })
  .register(responseRegistry, id('Draft', 'A draft under editorial review: nothing of it is public.'));

/** `POST /editions/{week}/review`. */
export const reviewAnswerSchema = z
  .strictObject({
    week: z.string(),
    status: draftStatus,
    publishAt: z.nullable(z.iso.datetime()),
    publishing: z
      .boolean()
      .register(z.globalRegistry, { description: 'an approval: the week is being published now' }),
  })
  .register(responseRegistry, id('ReviewAnswer'));
