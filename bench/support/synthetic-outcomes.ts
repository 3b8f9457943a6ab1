import type { JurisdictionItem, OutcomeItem, PolicyVersion } from '#core/intake/model';
import { canonicalRecord, type OutcomeRecord, recordChanges, weekKeys } from '#core/intake/outcome-record';
import { newRef } from '#core/intake/outcomes';
import { addDays } from '#core/reporting-week';
import { US_STATE_CODES } from '#core/us-states';

/**
 * Synthetic, fictional data in the shape the intake stores: no real agency, facility or person.
 * Jurisdiction ids are `ZZS…` (no real ORI starts so), names are "Synthetic County n …", countries
 * of citizenship are from fiction. Deterministic (a seeded generator) apart from the random refs.
 */

/** The 50 states and DC: where fictional jurisdictions are placed. */
const STATES = US_STATE_CODES.slice(0, 51);
const COUNTRIES = ['Freedonia', 'Sylvania', 'Ruritania', 'Genovia', 'Latveria', 'Elbonia', 'Florin'];
const OFFENSES = [
  'Synthetic offense A (traffic)',
  'Synthetic offense B (property)',
  'Synthetic offense C (drug possession)',
  'Synthetic offense D (assault)',
  'Synthetic offense E (fraud)',
];
const KINDS = ['Sheriff’s Office', 'Police Department', 'County Jail', 'Department of Corrections'];
const CLIENT = { id: 'bench-synthetic', name: 'Synthetic data loader' };
const STORED_AT = '2024-02-01T12:00:00.000Z';

export { seededRandom } from '../../scripts/seeded-random';

function pick<T>(random: () => number, values: readonly T[]): T {
  const value = values[Math.floor(random() * values.length)];
  if (value === undefined) throw new Error('pick from an empty list');
  return value;
}

export const jurisdictionId = (n: number) => `ZZS${String(n).padStart(5, '0')}`;

function jurisdictionName(n: number): string {
  return `Synthetic County ${n} ${KINDS[n % KINDS.length] ?? 'Sheriff’s Office'}`;
}

const stateOf = (n: number) => STATES[(n * 7) % STATES.length] ?? 'KS';

/** Every `policyEvery`-th jurisdiction has a policy (the `byPolicy` index key is set on those). */
export function isPolicyJurisdiction(n: number, policyEvery: number): boolean {
  return n % policyEvery === 0;
}

function policy(n: number): PolicyVersion {
  return {
    enactedOn: addDays('2015-01-03', (n * 37) % 2_500),
    type: n % 2 === 0 ? 'county resolution' : 'sheriff’s directive',
    summary: `Synthetic policy of fictional jurisdiction ${jurisdictionId(n)}: detainers are honored only with a judicial warrant.`,
    criteria: 'A judicial warrant or a conviction for a synthetic serious offense.',
    source: `https://example.org/synthetic-policies/${jurisdictionId(n)}`,
  };
}

/**
 * The Jurisdictions table item as DynamoJurisdictionStore writes it: bound state, the latest
 * record name, policies, and `hasPolicy` (the sparse `byPolicy` key) while it has one.
 */
export function jurisdictionItem(n: number, policyEvery: number): Record<string, unknown> {
  const withPolicy = isPolicyJurisdiction(n, policyEvery);
  const item: JurisdictionItem = {
    id: jurisdictionId(n),
    state: stateOf(n),
    ...(withPolicy ? { name: jurisdictionName(n), aor: `Synthetic Field Office ${n % 24}` } : {}),
    recordName: jurisdictionName(n),
    recordNameAt: STORED_AT,
    policies: withPolicy ? [policy(n)] : [],
    revision: withPolicy ? 1 : 0,
    createdAt: STORED_AT,
    updatedAt: STORED_AT,
  };
  return withPolicy ? { ...item, hasPolicy: 'yes' } : { ...item };
}

export interface WeekPlan {
  /** The Saturday that names the week. */
  readonly week: string;
  /** Records issued in the week (some of them also declined and recorded in it). */
  readonly issued: number;
  /** Of those, declined and recorded (learnedOn) in the week. */
  readonly declinedSameWeek: number;
  /** Declines recorded in the week of detainers issued 2–21 weeks before (items of earlier weeks). */
  readonly declinedEarlier: number;
}

export interface GeneratorOptions {
  /** Jurisdictions records are spread over, skewed so a few issue most (a real top 10). */
  readonly jurisdictions: number;
  readonly random: () => number;
  /** Unique per week and run: the detainer ids' prefix. */
  readonly idPrefix: string;
}

function jurisdictionRef(n: number) {
  return { id: jurisdictionId(n), name: jurisdictionName(n), state: stateOf(n) };
}

