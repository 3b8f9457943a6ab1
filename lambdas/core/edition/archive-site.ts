import {
  foldWeek,
  type JurisdictionHistory,
  type JurisdictionSummary,
  namedJurisdictions,
  type RecordedPolicy,
  summaryOf,
  withRecordedPolicies,
} from './jurisdiction-record';
import type { Edition } from './model';
import type { SiteWriter } from './ports';
import {
  ARCHIVE_STATE_KEY,
  DATA_DECLINES_KEY,
  DATA_README_KEY,
  DATA_WEEKLY_KEY,
  JURISDICTIONS_INDEX_KEY,
  jurisdictionPrefix,
  jurisdictionStatePrefix,
  jurisdictionYearPrefix,
} from './site-layout';

/**
 * The archive's own pages and data (CONTRACT.md §4, v3): every jurisdiction's record, the index
 * of them, and the whole-archive `/data/` files. A publication folds its week in: it reads and
 * writes the records of the jurisdictions the week names (or named in its revision before), and
 * rebuilds the index and data files from one state object, so its cost grows with the week's
 * jurisdictions and not with the number of weeks. Nothing is invalidated in the CDN: these files
 * are cached for 5 minutes at most (`CACHE_SHORT`), which is the contract's freshness.
 */

/** What one week contributes to the archive: `data/_/weeks/{week}.json`, written by its fold. */
export interface ArchiveWeek {
  revision: number;
  synthetic: boolean;
  /** The jurisdictions its latest revision names (to find those a later revision drops). */
  jurisdictions: string[];
  /** Its blocks of /data/declines.csv and /data/weekly.csv (CSV lines, no header). */
  declines: string;
  weekly: string;
}

/**
 * `data/_/state.json`: every jurisdiction's totals (for the index) and the weeks folded in. Its
 * size grows with the jurisdictions, and by a date a week. `generation` counts the folds that
 * changed something; `built` is the generation the index and data files were last built from.
 */
export interface ArchiveState {
  schemaVersion: 1;
  generation: number;
  built: number;
  weeks: string[];
  jurisdictions: Record<string, JurisdictionSummary>;
  /**
   * Per jurisdiction, the disputes naming it (ids and open or resolved) when its page last
   * counted them: a run's build refreshes the pages whose disputes changed since. Absent in a
   * state written before it, which then refreshes every jurisdiction a dispute names once.
   */
  disputes?: Record<string, string>;
}

/** A dispute as the archive counts it: about one published row (its ref), open or resolved. */
export interface ArchiveDispute {
  id: string;
  ref: string;
  open: boolean;
  /** The jurisdictions its record names: the pages that may count it. */
  jurisdictionIds: readonly string[];
}

export interface ArchiveRenderer {
  jurisdictionPage(history: JurisdictionHistory, asOf: string): string;
  jurisdictionYears(history: JurisdictionHistory, asOf: string): { year: string; page: string }[];
  jurisdictionCsv(history: JurisdictionHistory): string;
  index(
    summaries: readonly JurisdictionSummary[],
    synthetic: boolean,
  ): { index: string; states: { code: string; page: string }[] };
  weekDeclines(edition: Edition): string;
  weekWeekly(edition: Edition): string;
  declinesHeader: string;
  weeklyHeader: string;
  readme: string;
}

export interface ArchiveSiteDeps {
  site: Pick<SiteWriter, 'putFile' | 'readText'>;
  render: ArchiveRenderer;
  /** Runs `work` while no other publication updates the archive (two may run at once). */
  exclusive: <T>(work: () => Promise<T>) => Promise<T>;
  /**
   * Every dispute, open and resolved (a page counts those about the rows it lists). A fold may be
   * given a listing a few seconds old; `fresh` asks for one made now (the run's refresh).
   */
  disputes: (options?: { fresh?: boolean }) => Promise<readonly ArchiveDispute[]>;
  /** The publication's date (ISO), shown as the pages' "as of". */
  today: () => string;
  /** The policy versions the publisher's records hold (their repeal dates), for many at once. */
  recordedPolicies?: (ids: readonly string[]) => Promise<Map<string, RecordedPolicy[]>>;
}

