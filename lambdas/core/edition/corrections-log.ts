import type { HistoryEntry, JurisdictionItem, OutcomeItem, PolicyVersion } from '#core/intake/model';
import { displayName, policyInForce } from '#core/intake/model';
import { declineJurisdiction, type JurisdictionRef, type OutcomeRecord } from '#core/intake/outcome-record';
import { compareCodePoints } from '#core/ordering';
import { todayIn, weekOf } from '#core/reporting-week';
import type { CorrectionEntry, Edition, JurisdictionName, PolicyView, SectionIRow } from './model';

/**
 * The corrections log of a new revision (CONTRACT.md section 3): each record or policy change
 * made since the previous revision was published that altered the edition's own content.
 *
 * Primary course: for each record, undo its changes since the previous revision to learn what it
 * was then, and compare what it contributed to the week before and after (issued for whom,
 * declined for whom, its Section II row); for each jurisdiction, compare how the two editions
 * show it. A change is listed only when the part of the edition it feeds actually differs, and
 * only for fields that feed own content. A field changed and changed back is not listed.
 */

/** A record that was, or now is, in the week: the stored item and its history. */
export interface RecordChangeInfo {
  kind: 'record';
  /** The record as stored now (voided or not, in the week or not). */
  item: OutcomeItem;
  /**
   * Its history as listed by the store (whole, or since the previous revision). Only revisions
   * made after the previous edition's `publishedAt` count; the item's `lastChange` is added when
   * its copy has not reached the history yet; dispute steps are ignored.
   */
  history: HistoryEntry[];
}

/** A jurisdiction that either edition names, or whose policy may be in force: the stored item. */
export interface JurisdictionChangeInfo {
  kind: 'jurisdiction';
  /** The item as stored now. */
  item: JurisdictionItem;
  /** Its changes, oldest first, the last one included (`jurisdictionHistory`). */
  history: HistoryEntry[];
}

export type ChangeInfo = RecordChangeInfo | JurisdictionChangeInfo;

/** Record fields that a Section II row shows. */
const ROW_FIELDS: ReadonlySet<string> = new Set([
  'status',
  'jurisdiction',
  'transferredTo',
  'issuedOn',
  'declinedOn',
  'learnedOn',
  'facility',
  'citizenship',
  'offenses',
  'kind',
  'liftedOn',
  'voided',
]);

/** Record fields that decide whether, and for whom, a record is counted. */
const COUNT_FIELDS: ReadonlySet<string> = new Set([
  'status',
  'jurisdiction',
  'transferredTo',
  'issuedOn',
  'learnedOn',
  'voided',
]);

const NO_REASON = 'no reason given';

export function correctionsBetween(
  previous: Edition,
  next: Edition,
  changes: readonly ChangeInfo[],
): CorrectionEntry[] {
  const week = next.edition.week;
  if (previous.edition.week !== week) {
    throw new Error(`cannot compare editions of different weeks (${previous.edition.week} and ${week})`);
  }
  const context: Context = {
    week,
    weekEnd: next.edition.weekEnd,
    since: previous.edition.publishedAt,
    before: indexEdition(previous),
    after: indexEdition(next),
    headlineDiffers: {
      issued: previous.headline.issued !== next.headline.issued,
      declined: previous.headline.declined !== next.headline.declined,
    },
  };
  const base = {
    revision: next.edition.revision,
    // The revision's date as readers of the report see it: in the report's time zone.
    date: todayIn(next.edition.timeZone, new Date(next.edition.publishedAt)),
  };
  const found: Found[] = [];
  for (const change of changes) {
    if (change.kind === 'record') found.push(...recordCorrections(change, context));
    else found.push(...jurisdictionCorrections(change.item, change.history, context));
  }
  found.sort(
    (a, b) =>
      compareCodePoints(a.at, b.at) ||
      compareCodePoints(a.subject, b.subject) ||
      a.entryRevision - b.entryRevision ||
      a.position - b.position,
  );
  return found.map(({ entry }) => ({ ...base, ...entry }));
}

