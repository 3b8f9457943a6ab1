/**
 * The pre-publication checks of a draft (CONTRACT.md §3 "Editorial review"): what an editor must
 * look at before an edition goes out, found in the data itself. Each is one of the ways the 2017
 * report was wrong about the jurisdictions it named: declines dated the day a policy began, one
 * county's rows counted for a namesake in another state, transfers counted as the sender's
 * declines. A pure function of the assembled edition and what the draft's assembler read besides.
 */
import type { DeclineRow, Edition, JurisdictionName } from '#core/edition/model';
import { compareCodePoints } from '#core/ordering';
import { addDays, daysBetween } from '#core/reporting-week';

export const CHECK_IDS = [
  'late-record',
  'spike',
  'same-name',
  'self-transfer',
  'open-dispute',
  'thin-section-i',
  'changed-after-draft',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];

/** One check that found something: a sentence with counts, and the rows and jurisdictions it is about. */
export interface CheckFinding {
  id: CheckId;
  message: string;
  /** The Section II rows it is about, in the edition's order. */
  refs: string[];
  /** For checks about jurisdictions rather than rows. */
  jurisdictionIds?: string[];
}

/** A decline learned more than this many days after it happened is `late-record`. */
export const LATE_RECORD_DAYS = 30;
/** `spike`: at least this many declines in the week… */
export const SPIKE_MIN_DECLINES = 5;
/** …and more than this many times the jurisdiction's mean of the weeks before. */
export const SPIKE_FACTOR = 3;
/** The weeks before the edition's that the spike's mean is taken over. */
export const SPIKE_WEEKS = 12;

/** What the checks need besides the edition, read when the draft is assembled. */
export interface CheckContext {
  /**
   * Declines counted for each jurisdiction in the `SPIKE_WEEKS` weeks before the edition's, by
   * jurisdiction id (fewer entries, or none, count as weeks of zero).
   */
  readonly declinesBefore: ReadonlyMap<string, readonly number[]>;
  /** Refs of this edition's rows with a dispute still open. */
  readonly openDisputeRefs: ReadonlySet<string>;
  /** Same-name pairs an editor acknowledged for good, as `sameNamePairKey` makes them. */
  readonly acknowledgedPairs: ReadonlySet<string>;
  /** Refs of records changed after the draft was assembled (it was assembled again since). */
  readonly changedAfterDraft: readonly string[];
}

export const NO_CONTEXT: CheckContext = {
  declinesBefore: new Map(),
  openDisputeRefs: new Set(),
  acknowledgedPairs: new Set(),
  changedAfterDraft: [],
};

/** Every check that found something in `edition`, in the contract's order; none on a clean week. */
export function reviewChecks(edition: Edition, context: CheckContext = NO_CONTEXT): CheckFinding[] {
  const rows = sectionIIRows(edition);
  const findings = [
    lateRecords(rows),
    spikes(edition, context),
    sameNames(edition, rows, context),
    selfTransfers(rows),
    openDisputes(rows, context),
    thinSectionI(edition),
    changedAfterDraft(rows, context),
  ];
  return findings.filter((finding): finding is CheckFinding => finding !== undefined);
}

/** The key of a same-name pair, whichever way round its ids come. */
export function sameNamePairKey(a: string, b: string): string {
  return [a, b].sort(compareCodePoints).join('|');
}

interface Row {
  readonly row: DeclineRow;
  /** The jurisdiction the row is counted for (the receiving one after a transfer). */
  readonly countedFor: JurisdictionName;
}

