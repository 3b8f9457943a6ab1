import { createHash } from 'node:crypto';
import { displayName, type JurisdictionItem, type OutcomeItem, policyInForce } from '#core/intake/model';
import { declineJurisdiction, type JurisdictionRef, type OutcomeRecord } from '#core/intake/outcome-record';
import type { OutcomeStatus } from '#core/intake/schemas';
import { compareCodePoints } from '#core/ordering';
import { addDays, weekEnd, weekOf, weeksEndingWith } from '#core/reporting-week';
import type {
  CorrectionEntry,
  DeclineRow,
  EarlierCorrection,
  Edition,
  Headline,
  JurisdictionName,
  SectionIIGroup,
  SectionIIIRow,
  SectionIRow,
  SectionIV,
  TrendPoint,
} from './model';
import type { WeekData } from './week-data';

/** What the assembly needs besides the week's data: the revision, times and live figures. */
export interface AssemblyOptions {
  revision: number;
  /** ISO instant of this revision. */
  publishedAt: string;
  timeZone: string;
  /** True for demo or test data: every rendering says so. */
  synthetic: boolean;
  /** ISO date of the next scheduled edition, from the schedule definition. */
  nextEditionOn: string;
  /** The corrections log of this revision (see corrections-log.ts), kept in the order given. */
  corrections: CorrectionEntry[];
  /** Re-issues of earlier weeks since the last emailed edition, kept in the order given. */
  earlierCorrections: EarlierCorrection[];
  /** Live figure: disputes open now. */
  openDisputes: SectionIV['openDisputes'];
  /** Live figure: re-issues of earlier weeks since the last edition. */
  correctionsSinceLastEdition: number;
}

/** Section I lists at most this many jurisdictions. */
export const SECTION_I_SIZE = 10;
/** A decline recorded more than this many days after it happened is "recorded late" in Section IV. */
export const RECORDED_LATE_DAYS = 30;
/** The trend and the average span this many weeks, ending with the edition's week. */
export const TREND_WEEKS = 12;
/** Optional record fields whose presence Section IV reports, in this order. */
export const COMPLETENESS_FIELDS = ['citizenship', 'offenses', 'aor', 'note'] as const;

/** The name order wherever jurisdictions tie or sort: name (code points, NFC), then state, then id. */
export function compareJurisdictions(a: JurisdictionName, b: JurisdictionName): number {
  return (
    compareCodePoints(a.name, b.name) || compareCodePoints(a.state, b.state) || compareCodePoints(a.id, b.id)
  );
}

/** The part of an edition whose change makes a new revision: headline and Sections I–III. */
export interface OwnContent {
  headline: Headline;
  sectionI: SectionIRow[];
  sectionII: SectionIIGroup[];
  sectionIII: SectionIIIRow[];
}

export function ownContent(edition: Pick<Edition, keyof OwnContent>): OwnContent {
  return {
    headline: edition.headline,
    sectionI: edition.sectionI,
    sectionII: edition.sectionII,
    sectionIII: edition.sectionIII,
  };
}

/** JSON with object keys sorted at every level, so equal content always gives equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => compareCodePoints(a, b));
    return Object.fromEntries(entries);
  });
}

/** SHA-256 (hex) of the canonical JSON of the own content: equal hashes, no new revision. */
export function contentHashOf(content: OwnContent): string {
  return createHash('sha256')
    .update(canonicalJson(ownContent(content)))
    .digest('hex');
}

/**
 * The weekly edition, assembled from one week's data (CONTRACT.md section 3). Primary course:
 * keep only the records that belong to the week (not voided, dates in the week); resolve every
 * jurisdiction they name to its display name and bound state; count issued per issuing
 * jurisdiction and declines per receiving jurisdiction; build Sections I–III in their fixed
 * orders; compute Section IV, the trend and the comparison; hash the own content.
 *
 * A pure function: no clock, no storage, no locale. The same data in any order gives the same
 * edition, byte for byte, so a re-run of a publish finds the same hash and makes no revision.
 */