interface EditionIndex {
  /** Section II rows by ref, with the jurisdiction they are listed under (as JSON). */
  rows: Map<string, string>;
  sectionI: Map<string, SectionIRow>;
  /** Section III rows by jurisdiction id (as JSON). */
  sectionIII: Map<string, string>;
  /** Every way the edition shows a jurisdiction (id, name, state), by id. */
  shown: Map<string, JurisdictionName[]>;
}

interface Context {
  week: string;
  weekEnd: string;
  since: string;
  before: EditionIndex;
  after: EditionIndex;
  headlineDiffers: { issued: boolean; declined: boolean };
}

interface Found {
  at: string;
  /** Sorts the log after the change time: `r:<ref>` for records, `j:<id>` for jurisdictions. */
  subject: string;
  entryRevision: number;
  position: number;
  entry: Omit<CorrectionEntry, 'revision' | 'date'>;
}

function nameOf(ref: JurisdictionName): JurisdictionName {
  return { id: ref.id, name: ref.name, state: ref.state };
}

function indexEdition(edition: Edition): EditionIndex {
  const shown = new Map<string, JurisdictionName[]>();
  const show = (ref: JurisdictionName) => {
    const list = shown.get(ref.id) ?? [];
    const name = nameOf(ref);
    if (!list.some((known) => JSON.stringify(known) === JSON.stringify(name))) list.push(name);
    shown.set(ref.id, list);
  };
  const rows = new Map<string, string>();
  for (const group of edition.sectionII) {
    show(group.jurisdiction);
    for (const row of group.declines) {
      rows.set(row.ref, JSON.stringify({ jurisdiction: group.jurisdiction, row }));
      if (row.transferredFrom) show(row.transferredFrom);
    }
  }
  const sectionI = new Map<string, SectionIRow>();
  for (const row of edition.sectionI) {
    sectionI.set(row.jurisdiction.id, row);
    show(row.jurisdiction);
  }
  const sectionIII = new Map<string, string>();
  for (const row of edition.sectionIII) {
    sectionIII.set(row.jurisdiction.id, JSON.stringify(row));
    show(row.jurisdiction);
  }
  return { rows, sectionI, sectionIII, shown };
}

/** A Section I row without its rank: another jurisdiction moving up must not implicate this one. */
function sectionIFootprint(index: EditionIndex, id: string): string | undefined {
  const row = index.sectionI.get(id);
  return (
    row &&
    JSON.stringify({
      jurisdiction: row.jurisdiction,
      issued: row.issued,
      declined: row.declined,
      hasPolicy: row.hasPolicy,
    })
  );
}

function sectionIDiffers(context: Context, id: string): boolean {
  return sectionIFootprint(context.before, id) !== sectionIFootprint(context.after, id);
}

/** How the edition shows a jurisdiction, or undefined when it does not appear. */
function shownAs(context: Context, id: string): JurisdictionName | undefined {
  return context.after.shown.get(id)?.[0] ?? context.before.shown.get(id)?.[0];
}

/** Revisions made after `since`, oldest first, one per revision. */
function revisionsSince(history: readonly HistoryEntry[], since: string): Revision[] {
  const byRevision = new Map<number, Revision>();
  for (const entry of history) {
    const { revision } = entry;
    if (revision === null || entry.at <= since) continue;
    byRevision.set(revision, { ...entry, revision });
  }
  return [...byRevision.values()].sort((a, b) => a.revision - b.revision);
}

interface Contribution {
  issuedFor?: JurisdictionRef;
  declinedFor?: JurisdictionRef;
}

function contributionOf(
  state: { record: OutcomeRecord; voided: boolean } | undefined,
  week: string,
): Contribution {
  if (!state || state.voided) return {};
  const { record } = state;
  const declined =
    record.status === 'declined' && record.learnedOn !== undefined && weekOf(record.learnedOn) === week;
  return {
    ...(weekOf(record.issuedOn) === week ? { issuedFor: record.jurisdiction } : {}),
    ...(declined ? { declinedFor: declineJurisdiction(record) } : {}),
  };
}