/** Jurisdictions folded at once (each a read and three or more writes). */
const FOLD_CONCURRENCY = 16;

const emptyState = (): ArchiveState => ({
  schemaVersion: 1,
  generation: 0,
  built: 0,
  weeks: [],
  jurisdictions: {},
});

const weekBlockKey = (week: string) => `data/_/weeks/${week}.json`;

async function readJson<T>(deps: ArchiveSiteDeps, key: string): Promise<T | undefined> {
  const text = await deps.site.readText(key);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

type DisputeCounts = Map<string, { open: number; resolved: number }>;

/** Disputes by the ref of the row they are about: how many open, how many resolved. */
function countsByRef(disputes: readonly ArchiveDispute[]): DisputeCounts {
  const counts: DisputeCounts = new Map();
  for (const dispute of disputes) {
    const entry = counts.get(dispute.ref) ?? { open: 0, resolved: 0 };
    if (dispute.open) entry.open += 1;
    else entry.resolved += 1;
    counts.set(dispute.ref, entry);
  }
  return counts;
}

/** Per jurisdiction, the disputes naming it as one string (ids and states, sorted). */
function disputePrints(disputes: readonly ArchiveDispute[]): Map<string, string> {
  const byJurisdiction = new Map<string, string[]>();
  for (const dispute of disputes) {
    for (const id of new Set(dispute.jurisdictionIds)) {
      const list = byJurisdiction.get(id) ?? [];
      list.push(`${dispute.id}:${dispute.open ? 'open' : 'resolved'}`);
      byJurisdiction.set(id, list);
    }
  }
  return new Map([...byJurisdiction].map(([id, list]) => [id, list.sort().join(' ')]));
}

/** A record with its keys in order, so two of the same content serialise the same. */
function inKeyOrder(entries: [string, string][]): Record<string, string> {
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Runs `work` on each of `items`, FOLD_CONCURRENCY at a time; the first failure stops the rest. */
async function eachAtOnce<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      try {
        await work(item);
      } catch (error) {
        // Stop the others taking more, and let them finish, before the lease is released.
        queue.length = 0;
        throw error;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: FOLD_CONCURRENCY }, worker));
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * A jurisdiction's page and its history.json, as of `asOf` (the page is made from the record
 * alone). The page first: history.json is what the next fold reads, so a crash between the two
 * leaves a record that is redone, and a reader who sees the new record finds the page already new.
 */
async function putRecord(
  deps: ArchiveSiteDeps,
  id: string,
  history: JurisdictionHistory,
  asOf: string,
): Promise<void> {
  const prefix = jurisdictionPrefix(id);
  await deps.site.putFile(
    `${prefix}index.html`,
    deps.render.jurisdictionPage(history, asOf),
    'html',
    'short',
  );
  await deps.site.putFile(`${prefix}history.json`, `${JSON.stringify(history, null, 2)}\n`, 'json', 'short');
}

/** Disputes about the rows a record lists (any state: a withdrawn row was disputed too). */
function disputesOf(history: JurisdictionHistory, byRef: DisputeCounts): { open: number; resolved: number } {
  const counts = { open: 0, resolved: 0 };
  for (const decline of new Set(history.declines.map((d) => d.ref))) {
    const found = byRef.get(decline);
    if (found) {
      counts.open += found.open;
      counts.resolved += found.resolved;
    }
  }
  return counts;
}

/**
 * Folds the latest revision of a week into its jurisdictions' records and pages: the work of one
 * publication, which reads and writes the week's jurisdictions and two small objects, whatever
 * the archive's size. Idempotent (the same revision again writes the same records), and never
 * goes back: an older revision arriving after a newer one changes nothing. The index and the
 * whole-archive data files are `buildArchiveFiles`' (once per run).
 */