/** A skewed pick: a few jurisdictions issue most detainers, as in the real data's shape. */
function skewedJurisdiction(options: GeneratorOptions): number {
  return Math.floor(options.jurisdictions * options.random() ** 2.5);
}

interface RecordDates {
  issuedOn: string;
  declined?: { declinedOn: string; learnedOn: string };
}

function syntheticRecord(options: GeneratorOptions, dates: RecordDates): OutcomeRecord {
  const { random } = options;
  const home = skewedJurisdiction(options);
  const record: OutcomeRecord = {
    kind: random() < 0.9 ? 'detainer' : 'notification_request',
    issuedOn: dates.issuedOn,
    jurisdiction: jurisdictionRef(home),
    facility: `Synthetic County ${home} Jail`,
    aor: `Synthetic Field Office ${home % 24}`,
    ...(random() < 0.85 ? { citizenship: pick(random, COUNTRIES) } : {}),
    ...(random() < 0.8
      ? {
          offenses: Array.from({ length: 1 + Math.floor(random() * 2) }, () => ({
            description: pick(random, OFFENSES),
            status: random() < 0.5 ? ('charged' as const) : ('convicted' as const),
          })),
        }
      : {}),
    status: 'pending',
    ...(random() < 0.1 ? { note: 'Synthetic record made for a benchmark.' } : {}),
  };
  if (dates.declined !== undefined) {
    record.status = 'declined';
    record.declinedOn = dates.declined.declinedOn;
    record.learnedOn = dates.declined.learnedOn;
    if (random() < 0.1) record.transferredTo = jurisdictionRef(skewedJurisdiction(options));
    if (random() < 0.05) {
      record.liftedOn = dates.declined.learnedOn;
      record.liftReason = 'Synthetic lift reason.';
    }
    return canonicalRecord(record);
  }
  const roll = random();
  if (roll < 0.3) record.status = 'honored';
  else if (roll < 0.35) {
    record.status = 'transferred';
    record.transferredTo = jurisdictionRef(skewedJurisdiction(options));
  } else if (roll < 0.4) {
    record.status = 'lifted';
    record.liftedOn = addDays(dates.issuedOn, 1);
    record.liftReason = 'Synthetic lift reason.';
  }
  return canonicalRecord(record);
}

function outcomeItem(detainerId: string, record: OutcomeRecord): OutcomeItem {
  return {
    detainerId,
    revision: 1,
    voided: false,
    ref: newRef(),
    record,
    createdAt: STORED_AT,
    updatedAt: STORED_AT,
    lastChange: {
      revision: 1,
      at: STORED_AT,
      client: CLIENT,
      reason: null,
      changes: recordChanges(undefined, record),
    },
  };
}

/** The Outcomes table item as DynamoOutcomeStore writes it: the record item plus its week keys. */
export function storedAttributes(item: OutcomeItem): Record<string, unknown> {
  return { ...item, ...weekKeys(item.record, item.voided) };
}

/**
 * The records of one week's plan, in the stored shape: `issued` records issued on the week's
 * days (the first `declinedSameWeek` of them declined and recorded in it), then `declinedEarlier`
 * declines recorded in the week of detainers issued 2–21 weeks before (a tenth recorded late).
 */
export function* weekOutcomes(plan: WeekPlan, options: GeneratorOptions): Generator<OutcomeItem> {
  const { random } = options;
  let sequence = 0;
  const id = () => `${options.idPrefix}-${(sequence++).toString(36).padStart(5, '0')}`;
  for (let n = 0; n < plan.issued; n++) {
    const issuedOn = addDays(plan.week, Math.floor(random() * 7));
    // Recorded on the week's Friday, the day it was declined or later.
    const declined =
      n < plan.declinedSameWeek ? { declinedOn: issuedOn, learnedOn: addDays(plan.week, 6) } : undefined;
    yield outcomeItem(id(), syntheticRecord(options, { issuedOn, ...(declined ? { declined } : {}) }));
  }
  for (let n = 0; n < plan.declinedEarlier; n++) {
    const learnedOn = addDays(plan.week, Math.floor(random() * 7));
    // 2–21 weeks before: never in the week just before, which may be another measured week.
    const issuedOn = addDays(plan.week, -7 * (2 + Math.floor(random() * 20)) + Math.floor(random() * 7));
    // Declined when issued (a tenth: then recorded weeks later, some more than 30 days, Section IV's
    // "recorded late"), else up to 4 days before it was recorded, still after the issue date.
    const declinedOn = random() < 0.1 ? issuedOn : addDays(learnedOn, -Math.floor(random() * 5));
    const declined = { declinedOn, learnedOn };
    yield outcomeItem(id(), syntheticRecord(options, { issuedOn, declined }));
  }
}