/** The record as it was before `entries`: their changes undone, newest first. */
function undo(
  item: OutcomeItem,
  entries: readonly HistoryEntry[],
): { record: OutcomeRecord; voided: boolean } {
  const fields: Record<string, unknown> = { ...item.record };
  let voided = item.voided;
  for (const entry of [...entries].reverse()) {
    for (const change of entry.changes) {
      if (change.field === 'voided') voided = change.before === true;
      else if (change.before === null || change.before === undefined) delete fields[change.field];
      else fields[change.field] = change.before;
    }
  }
  return { record: fields as unknown as OutcomeRecord, voided };
}

/** Drops fields whose changes since the previous revision cancel out (A → B → A). */
function netChanges<T extends { field: string; before: unknown; after: unknown }>(
  changes: readonly T[],
): T[] {
  const first = new Map<string, unknown>();
  const last = new Map<string, unknown>();
  for (const change of changes) {
    if (!first.has(change.field)) first.set(change.field, change.before);
    last.set(change.field, change.after);
  }
  return changes.filter(
    (change) =>
      JSON.stringify(first.get(change.field) ?? null) !== JSON.stringify(last.get(change.field) ?? null),
  );
}

type Revision = HistoryEntry & { revision: number };
interface RecordFieldChange {
  field: string;
  before: unknown;
  after: unknown;
  entry: Revision;
  position: number;
}

/**
 * The field changes to consider. A record created since the previous revision is one entry
 * (`status`: null → its status), and a record voided since then is one entry (`voided`): what
 * else changed in between is not what changed the edition.
 */
function candidateChanges(
  item: OutcomeItem,
  entries: readonly Revision[],
  wasVoided: boolean,
): RecordFieldChange[] {
  const creation = entries.find((entry) => entry.revision === 1);
  if (creation)
    return [{ field: 'status', before: null, after: item.record.status, entry: creation, position: 0 }];
  const voiding = entries.find((entry) => entry.changes.some((change) => change.field === 'voided'));
  if (item.voided && !wasVoided && voiding) {
    return [{ field: 'voided', before: false, after: true, entry: voiding, position: 0 }];
  }
  return netChanges(
    entries.flatMap((entry) =>
      entry.changes.map((change, position) => ({
        field: change.field,
        before: change.before ?? null,
        after: change.after ?? null,
        entry,
        position,
      })),
    ),
  );
}

function recordCorrections(change: RecordChangeInfo, context: Context): Found[] {
  const { item } = change;
  const entries = revisionsSince([...change.history, item.lastChange], context.since);
  if (entries.length === 0) return [];
  const created = entries.some((entry) => entry.revision === 1);
  const earlier = created ? undefined : undo(item, entries);
  const now = contributionOf(item, context.week);
  const then = contributionOf(earlier, context.week);

  const rowChanged = context.before.rows.get(item.ref) !== context.after.rows.get(item.ref);
  const ids = [then.issuedFor, now.issuedFor, then.declinedFor, now.declinedFor]
    .filter((ref) => ref !== undefined)
    .map((ref) => ref.id);
  // Counted or no longer counted, where the headline figure did move; or counted for another
  // jurisdiction, where that jurisdiction's Section I row did change.
  const headlineMoved =
    ((then.issuedFor === undefined) !== (now.issuedFor === undefined) && context.headlineDiffers.issued) ||
    ((then.declinedFor === undefined) !== (now.declinedFor === undefined) &&
      context.headlineDiffers.declined);
  const countChanged =
    JSON.stringify(then) !== JSON.stringify(now) &&
    (headlineMoved || ids.some((id) => sectionIDiffers(context, id)));
  if (!rowChanged && !countChanged) return [];

  // Listed under the jurisdiction the record counts for now, or counted for before it left.
  const home =
    now.declinedFor ?? now.issuedFor ?? then.declinedFor ?? then.issuedFor ?? item.record.jurisdiction;
  const jurisdiction = shownAs(context, home.id) ?? nameOf(home);

  return candidateChanges(item, entries, earlier?.voided ?? false)
    .filter(
      (fieldChange) =>
        (rowChanged && ROW_FIELDS.has(fieldChange.field)) ||
        (countChanged && COUNT_FIELDS.has(fieldChange.field)),
    )
    .map((fieldChange) => ({
      at: fieldChange.entry.at,
      subject: `r:${item.ref}`,
      entryRevision: fieldChange.entry.revision,
      position: fieldChange.position,
      entry: {
        ref: item.ref,
        jurisdiction,
        field: fieldChange.field,
        before: fieldChange.before,
        after: fieldChange.after,
        reason: fieldChange.entry.reason ?? NO_REASON,
      },
    }));
}