export function assembleEdition(input: WeekData, options: AssemblyOptions): Edition {
  const week = weekOf(input.week);
  const end = weekEnd(week);
  const issued = distinct(input.issued).filter(
    (item) => !item.voided && weekOf(item.record.issuedOn) === week,
  );
  const declined = distinct(input.declined).filter((item) => isDeclineIn(item, week));
  const name = jurisdictionNamer(input.jurisdictions, [...issued, ...declined]);

  const tallies = new Map<string, { issued: number; declined: number }>();
  const tally = (id: string) => {
    let found = tallies.get(id);
    if (!found) {
      found = { issued: 0, declined: 0 };
      tallies.set(id, found);
    }
    return found;
  };
  for (const item of issued) tally(item.record.jurisdiction.id).issued++;
  for (const item of declined) tally(declineJurisdiction(item.record).id).declined++;

  const policyAtEnd = (id: string) => {
    const item = input.jurisdictions.get(id);
    return item ? policyInForce(item.policies, end) : undefined;
  };

  const sectionI = sectionOne(tallies, name, policyAtEnd);
  const sectionII = sectionTwo(declined, name);
  const sectionIII = sectionThree(input.jurisdictions, end);
  const headline: Headline = {
    issued: issued.length,
    declined: declined.length,
    jurisdictionsWithDeclines: sectionII.length,
    statesWithDeclines: new Set(sectionII.map((group) => group.jurisdiction.state)).size,
  };
  const sectionIV = sectionFour(week, issued, declined, sectionIII.length, options);
  const trend = trendOf(week, input.trend, headline);
  const previous = trend[TREND_WEEKS - 2] ?? { issued: 0, declined: 0 };

  return {
    synthetic: options.synthetic,
    edition: {
      week,
      weekEnd: end,
      revision: options.revision,
      publishedAt: options.publishedAt,
      timeZone: options.timeZone,
      nextEditionOn: options.nextEditionOn,
      contentHash: contentHashOf({ headline, sectionI, sectionII, sectionIII }),
    },
    headline,
    sectionI,
    sectionII,
    sectionIII,
    sectionIV,
    trend,
    comparison: {
      previousWeek: { issued: previous.issued, declined: previous.declined },
      twelveWeekAverage: {
        issued: averageOf(trend.map((point) => point.issued)),
        declined: averageOf(trend.map((point) => point.declined)),
      },
    },
    corrections: [...options.corrections],
    earlierCorrections: [...options.earlierCorrections],
  };
}

type DeclineRecord = OutcomeRecord & { declinedOn: string; learnedOn: string };
type DeclineItem = OutcomeItem & { record: DeclineRecord };

/** Counted as declined in `week`: status declined, recorded (learnedOn) in the week, not voided. */
export function isDeclineIn(item: OutcomeItem, week: string): item is DeclineItem {
  const { record } = item;
  return (
    !item.voided &&
    record.status === 'declined' &&
    record.declinedOn !== undefined &&
    record.learnedOn !== undefined &&
    weekOf(record.learnedOn) === week
  );
}

/** One item per detainer (the highest revision), so a record read twice counts once. */
function distinct<T extends OutcomeItem>(items: readonly T[]): T[] {
  const byId = new Map<string, T>();
  for (const item of items) {
    const known = byId.get(item.detainerId);
    if (!known || item.revision > known.revision) byId.set(item.detainerId, item);
  }
  return [...byId.values()];
}

/**
 * The name and state shown for each jurisdiction id: the stored item's display name and bound
 * state; for an id with no stored item, the name the most recently updated record gives it.
 */
function jurisdictionNamer(
  items: ReadonlyMap<string, JurisdictionItem>,
  records: readonly OutcomeItem[],
): (id: string) => JurisdictionName {
  const fallback = new Map<string, { ref: JurisdictionRef; at: string }>();
  for (const item of records) {
    const refs = [item.record.jurisdiction, item.record.transferredTo].filter((ref) => ref !== undefined);
    for (const ref of refs) {
      const known = fallback.get(ref.id);
      const newer =
        !known ||
        item.updatedAt > known.at ||
        (item.updatedAt === known.at && compareJurisdictions(ref, known.ref) < 0);
      if (newer) fallback.set(ref.id, { ref, at: item.updatedAt });
    }
  }
  return (id) => {
    const item = items.get(id);
    if (item) return { id, name: displayName(item), state: item.state };
    const ref = fallback.get(id)?.ref;
    return { id, name: ref?.name ?? id, state: ref?.state ?? '' };
  };
}

