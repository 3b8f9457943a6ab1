import * as z from 'zod/mini';
import '#core/zod-messages';
import type { Issue } from '#core/errors';
import { isCalendarDate } from '#core/reporting-week';
import { US_STATE_CODES } from '#core/us-states';

/**
 * The schemas of every request body: they validate at the edge, give the 400's field-level
 * issues, and generate the OpenAPI document (lambdas/http/openapi.ts), so the three cannot drift.
 * `null` means absent: bodies pass through `stripNulls` before these schemas see them.
 */

const text = (max: number, what: string) =>
  z.string({ error: `${what} must be a string` }).check(
    z.minLength(1, `${what} must not be empty`),
    z.maxLength(max, `${what} must be at most ${max} characters`),
    z.refine((value) => value.trim().length > 0, `${what} must not be blank`),
  );

/** JSON Schema metadata (`format`, `description`, a component `id`) for the OpenAPI document. */
function meta<S extends z.ZodMiniType>(schema: S, data: z.core.GlobalMeta): S {
  z.globalRegistry.add(schema, data);
  return schema;
}

export const calendarDate = (what: string) =>
  meta(
    z
      .string({ error: `${what} must be a date written YYYY-MM-DD` })
      .check(z.refine(isCalendarDate, `${what} must be a real calendar date written YYYY-MM-DD`)),
    { format: 'date' },
  );

export const DETAINER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const JURISDICTION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

export const detainerIdSchema = z
  .string()
  .check(
    z.regex(
      DETAINER_ID_PATTERN,
      'detainerId must be 1–64 characters of A-Z a-z 0-9 . _ : -, starting with a letter or digit',
    ),
  );

export const jurisdictionIdSchema = z
  .string({ error: 'id must be a string' })
  .check(
    z.regex(
      JURISDICTION_ID_PATTERN,
      'id must be 1–32 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit',
    ),
  );

export const stateSchema = z.enum(US_STATE_CODES, {
  error: 'state must be a US state or territory postal code in capitals, e.g. CA',
});

export const jurisdictionRefSchema = meta(
  z.strictObject({
    id: jurisdictionIdSchema,
    name: text(200, 'name'),
    state: stateSchema,
  }),
  {
    id: 'JurisdictionRef',
    description: 'An agency, identified by its stable id (ORI-style); state is part of its identity.',
  },
);

export const OUTCOME_STATUSES = ['pending', 'honored', 'declined', 'transferred', 'lifted'] as const;
export type OutcomeStatus = (typeof OUTCOME_STATUSES)[number];

export const offenseSchema = z.strictObject({
  description: text(300, 'description'),
  status: z.enum(['charged', 'convicted'], { error: 'status must be charged or convicted' }),
});

export const reasonSchema = meta(text(500, 'reason'), {
  description: 'Why this change was made: kept in the history and shown in the corrections log.',
});

/** The outcome record's fields, before the cross-field rules. */
const recordFields = {
  kind: z.optional(
    z.enum(['detainer', 'notification_request'], { error: 'kind must be detainer or notification_request' }),
  ),
  issuedOn: calendarDate('issuedOn'),
  jurisdiction: jurisdictionRefSchema,
  facility: text(200, 'facility'),
  aor: z.optional(text(100, 'aor')),
  citizenship: z.optional(text(100, 'citizenship')),
  offenses: z.optional(z.array(offenseSchema).check(z.maxLength(50, 'offenses may hold at most 50 entries'))),
  status: z.enum(OUTCOME_STATUSES, {
    error: 'status must be one of pending, honored, declined, transferred, lifted',
  }),
  declinedOn: z.optional(calendarDate('declinedOn')),
  learnedOn: z.optional(calendarDate('learnedOn')),
  transferredTo: z.optional(jurisdictionRefSchema),
  liftedOn: z.optional(calendarDate('liftedOn')),
  liftReason: z.optional(text(300, 'liftReason')),
  note: z.optional(text(1000, 'note')),
};