/** A policy change as readers see it: the version in force at the week's end, or null. */
function policyAtWeekEnd(value: unknown, weekEnd: string): PolicyView | null {
  if (!Array.isArray(value)) return null;
  const policy = policyInForce(value as PolicyVersion[], weekEnd);
  if (!policy) return null;
  return {
    enactedOn: policy.enactedOn,
    type: policy.type,
    summary: policy.summary,
    criteria: policy.criteria,
    source: policy.source,
  };
}

/**
 * The whole policy list before and after each entry, from the list as it is now: a policy change
 * holds only the versions it added, corrected or removed, so the entries are replayed backwards
 * (each one's `after` versions taken out, its `before` versions put back).
 */
function policyLists(
  current: readonly PolicyVersion[],
  history: readonly HistoryEntry[],
): Map<number | null, { before: PolicyVersion[]; after: PolicyVersion[] }> {
  const lists = new Map<number | null, { before: PolicyVersion[]; after: PolicyVersion[] }>();
  let after = [...current];
  for (const entry of [...history].reverse()) {
    let before = after;
    for (const change of entry.changes) {
      if (change.field !== 'policy') continue;
      const removed = Array.isArray(change.after) ? (change.after as PolicyVersion[]) : [];
      const restored = Array.isArray(change.before) ? (change.before as PolicyVersion[]) : [];
      const gone = new Set(removed.map((version) => JSON.stringify(version)));
      before = [...before.filter((version) => !gone.has(JSON.stringify(version))), ...restored];
    }
    lists.set(entry.revision, { before, after });
    after = before;
  }
  return lists;
}

function jurisdictionCorrections(
  item: JurisdictionItem,
  history: readonly HistoryEntry[],
  context: Context,
): Found[] {
  const entries = revisionsSince(history, context.since);
  if (entries.length === 0) return [];
  const lists = policyLists(item.policies, history);
  const { id } = item;
  const shownDiffers =
    JSON.stringify(context.before.shown.get(id) ?? null) !==
    JSON.stringify(context.after.shown.get(id) ?? null);
  const sectionIIIDiffers = context.before.sectionIII.get(id) !== context.after.sectionIII.get(id);
  const policyShownDiffers =
    sectionIIIDiffers ||
    context.before.sectionI.get(id)?.hasPolicy !== context.after.sectionI.get(id)?.hasPolicy;
  const relevant: Record<string, boolean> = {
    'jurisdiction.name': shownDiffers,
    'jurisdiction.state': shownDiffers,
    policy: policyShownDiffers,
    // Section III shows the AOR beside the jurisdiction.
    aor: sectionIIIDiffers,
  };
  const jurisdiction = shownAs(context, id) ?? { id, name: displayName(item), state: item.state };

  const flat = entries.flatMap((entry) =>
    entry.changes.map((fieldChange, position) => {
      // A policy change holds the versions it touched; the log shows the one in force at the
      // week's end in the whole list before and after it.
      const isPolicy = fieldChange.field === 'policy';
      const whole = lists.get(entry.revision);
      return {
        field: fieldChange.field,
        before: isPolicy ? policyAtWeekEnd(whole?.before, context.weekEnd) : (fieldChange.before ?? null),
        after: isPolicy ? policyAtWeekEnd(whole?.after, context.weekEnd) : (fieldChange.after ?? null),
        entry,
        position,
      };
    }),
  );
  return netChanges(
    flat.filter((fieldChange) => JSON.stringify(fieldChange.before) !== JSON.stringify(fieldChange.after)),
  )
    .filter((fieldChange) => relevant[fieldChange.field] === true)
    .map((fieldChange) => ({
      at: fieldChange.entry.at,
      subject: `j:${id}`,
      entryRevision: fieldChange.entry.revision,
      position: fieldChange.position,
      entry: {
        jurisdiction,
        field: fieldChange.field,
        before: fieldChange.before,
        after: fieldChange.after,
        reason: fieldChange.entry.reason ?? NO_REASON,
      },
    }));
}