function sectionOne(
  tallies: ReadonlyMap<string, { issued: number; declined: number }>,
  name: (id: string) => JurisdictionName,
  policyAtEnd: (id: string) => unknown,
): SectionIRow[] {
  const candidates = [...tallies]
    .map(([id, counts]) => ({ jurisdiction: name(id), ...counts, hasPolicy: policyAtEnd(id) !== undefined }))
    // The 2017 report named agencies with no documented refusal: here a policy or a decline is required.
    .filter((row) => row.issued > 0 && (row.hasPolicy || row.declined > 0))
    .sort((a, b) => b.issued - a.issued || compareJurisdictions(a.jurisdiction, b.jurisdiction));
  return candidates.slice(0, SECTION_I_SIZE).map((row, index) => ({
    rank: index + 1,
    jurisdiction: row.jurisdiction,
    issued: row.issued,
    declined: row.declined,
    hasPolicy: row.hasPolicy,
  }));
}

function compareDeclines(a: DeclineRow, b: DeclineRow): number {
  return (
    compareCodePoints(a.declinedOn, b.declinedOn) ||
    compareCodePoints(a.issuedOn, b.issuedOn) ||
    compareCodePoints(a.facility, b.facility) ||
    compareCodePoints(a.ref, b.ref)
  );
}

function declineRow(item: DeclineItem, name: (id: string) => JurisdictionName): DeclineRow {
  const { record } = item;
  // Built field by field, in a fixed order: only these fields are published (no detainer id, no note).
  const row: DeclineRow = {
    ref: item.ref,
    kind: record.kind,
    facility: record.facility,
    ...(record.citizenship === undefined ? {} : { citizenship: record.citizenship }),
    offenses: (record.offenses ?? []).map((offense) => ({
      description: offense.description,
      status: offense.status,
    })),
    issuedOn: record.issuedOn,
    declinedOn: record.declinedOn,
    learnedOn: record.learnedOn,
    ...(record.transferredTo === undefined ? {} : { transferredFrom: name(record.jurisdiction.id) }),
    ...(record.liftedOn === undefined ? {} : { liftedOn: record.liftedOn }),
  };
  return row;
}

function sectionTwo(
  declined: readonly DeclineItem[],
  name: (id: string) => JurisdictionName,
): SectionIIGroup[] {
  const groups = new Map<string, DeclineRow[]>();
  for (const item of declined) {
    const id = declineJurisdiction(item.record).id;
    const rows = groups.get(id) ?? [];
    rows.push(declineRow(item, name));
    groups.set(id, rows);
  }
  return [...groups]
    .map(([id, rows]) => ({ jurisdiction: name(id), declines: rows.sort(compareDeclines) }))
    .sort(
      (a, b) =>
        compareCodePoints(a.jurisdiction.state, b.jurisdiction.state) ||
        compareJurisdictions(a.jurisdiction, b.jurisdiction),
    );
}

function sectionThree(items: ReadonlyMap<string, JurisdictionItem>, end: string): SectionIIIRow[] {
  const rows: SectionIIIRow[] = [];
  for (const item of items.values()) {
    const policy = policyInForce(item.policies, end);
    if (!policy) continue;
    rows.push({
      jurisdiction: {
        id: item.id,
        name: displayName(item),
        state: item.state,
        ...(item.aor === undefined ? {} : { aor: item.aor }),
      },
      policy: {
        enactedOn: policy.enactedOn,
        type: policy.type,
        summary: policy.summary,
        criteria: policy.criteria,
        source: policy.source,
      },
    });
  }
  return rows.sort(
    (a, b) =>
      compareCodePoints(b.policy.enactedOn, a.policy.enactedOn) ||
      compareJurisdictions(a.jurisdiction, b.jurisdiction),
  );
}