interface RuleInput {
  status: OutcomeStatus;
  issuedOn: string;
  declinedOn?: string | undefined;
  learnedOn?: string | undefined;
  transferredTo?: unknown;
  liftedOn?: string | undefined;
  liftReason?: string | undefined;
}

/** The cross-field rules of CONTRACT.md section 2, as issues with the offending field's path. */
export function recordRuleIssues(record: RuleInput): Issue[] {
  const issues: Issue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const declined = record.status === 'declined';
  if (declined && record.declinedOn === undefined)
    add('declinedOn', 'declinedOn is required when status is declined');
  if (!declined && record.declinedOn !== undefined)
    add('declinedOn', 'declinedOn is allowed only when status is declined');
  if (!declined && record.learnedOn !== undefined)
    add('learnedOn', 'learnedOn is allowed only when status is declined');
  if (record.declinedOn !== undefined && record.declinedOn < record.issuedOn)
    add('declinedOn', 'declinedOn must not be before issuedOn');
  if (
    record.learnedOn !== undefined &&
    record.declinedOn !== undefined &&
    record.learnedOn < record.declinedOn
  )
    add('learnedOn', 'learnedOn must not be before declinedOn');
  if (record.status === 'transferred' && record.transferredTo === undefined)
    add('transferredTo', 'transferredTo is required when status is transferred');
  if (record.transferredTo !== undefined && record.status !== 'transferred' && !declined)
    add('transferredTo', 'transferredTo is allowed only when status is transferred or declined');
  const liftAllowed = declined || record.status === 'lifted';
  if (!liftAllowed && record.liftedOn !== undefined)
    add('liftedOn', 'liftedOn is allowed only when status is declined or lifted');
  if (!liftAllowed && record.liftReason !== undefined)
    add('liftReason', 'liftReason is allowed only when status is declined or lifted');
  if (record.liftedOn !== undefined && record.liftedOn < record.issuedOn)
    add('liftedOn', 'liftedOn must not be before issuedOn');
  return issues;
}

const withRules = z.superRefine((value: RuleInput, ctx) => {
  for (const issue of recordRuleIssues(value)) {
    ctx.addIssue({ code: 'custom', path: issue.path.split('.'), message: issue.message });
  }
});

export const outcomeRecordSchema = meta(z.strictObject(recordFields).check(withRules), {
  id: 'OutcomeRecord',
  description: 'The outcome of one detainer. null means the same as absent; unknown fields are rejected.',
});

export type OutcomeInput = z.infer<typeof outcomeRecordSchema>;

export const putOutcomeBodySchema = meta(
  z.strictObject({ ...recordFields, reason: z.optional(reasonSchema) }).check(withRules),
  { id: 'PutOutcome' },
);

export const batchItemSchema = meta(
  z
    .strictObject({ detainerId: detainerIdSchema, ...recordFields, reason: z.optional(reasonSchema) })
    .check(withRules),
  { id: 'BatchItem' },
);

export const MAX_BATCH = 100;

/** The batch envelope only: items are validated one by one so that valid ones are stored. */
export const batchBodySchema = meta(
  z.strictObject({
    outcomes: z
      .array(meta(z.unknown(), { $ref: '#/components/schemas/BatchItem' }))
      .check(
        z.minLength(1, `outcomes must hold 1 to ${MAX_BATCH} items`),
        z.maxLength(MAX_BATCH, `outcomes must hold 1 to ${MAX_BATCH} items`),
      ),
  }),
  { id: 'OutcomeBatch' },
);

export const voidBodySchema = meta(z.strictObject({ reason: reasonSchema }), { id: 'VoidOutcome' });

const httpsUrl = meta(
  z.string({ error: 'source must be an https URL' }).check(
    z.maxLength(2000, 'source must be at most 2000 characters'),
    z.refine((value) => {
      try {
        return new URL(value).protocol === 'https:';
      } catch {
        return false;
      }
    }, 'source must be an https URL'),
  ),
  { format: 'uri' },
);

