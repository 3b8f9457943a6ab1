import { compareCodePoints as compareText } from '#core/ordering';
import type { CorrectionEntry, DeclineRow, Edition, JurisdictionName, PolicyView } from './model';

/**
 * A jurisdiction's record across the archive (CONTRACT.md §4 `/jurisdictions/{id}/`): what every
 * published edition said about it, kept as `history.json` beside its page. It is the page's only
 * source: a publication folds its week into the record of each jurisdiction the week names (or
 * named before), so its cost grows with those jurisdictions, never with the archive.
 */
export const JURISDICTION_SCHEMA_VERSION = 1;

/**
 * A decline's present state, in the latest published revision of its week: `listed` as first
 * published, `corrected` (listed, but its row changed in a later revision), `withdrawn` (listed
 * once, absent from the latest revision: voided, or corrected away to another week or agency).
 */
export type DeclineState = 'listed' | 'corrected' | 'withdrawn';

export interface JurisdictionDecline {
  ref: string;
  week: string;
  /** The revision that gave the row its present state (first listing, correction or withdrawal). */
  revision: number;
  state: DeclineState;
  /** The row as the latest revision listing it published it (its last published form when withdrawn). */
  row: DeclineRow;
  /** The jurisdiction as that revision named it (its name then), as /data/declines.csv has it. */
  listedAs: JurisdictionName;
}

export interface JurisdictionWeek {
  week: string;
  /** The week's latest revision. */
  revision: number;
  /** Detainers issued, as Section I showed it; null when the jurisdiction was not in Section I. */
  issued: number | null;
  /** Declines recorded in the week: its rows in Section II (0 when it had none). */
  declined: number;
  /**
   * The name and state the week's latest revision gave it, so that the record's own name is the
   * newest week's that still names it (absent in records folded before it was kept).
   */
  name?: string;
  state?: string;
}

export interface JurisdictionPolicy extends PolicyView {
  /** When it stopped being in force; null while it is (or when not known). */
  repealedOn: string | null;
  aor: string | null;
  /** Every week whose latest revision's Section III lists this version, oldest first. */
  weeks: string[];
  /** The first and last of them. */
  firstWeek: string | null;
  lastWeek: string | null;
}

/** A policy version as the publisher's records hold it (PUT /jurisdictions/{id}). */
export interface RecordedPolicy extends PolicyView {
  repealedOn?: string;
}

export interface JurisdictionCorrection {
  week: string;
  revision: number;
  date: string;
  ref: string | null;
  field: string;
  before: unknown;
  after: unknown;
  reason: string;
}

export interface JurisdictionHistory {
  schemaVersion: typeof JURISDICTION_SCHEMA_VERSION;
  jurisdiction: JurisdictionName;
  policies: JurisdictionPolicy[];
  weeks: JurisdictionWeek[];
  declines: JurisdictionDecline[];
  disputes: { open: number; resolved: number };
  corrections: JurisdictionCorrection[];
  /** Whether any edition it was built from was synthetic (its page says so). */
  synthetic: boolean;
}

/** The jurisdictions an edition names: Sections I, II (the agency listed) and III. */
export function namedJurisdictions(edition: Edition): Map<string, JurisdictionName> {
  const named = new Map<string, JurisdictionName>();
  const add = (j: JurisdictionName) => {
    if (!named.has(j.id)) named.set(j.id, { id: j.id, name: j.name, state: j.state });
  };
  for (const group of edition.sectionII) add(group.jurisdiction);
  for (const row of edition.sectionI) add(row.jurisdiction);
  for (const row of edition.sectionIII) add(row.jurisdiction);
  return named;
}

/**
 * The jurisdictions whose record a new revision of a week changes: those it names, those the
 * revision it replaces named, and those its corrections are about.
 */