/** A fraction 0–1 rounded to four decimals (0 when there is nothing to divide). */
function shareOf(part: number, total: number): number {
  return total === 0 ? 0 : Math.round((part / total) * 10_000) / 10_000;
}

function sectionFour(
  week: string,
  issued: readonly OutcomeItem[],
  declined: readonly DeclineItem[],
  jurisdictionsWithPolicy: number,
  options: AssemblyOptions,
): SectionIV {
  const late = declined.filter(
    (item) => item.record.learnedOn > addDays(item.record.declinedOn, RECORDED_LATE_DAYS),
  );
  const oldestIssuedOn = late.map((item) => item.record.issuedOn).sort()[0];

  // Each record once, whether it was issued, declined or both in the week.
  const records = distinct([...issued, ...declined]).map((item) => item.record);
  const completeness = COMPLETENESS_FIELDS.map((field) => {
    const present = records.filter((record) => {
      const value = record[field];
      return Array.isArray(value) ? value.length > 0 : value !== undefined;
    }).length;
    return { field, present, total: records.length, share: shareOf(present, records.length) };
  });

  const issuedByOutcome: Record<OutcomeStatus, number> = {
    pending: 0,
    honored: 0,
    declined: 0,
    transferred: 0,
    lifted: 0,
  };
  const issuedByKind = { detainer: 0, notification_request: 0 };
  for (const { record } of issued) {
    issuedByOutcome[record.status]++;
    issuedByKind[record.kind]++;
  }
  const { openDisputes } = options;

  return {
    recordedLate: {
      thresholdDays: RECORDED_LATE_DAYS,
      count: late.length,
      share: shareOf(late.length, declined.length),
      ...(oldestIssuedOn === undefined ? {} : { oldestIssuedOn }),
    },
    issuedEarlier: declined.filter((item) => item.record.issuedOn < week).length,
    completeness,
    issuedByOutcome,
    issuedByKind,
    declinesAfterTransfer: declined.filter((item) => item.record.transferredTo !== undefined).length,
    declinesLifted: declined.filter((item) => item.record.liftedOn !== undefined).length,
    jurisdictionsWithPolicy,
    openDisputes: {
      count: openDisputes.count,
      ...(openDisputes.oldestOpenedAt === undefined ? {} : { oldestOpenedAt: openDisputes.oldestOpenedAt }),
      ...(openDisputes.oldestAgeDays === undefined ? {} : { oldestAgeDays: openDisputes.oldestAgeDays }),
    },
    correctionsSinceLastEdition: options.correctionsSinceLastEdition,
  };
}

/**
 * The 12 weeks ending with this one, oldest first: the given counts of the 11 earlier weeks
 * (a week not given counts zero, a week outside the span is ignored) and this week's headline.
 */
function trendOf(week: string, earlier: readonly TrendPoint[], headline: Headline): TrendPoint[] {
  const byWeek = new Map<string, TrendPoint>();
  for (const point of earlier) {
    const known = byWeek.get(point.week);
    // Two different counts for one week would make the output depend on input order.
    if (known && (known.issued !== point.issued || known.declined !== point.declined)) {
      throw new Error(`the trend gives week ${point.week} twice with different counts`);
    }
    byWeek.set(point.week, point);
  }
  return weeksEndingWith(week, TREND_WEEKS).map((w) => {
    if (w === week) return { week: w, issued: headline.issued, declined: headline.declined };
    const point = byWeek.get(w);
    return { week: w, issued: point?.issued ?? 0, declined: point?.declined ?? 0 };
  });
}

/** The mean rounded to one decimal (the trend always has 12 points). */
function averageOf(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sum = values.reduce((total, value) => total + value, 0);
  // Multiply before dividing so that exact tenths (e.g. 30/12 = 2.5) do not pick up float error.
  return Math.round((sum * 10) / values.length) / 10;
}