function sectionIIRows(edition: Edition): Row[] {
  return edition.sectionII.flatMap((group) =>
    group.declines.map((row) => ({ row, countedFor: group.jurisdiction })),
  );
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

const named = (jurisdiction: JurisdictionName) => `${jurisdiction.name} (${jurisdiction.state})`;

/** Names in a sentence: "A", "A and B", "A, B and C"; past `limit`, "and N more". */
function listed(names: readonly string[], limit = 5): string {
  const shown = names.slice(0, limit);
  const rest = names.length - shown.length;
  const items = rest > 0 ? [...shown, `${rest} more`] : shown;
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function lateRecords(rows: readonly Row[]): CheckFinding | undefined {
  const late = rows
    .map(({ row }) => ({ ref: row.ref, days: daysBetween(row.declinedOn, row.learnedOn) }))
    .filter((entry) => entry.days > LATE_RECORD_DAYS);
  if (late.length === 0) return undefined;
  const longest = Math.max(...late.map((entry) => entry.days));
  return {
    id: 'late-record',
    message:
      `${plural(late.length, 'decline was', 'declines were')} recorded more than ${LATE_RECORD_DAYS} days ` +
      `after ${late.length === 1 ? 'it' : 'they'} happened (the longest ${longest} days): check that the ` +
      'declined-on date is the decline’s own, not a policy’s or a batch’s.',
    refs: late.map((entry) => entry.ref),
  };
}

function spikes(edition: Edition, context: CheckContext): CheckFinding | undefined {
  const found = edition.sectionII
    .map((group) => {
      const before = context.declinesBefore.get(group.jurisdiction.id) ?? [];
      const mean = before.slice(-SPIKE_WEEKS).reduce((sum, count) => sum + count, 0) / SPIKE_WEEKS;
      return { group, count: group.declines.length, mean };
    })
    .filter(({ count, mean }) => count >= SPIKE_MIN_DECLINES && count > SPIKE_FACTOR * mean);
  if (found.length === 0) return undefined;
  const each = found.map(
    ({ group, count, mean }) => `${named(group.jurisdiction)}, ${count} against a mean of ${mean.toFixed(1)}`,
  );
  return {
    id: 'spike',
    message:
      `${plural(found.length, 'jurisdiction has', 'jurisdictions have')} at least ${SPIKE_MIN_DECLINES} ` +
      `declines this week and more than ${SPIKE_FACTOR} times ${found.length === 1 ? 'its' : 'their'} ` +
      `weekly mean of the ${SPIKE_WEEKS} weeks before: ${listed(each)}.`,
    refs: found.flatMap(({ group }) => group.declines.map((row) => row.ref)),
    jurisdictionIds: found.map(({ group }) => group.jurisdiction.id),
  };
}

/** NFC, then full case folding as far as JavaScript has it: upper then lower maps ß to ss. */
const folded = (name: string) => name.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');

function sameNames(edition: Edition, rows: readonly Row[], context: CheckContext): CheckFinding | undefined {
  const jurisdictions = new Map<string, JurisdictionName>();
  const add = (jurisdiction: JurisdictionName) => {
    if (!jurisdictions.has(jurisdiction.id)) jurisdictions.set(jurisdiction.id, jurisdiction);
  };
  for (const row of edition.sectionI) add(row.jurisdiction);
  for (const group of edition.sectionII) {
    add(group.jurisdiction);
    for (const row of group.declines) if (row.transferredFrom !== undefined) add(row.transferredFrom);
  }
  for (const row of edition.sectionIII) add(row.jurisdiction);

  const byName = new Map<string, JurisdictionName[]>();
  for (const jurisdiction of jurisdictions.values()) {
    const key = folded(jurisdiction.name);
    byName.set(key, [...(byName.get(key) ?? []), jurisdiction]);
  }
  const involved = new Set<string>();
  const names: string[] = [];
  for (const namesakes of byName.values()) {
    let found = false;
    for (const [index, a] of namesakes.entries()) {
      for (const b of namesakes.slice(index + 1)) {
        if (a.state === b.state || context.acknowledgedPairs.has(sameNamePairKey(a.id, b.id))) continue;
        involved.add(a.id);
        involved.add(b.id);
        found = true;
      }
    }
    if (found) {
      const states = [...new Set(namesakes.filter((j) => involved.has(j.id)).map((j) => j.state))].sort();
      names.push(`${namesakes[0]?.name ?? ''} (${states.join(', ')})`);
    }
  }
  if (involved.size === 0) return undefined;
  const ids = [...involved].sort(compareCodePoints);
  return {
    id: 'same-name',
    message:
      `${plural(names.length, 'name is', 'names are')} shared by jurisdictions of different states in this ` +
      `edition: ${listed(names)}. Check that each row is counted for the right one.`,
    refs: rows
      .filter(
        ({ row, countedFor }) => involved.has(countedFor.id) || involved.has(row.transferredFrom?.id ?? ''),
      )
      .map(({ row }) => row.ref),
    jurisdictionIds: ids,
  };
}

function selfTransfers(rows: readonly Row[]): CheckFinding | undefined {
  const found = rows.filter(({ row, countedFor }) => row.transferredFrom?.id === countedFor.id);
  if (found.length === 0) return undefined;
  return {
    id: 'self-transfer',
    message:
      `${plural(found.length, 'decline is', 'declines are')} recorded as transferred to the jurisdiction ` +
      `${found.length === 1 ? 'it was' : 'they were'} issued to: a transfer names another agency, so the ` +
      'record is probably wrong.',
    refs: found.map(({ row }) => row.ref),
    jurisdictionIds: [...new Set(found.map(({ countedFor }) => countedFor.id))],
  };
}

function openDisputes(rows: readonly Row[], context: CheckContext): CheckFinding | undefined {
  const found = rows.filter(({ row }) => context.openDisputeRefs.has(row.ref));
  if (found.length === 0) return undefined;
  return {
    id: 'open-dispute',
    message: `${plural(found.length, 'row of this edition has', 'rows of this edition have')} an open dispute.`,
    refs: found.map(({ row }) => row.ref),
  };
}

function thinSectionI(edition: Edition): CheckFinding | undefined {
  const found = edition.sectionI.filter((row) => !row.hasPolicy && row.declined === 1);
  if (found.length === 0) return undefined;
  const ids = new Set(found.map((row) => row.jurisdiction.id));
  return {
    id: 'thin-section-i',
    message:
      `${plural(found.length, 'Section I jurisdiction has', 'Section I jurisdictions have')} no policy and ` +
      `exactly one decline, so one record puts ${found.length === 1 ? 'it' : 'them'} in the table: ` +
      `${listed(found.map((row) => named(row.jurisdiction)))}.`,
    refs: edition.sectionII
      .filter((group) => ids.has(group.jurisdiction.id))
      .flatMap((group) => group.declines.map((row) => row.ref)),
    jurisdictionIds: found.map((row) => row.jurisdiction.id),
  };
}

function changedAfterDraft(rows: readonly Row[], context: CheckContext): CheckFinding | undefined {
  if (context.changedAfterDraft.length === 0) return undefined;
  const changed = new Set(context.changedAfterDraft);
  // Rows still in the edition, in its order, then refs the re-assembly dropped from it.
  const inEdition = rows.map(({ row }) => row.ref).filter((ref) => changed.has(ref));
  const gone = [...changed].filter((ref) => !inEdition.includes(ref)).sort(compareCodePoints);
  return {
    id: 'changed-after-draft',
    message:
      `${plural(changed.size, 'record', 'records')} changed after the draft was first assembled; it was ` +
      `assembled again${gone.length === 0 ? '' : `, and ${plural(gone.length, 'row', 'rows')} left it`}.`,
    refs: [...inEdition, ...gone],
  };
}

/**
 * The declines each jurisdiction had in the `SPIKE_WEEKS` weeks before `week`, as the latest
 * revision of each of those weeks listed them (weeks never published count as zero), oldest first.
 */
export function declinesBefore(week: string, earlier: readonly Edition[]): Map<string, number[]> {
  const byWeek = new Map(earlier.map((edition) => [edition.edition.week, edition]));
  const weeks = Array.from({ length: SPIKE_WEEKS }, (_, i) => addDays(week, -7 * (SPIKE_WEEKS - i)));
  const counts = new Map<string, number[]>();
  weeks.forEach((day, index) => {
    // A group is the jurisdiction its rows are counted for (the receiving one after a transfer).
    for (const group of byWeek.get(day)?.sectionII ?? []) {
      const series = counts.get(group.jurisdiction.id) ?? Array.from({ length: SPIKE_WEEKS }, () => 0);
      series[index] = (series[index] ?? 0) + group.declines.length;
      counts.set(group.jurisdiction.id, series);
    }
  });
  return counts;
}

/**
 * The refs of Section II rows that differ between two assemblies of one week (`changed-after-draft`):
 * rows added, dropped or changed in any field, and rows whose jurisdiction changed.
 */
export function changedRefs(before: Edition, after: Edition): string[] {
  const rowsOf = (edition: Edition) =>
    new Map(
      edition.sectionII.flatMap((group) =>
        group.declines.map((row) => [row.ref, JSON.stringify([group.jurisdiction, row])] as const),
      ),
    );
  const was = rowsOf(before);
  const now = rowsOf(after);
  const refs = new Set<string>();
  for (const [ref, text] of now) if (was.get(ref) !== text) refs.add(ref);
  for (const ref of was.keys()) if (!now.has(ref)) refs.add(ref);
  return [...refs].sort(compareCodePoints);
}