export const policySchema = meta(
  z
    .strictObject({
      enactedOn: calendarDate('enactedOn'),
      repealedOn: z.optional(calendarDate('repealedOn')),
      type: text(200, 'type'),
      summary: text(2000, 'summary'),
      criteria: text(2000, 'criteria'),
      source: httpsUrl,
    })
    .check(
      z.superRefine((policy, ctx) => {
        if (policy.repealedOn !== undefined && policy.repealedOn < policy.enactedOn) {
          ctx.addIssue({
            code: 'custom',
            path: ['repealedOn'],
            message: 'repealedOn must not be before enactedOn',
          });
        }
      }),
    ),
  { id: 'Policy' },
);

export type PolicyInput = z.infer<typeof policySchema>;

export const putJurisdictionBodySchema = meta(
  z.strictObject({
    name: text(200, 'name'),
    state: stateSchema,
    aor: z.optional(text(100, 'aor')),
    // null survives stripNulls here on purpose: `policy: null` is a correction ("never had one").
    policy: z.optional(z.nullable(policySchema)),
    reason: z.optional(reasonSchema),
  }),
  { id: 'PutJurisdiction' },
);

export const disputeBodySchema = meta(
  z
    .strictObject({
      ref: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
      detainerId: z.optional(detainerIdSchema),
      reason: text(2000, 'reason'),
    })
    .check(
      z.superRefine((body, ctx) => {
        if ((body.ref === undefined) === (body.detainerId === undefined)) {
          ctx.addIssue({ code: 'custom', path: ['ref'], message: 'give exactly one of ref or detainerId' });
        }
      }),
    ),
  { id: 'Dispute' },
);

export const recordDisputeBodySchema = meta(z.strictObject({ reason: text(2000, 'reason') }), {
  id: 'RecordDispute',
});

export const resolutionBodySchema = meta(
  z.strictObject({
    outcome: z.enum(['corrected', 'rejected'], { error: 'outcome must be corrected or rejected' }),
    reason: text(2000, 'reason'),
  }),
  { id: 'DisputeResolution' },
);

/** `editor` (v3) reads records and drafts and reviews drafts, and nothing else (contract §2). */
export const CLIENT_ROLES = ['intake', 'admin', 'jurisdiction', 'editor'] as const;
export type ClientRole = (typeof CLIENT_ROLES)[number];

export const createClientBodySchema = meta(
  z
    .strictObject({
      name: text(200, 'name'),
      role: z.enum(CLIENT_ROLES, { error: 'role must be intake, admin, jurisdiction or editor' }),
      jurisdictionId: z.optional(jurisdictionIdSchema),
    })
    .check(
      z.superRefine((body, ctx) => {
        if (body.role === 'jurisdiction' && body.jurisdictionId === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['jurisdictionId'],
            message: 'jurisdictionId is required for the jurisdiction role',
          });
        }
        if (body.role !== 'jurisdiction' && body.jurisdictionId !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['jurisdictionId'],
            message: 'jurisdictionId is allowed only for the jurisdiction role',
          });
        }
      }),
    ),
  { id: 'CreateClient' },
);

/**
 * `POST /editions/{week}/review` (contract §3): an editor's decision on a draft. `reason` is
 * required for a hold; `contentHash`, draft.json's, makes an approval refuse a draft that changed
 * since the editor read it.
 */
export const reviewBodySchema = meta(
  z
    .strictObject({
      decision: z.enum(['approve', 'hold'], { error: 'decision must be approve or hold' }),
      reason: z.optional(text(2000, 'reason')),
      contentHash: z.optional(
        z
          .string({ error: 'contentHash must be a string' })
          .check(z.regex(/^[0-9a-f]{64}$/, "contentHash is draft.json's contentHash, 64 hex digits")),
      ),
    })
    .check(
      z.refine((body) => body.decision !== 'hold' || body.reason !== undefined, {
        message: 'a hold needs a reason: what must be checked first',
        path: ['reason'],
      }),
    ),
  { id: 'ReviewDecision' },
);
