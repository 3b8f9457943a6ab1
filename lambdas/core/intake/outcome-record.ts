import type { Issue } from '#core/errors';
import { addDays, weekOf } from '#core/reporting-week';
import type { OutcomeInput, OutcomeStatus } from './schemas';

/** A jurisdiction as a record names it. */
export interface JurisdictionRef {
  id: string;
  name: string;
  state: string;
}

export interface Offense {
  description: string;
  status: 'charged' | 'convicted';
}

/** The stored outcome record: the input with defaults applied (`kind`, `learnedOn`). */
export interface OutcomeRecord {
  kind: 'detainer' | 'notification_request';
  issuedOn: string;
  jurisdiction: JurisdictionRef;
  facility: string;
  aor?: string | undefined;
  citizenship?: string | undefined;
  offenses?: Offense[] | undefined;
  status: OutcomeStatus;
  declinedOn?: string | undefined;
  learnedOn?: string | undefined;
  transferredTo?: JurisdictionRef | undefined;
  liftedOn?: string | undefined;
  liftReason?: string | undefined;
  note?: string | undefined;
}

/** Field order of the canonical form: equal records give equal JSON. */
export const RECORD_FIELDS = [
  'kind',
  'issuedOn',
  'jurisdiction',
  'facility',
  'aor',
  'citizenship',
  'offenses',
  'status',
  'declinedOn',
  'learnedOn',
  'transferredTo',
  'liftedOn',
  'liftReason',
  'note',
] as const satisfies readonly (keyof OutcomeRecord)[];

export type RecordField = (typeof RECORD_FIELDS)[number];

function canonicalJurisdiction(ref: JurisdictionRef): JurisdictionRef {
  return { id: ref.id, name: ref.name, state: ref.state };
}

/** The later of two ISO dates (they compare as strings). */
function laterDate(a: string, b: string): string {
  return a > b ? a : b;
}

/**
 * The stored record for a write: defaults and kept values applied (CONTRACT.md section 2).
 * `learnedOn`: given wins; else a record that was already declined keeps its stored value,
 * moved up to the new `declinedOn` when that is later; else (the first write that records the
 * decline) the later of `declinedOn` and today in the report's time zone.
 */
export function resolveRecord(
  input: OutcomeInput,
  stored: OutcomeRecord | undefined,
  today: string,
): OutcomeRecord {
  let learnedOn: string | undefined;
  if (input.status === 'declined' && input.declinedOn !== undefined) {
    const declinedOn = input.declinedOn;
    if (input.learnedOn !== undefined) learnedOn = input.learnedOn;
    else if (stored?.status === 'declined' && stored.learnedOn !== undefined)
      learnedOn = laterDate(declinedOn, stored.learnedOn);
    else learnedOn = laterDate(declinedOn, today);
  }
  const record: OutcomeRecord = {
    kind: input.kind ?? 'detainer',
    issuedOn: input.issuedOn,
    jurisdiction: canonicalJurisdiction(input.jurisdiction),
    facility: input.facility,
    aor: input.aor,
    citizenship: input.citizenship,
    offenses: input.offenses?.map((o) => ({ description: o.description, status: o.status })),
    status: input.status,
    declinedOn: input.declinedOn,
    learnedOn,
    transferredTo: input.transferredTo && canonicalJurisdiction(input.transferredTo),
    liftedOn: input.liftedOn,
    liftReason: input.liftReason,
    note: input.note,
  };
  return canonicalRecord(record);
}

/** The record with its fields in canonical order and absent fields removed. */
export function canonicalRecord(record: OutcomeRecord): OutcomeRecord {
  const out: Record<string, unknown> = {};
  for (const field of RECORD_FIELDS) {
    const value = record[field];
    if (value !== undefined) out[field] = value;
  }
  return out as unknown as OutcomeRecord;
}

export function sameRecord(a: OutcomeRecord, b: OutcomeRecord): boolean {
  return JSON.stringify(canonicalRecord(a)) === JSON.stringify(canonicalRecord(b));
}

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/** Field-level changes from `before` (absent for a new record) to `after`; absent is null. */
export function recordChanges(before: OutcomeRecord | undefined, after: OutcomeRecord): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of RECORD_FIELDS) {
    const was = before?.[field];
    const now = after[field];
    if (JSON.stringify(was) !== JSON.stringify(now)) {
      changes.push({ field, before: was ?? null, after: now ?? null });
    }
  }
  return changes;
}

/** No date of a record may be later than tomorrow in the report's time zone. */
export function futureDateIssues(input: OutcomeInput, today: string, prefix = ''): Issue[] {
  const tomorrow = addDays(today, 1);
  const issues: Issue[] = [];
  for (const field of ['issuedOn', 'declinedOn', 'learnedOn', 'liftedOn'] as const) {
    const value = input[field];
    if (value !== undefined && value > tomorrow) {
      issues.push({
        path: prefix + field,
        message: `${field} ${value} is in the future (latest allowed: ${tomorrow})`,
      });
    }
  }
  return issues;
}

/** The jurisdiction a record's decline counts for: the receiving agency after a transfer. */
export function declineJurisdiction(record: OutcomeRecord): JurisdictionRef {
  return record.transferredTo ?? record.jurisdiction;
}

/** The week index keys of a record: sparse, so voided records and non-declines drop out. */
export function weekKeys(
  record: OutcomeRecord,
  voided: boolean,
): { issuedWeek?: string; declinedWeek?: string | undefined } {
  if (voided) return {};
  return {
    issuedWeek: weekOf(record.issuedOn),
    declinedWeek:
      record.status === 'declined' && record.learnedOn !== undefined ? weekOf(record.learnedOn) : undefined,
  };
}