export async function updateArchive(
  deps: ArchiveSiteDeps,
  edition: Edition,
): Promise<{ jurisdictions: number; changed: boolean }> {
  return deps.exclusive(async () => {
    const state = (await readJson<ArchiveState>(deps, ARCHIVE_STATE_KEY)) ?? emptyState();
    const { week, revision } = edition.edition;
    const before = await readJson<ArchiveWeek>(deps, weekBlockKey(week));
    if (before && before.revision > revision) return { jurisdictions: 0, changed: false };

    const named = namedJurisdictions(edition);
    const touched = new Set([...named.keys(), ...(before?.jurisdictions ?? [])]);
    for (const entry of edition.corrections) touched.add(entry.jurisdiction.id);
    const allDisputes = await deps.disputes();
    const disputes = countsByRef(allDisputes);
    // One read for every touched jurisdiction's records, not one a jurisdiction.
    const recordedAll = await deps.recordedPolicies?.([...touched]);
    const asOf = deps.today();
    let changed = false;
    const foldOne = async (id: string) => {
      const prefix = jurisdictionPrefix(id);
      const history = await readJson<JurisdictionHistory>(deps, `${prefix}history.json`);
      let folded = foldWeek(history, id, edition);
      if (folded === undefined) return;
      const recorded = recordedAll?.get(id);
      if (recorded !== undefined) folded = withRecordedPolicies(folded, recorded);
      folded.disputes = disputesOf(folded, disputes);
      for (const { year, page } of deps.render.jurisdictionYears(folded, asOf)) {
        await deps.site.putFile(`${jurisdictionYearPrefix(id, year)}index.html`, page, 'html', 'short');
      }
      await deps.site.putFile(`${prefix}declines.csv`, deps.render.jurisdictionCsv(folded), 'csv', 'short');
      await putRecord(deps, id, folded, asOf);
      const summary =
        folded.weeks.length === 0 && folded.declines.length === 0 ? undefined : summaryOf(folded);
      if (JSON.stringify(summary) !== JSON.stringify(state.jurisdictions[id])) changed = true;
      if (summary === undefined) delete state.jurisdictions[id];
      else state.jurisdictions[id] = summary;
    };
    // Jurisdictions are independent: a few at a time, so a week of thousands of them (5,000
    // declines) folds in seconds of S3 calls, not minutes one by one.
    await eachAtOnce([...touched].sort(), foldOne);
    // The folded pages counted today's disputes: the run's refresh need not read them again.
    const prints = disputePrints(allDisputes);
    const seen = { ...state.disputes };
    for (const id of touched) {
      const print = prints.get(id);
      if (print === undefined) delete seen[id];
      else seen[id] = print;
    }
    state.disputes = inKeyOrder(Object.entries(seen));

    const block: ArchiveWeek = {
      revision,
      synthetic: edition.synthetic,
      jurisdictions: [...named.keys()].sort(),
      declines: deps.render.weekDeclines(edition),
      weekly: deps.render.weekWeekly(edition),
    };
    const blockChanged = JSON.stringify(block) !== JSON.stringify(before);
    if (!state.weeks.includes(week)) state.weeks = [...state.weeks, week].sort();
    // The state (its generation bumped) before the block: a crash between them leaves a block
    // the retry still finds changed, so the next build never skips it.
    if (changed || blockChanged) {
      state.generation += 1;
      await deps.site.putFile(ARCHIVE_STATE_KEY, JSON.stringify(state), 'json', 'short');
    }
    if (blockChanged) await deps.site.putFile(weekBlockKey(week), JSON.stringify(block), 'json', 'short');
    return { jurisdictions: touched.size, changed: changed || blockChanged };
  });
}

/**
 * The dispute counts of the jurisdiction pages whose disputes changed since their page last
 * counted them (a dispute opened or resolved about a row the page lists): their history.json and
 * page written again with the counts of now. A dispute is no row change, so no publication may
 * fold its jurisdiction for weeks; each run's build does this instead. Reads every dispute (three
 * Queries) and only the records of the jurisdictions they name whose disputes changed. Updates
 * `state.disputes`; the number of pages written again.
 */