export function touchedJurisdictions(edition: Edition, replaced: Edition | undefined): string[] {
  const ids = new Set(namedJurisdictions(edition).keys());
  if (replaced) for (const id of namedJurisdictions(replaced).keys()) ids.add(id);
  for (const entry of edition.corrections) ids.add(entry.jurisdiction.id);
  return [...ids].sort();
}

function emptyHistory(jurisdiction: JurisdictionName): JurisdictionHistory {
  return {
    schemaVersion: JURISDICTION_SCHEMA_VERSION,
    jurisdiction,
    policies: [],
    weeks: [],
    declines: [],
    disputes: { open: 0, resolved: 0 },
    corrections: [],
    synthetic: false,
  };
}

const sameRow = (a: DeclineRow, b: DeclineRow) => JSON.stringify(a) === JSON.stringify(b);

const policyKey = (p: PolicyView & { aor?: string | null }) =>
  JSON.stringify([p.enactedOn, p.type, p.summary, p.criteria, p.source, p.aor ?? null]);

/** Newest week first; within a week, Section II's order as published (the sort is stable). */
function compareDeclines(a: JurisdictionDecline, b: JurisdictionDecline): number {
  return a.week === b.week ? 0 : a.week < b.week ? 1 : -1;
}

/**
 * Folds the latest revision of one week into a jurisdiction's record. `edition` is the week's new
 * latest revision; the record's earlier entries for that week are what the revisions before it
 * published, so a row that changed is `corrected` and one that left is `withdrawn`. Folding the
 * same revision again changes nothing.
 */
export function foldWeek(
  history: JurisdictionHistory | undefined,
  id: string,
  edition: Edition,
): JurisdictionHistory | undefined {
  const { week, revision } = edition.edition;
  const named = namedJurisdictions(edition).get(id);
  const group = edition.sectionII.find((g) => g.jurisdiction.id === id);
  const sectionI = edition.sectionI.find((row) => row.jurisdiction.id === id);
  const before = history ?? (named ? emptyHistory(named) : undefined);
  if (before === undefined) return undefined;

  // Declines: the week's rows now, against what earlier revisions of the week listed.
  const earlier = new Map(before.declines.filter((d) => d.week === week).map((d) => [d.ref, d]));
  const declines: JurisdictionDecline[] = before.declines.filter((d) => d.week !== week);
  const listedAs = group?.jurisdiction ?? before.jurisdiction;
  for (const row of group?.declines ?? []) {
    const was = earlier.get(row.ref);
    earlier.delete(row.ref);
    const entry = { ref: row.ref, week, revision, row, listedAs: { ...listedAs } };
    if (was === undefined) declines.push({ ...entry, state: 'listed' });
    else if (was.state !== 'withdrawn' && sameRow(was.row, row))
      declines.push({ ...was, listedAs: entry.listedAs });
    // Listed again as it was: listed (from this revision), not a correction.
    else if (was.state === 'withdrawn' && sameRow(was.row, row)) declines.push({ ...entry, state: 'listed' });
    else declines.push({ ...entry, state: 'corrected' });
  }
  for (const was of earlier.values()) {
    declines.push(was.state === 'withdrawn' ? was : { ...was, revision, state: 'withdrawn' });
  }
  declines.sort(compareDeclines);

  const weeks = before.weeks.filter((w) => w.week !== week);
  if (named)
    weeks.push({
      week,
      revision,
      issued: sectionI?.issued ?? null,
      declined: group?.declines.length ?? 0,
      name: named.name,
      state: named.state,
    });
  weeks.sort((a, b) => compareText(a.week, b.week));

  // Policy versions as the weeks' latest Section III list them: this week's listing replaces
  // what its earlier revisions listed, and a version no week lists any more is dropped.
  const policies = new Map<string, JurisdictionPolicy>();
  for (const p of before.policies) {
    const weeks = (p.weeks ?? []).filter((w) => w !== week);
    if (weeks.length > 0) policies.set(policyKey(p), { ...p, weeks });
  }
  for (const row of edition.sectionIII) {
    if (row.jurisdiction.id !== id) continue;
    const version = { ...row.policy, aor: row.jurisdiction.aor ?? null };
    const key = policyKey(version);
    const known = policies.get(key);
    policies.set(key, {
      ...version,
      repealedOn: known?.repealedOn ?? null,
      weeks: [...(known?.weeks ?? []), week].sort(),
      firstWeek: null,
      lastWeek: null,
    });
  }
  for (const p of policies.values()) {
    p.firstWeek = p.weeks[0] ?? null;
    p.lastWeek = p.weeks.at(-1) ?? null;
  }

  // Corrections about it that this week's revisions logged (the log is cumulative per week).
  const corrections = before.corrections.filter((c) => c.week !== week);
  for (const entry of edition.corrections) {
    if (entry.jurisdiction.id === id) corrections.push(correctionOf(week, entry));
  }
  corrections.sort(
    (a, b) => compareText(b.date, a.date) || compareText(b.week, a.week) || b.revision - a.revision,
  );

  // The name and state shown are the newest week's that names it: this week's if it is the
  // newest, else the newest's as it recorded them (a re-issue that drops it gives it back).
  const newest = weeks.at(-1);
  const jurisdiction =
    named && (newest === undefined || newest.week <= week)
      ? named
      : newest?.name !== undefined && newest.state !== undefined
        ? { ...before.jurisdiction, name: newest.name, state: newest.state }
        : before.jurisdiction;
  return {
    schemaVersion: JURISDICTION_SCHEMA_VERSION,
    jurisdiction,
    policies: sortPolicies([...policies.values()]),
    weeks,
    declines,
    disputes: before.disputes,
    corrections,
    synthetic: before.synthetic || edition.synthetic,
  };
}