async function refreshDisputeCounts(deps: ArchiveSiteDeps, state: ArchiveState): Promise<number> {
  const all = await deps.disputes({ fresh: true });
  const byRef = countsByRef(all);
  const prints = disputePrints(all);
  const seen = state.disputes ?? {};
  const changed = [...new Set([...prints.keys(), ...Object.keys(seen)])]
    .filter((id) => prints.get(id) !== seen[id])
    .sort();
  const asOf = deps.today();
  let pages = 0;
  await eachAtOnce(changed, async (id) => {
    const prefix = jurisdictionPrefix(id);
    const history = await readJson<JurisdictionHistory>(deps, `${prefix}history.json`);
    // No record yet (its rows are not published): its first fold counts them.
    if (history !== undefined) {
      const counts = disputesOf(history, byRef);
      if (counts.open !== history.disputes.open || counts.resolved !== history.disputes.resolved) {
        await putRecord(deps, id, { ...history, disputes: counts }, asOf);
        pages += 1;
      }
    }
  });
  state.disputes = inKeyOrder([...prints]);
  return pages;
}

/**
 * The index of jurisdictions (and its state pages) and the whole-archive data files, built from
 * every week's block: once per weekly run, after each `npm run publish`, and by `rebuild-site`
 * (contract §4, freshness). Does nothing when no fold changed anything since the last build,
 * unless `force`; the dispute counts of the jurisdiction pages are refreshed either way.
 */
export async function buildArchiveFiles(
  deps: ArchiveSiteDeps,
  options: { force?: boolean } = {},
): Promise<{ built: boolean; weeks: number; disputePages: number }> {
  return deps.exclusive(async () => {
    const state = (await readJson<ArchiveState>(deps, ARCHIVE_STATE_KEY)) ?? emptyState();
    const before = JSON.stringify(state.disputes ?? {});
    const disputePages = await refreshDisputeCounts(deps, state);
    if (options.force !== true && state.built >= state.generation) {
      if (JSON.stringify(state.disputes) !== before) {
        await deps.site.putFile(ARCHIVE_STATE_KEY, JSON.stringify(state), 'json', 'short');
      }
      return { built: false, weeks: 0, disputePages };
    }
    // Every week's block, FOLD_CONCURRENCY reads at a time, kept in week order.
    const read: (ArchiveWeek | undefined)[] = new Array(state.weeks.length);
    let next = 0;
    const reader = async () => {
      for (let i = next++; i < state.weeks.length; i = next++) {
        read[i] = await readJson<ArchiveWeek>(deps, weekBlockKey(state.weeks[i] ?? ''));
      }
    };
    await Promise.all(Array.from({ length: FOLD_CONCURRENCY }, reader));
    const blocks = read.filter((block): block is ArchiveWeek => block !== undefined);
    const synthetic = blocks.some((block) => block.synthetic);
    await deps.site.putFile(
      DATA_DECLINES_KEY,
      deps.render.declinesHeader + blocks.map((block) => block.declines).join(''),
      'csv',
      'short',
    );
    await deps.site.putFile(
      DATA_WEEKLY_KEY,
      deps.render.weeklyHeader + blocks.map((block) => block.weekly).join(''),
      'csv',
      'short',
    );
    await deps.site.putFile(DATA_README_KEY, deps.render.readme, 'text', 'short');
    const { index, states } = deps.render.index(Object.values(state.jurisdictions), synthetic);
    for (const { code, page } of states) {
      await deps.site.putFile(`${jurisdictionStatePrefix(code)}index.html`, page, 'html', 'short');
    }
    await deps.site.putFile(JURISDICTIONS_INDEX_KEY, index, 'html', 'short');
    await deps.site.putFile(
      ARCHIVE_STATE_KEY,
      JSON.stringify({ ...state, built: state.generation }),
      'json',
      'short',
    );
    return { built: true, weeks: blocks.length, disputePages };
  });
}