/** Newest enacted first; of one date, the one listed last first. */
function sortPolicies(policies: JurisdictionPolicy[]): JurisdictionPolicy[] {
  return policies.sort(
    (a, b) => compareText(b.enactedOn, a.enactedOn) || compareText(b.lastWeek ?? '', a.lastWeek ?? ''),
  );
}

/**
 * The repeal date of each listed version, from the publisher's records (a version is known by its
 * enactment date there). Only dates: what a version says is what the editions published.
 */
export function withRecordedPolicies(
  history: JurisdictionHistory,
  recorded: readonly RecordedPolicy[],
): JurisdictionHistory {
  const repealed = new Map(recorded.map((version) => [version.enactedOn, version.repealedOn ?? null]));
  return {
    ...history,
    policies: history.policies.map((p) => ({ ...p, repealedOn: repealed.get(p.enactedOn) ?? null })),
  };
}

function correctionOf(week: string, entry: CorrectionEntry): JurisdictionCorrection {
  return {
    week,
    revision: entry.revision,
    date: entry.date,
    ref: entry.ref ?? null,
    field: entry.field,
    before: entry.before,
    after: entry.after,
    reason: entry.reason,
  };
}

/** A record's totals, for the index of every jurisdiction. */
export interface JurisdictionSummary {
  id: string;
  name: string;
  state: string;
  /** Declines listed in the latest revisions (withdrawn rows not counted). */
  declines: number;
  /** Published weeks that name it. */
  weeks: number;
  lastWeek: string;
  hasPolicy: boolean;
}

export function summaryOf(history: JurisdictionHistory): JurisdictionSummary {
  return {
    id: history.jurisdiction.id,
    name: history.jurisdiction.name,
    state: history.jurisdiction.state,
    declines: history.declines.filter((d) => d.state !== 'withdrawn').length,
    weeks: history.weeks.length,
    lastWeek: history.weeks.at(-1)?.week ?? '',
    hasPolicy: history.policies.length > 0,
  };
}

/** Index order: state, then name (contract §3's order), then id. */
export function compareSummaries(a: JurisdictionSummary, b: JurisdictionSummary): number {
  return compareText(a.state, b.state) || compareText(a.name, b.name) || compareText(a.id, b.id);
}
