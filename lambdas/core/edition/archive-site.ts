import {
  foldWeek,
  type JurisdictionHistory,
  type JurisdictionSummary,
  namedJurisdictions,
  summaryOf,
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

/** What one week contributes to the archive: kept in the state object, per week. */
export interface ArchiveWeek {
  revision: number;
  synthetic: boolean;
  /** The jurisdictions its latest revision names (to find those a later revision drops). */
  jurisdictions: string[];
  /** Its blocks of /data/declines.csv and /data/weekly.csv (CSV lines, no header). */
  declines: string;
  weekly: string;
}

export interface ArchiveState {
  schemaVersion: 1;
  weeks: Record<string, ArchiveWeek>;
  jurisdictions: Record<string, JurisdictionSummary>;
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
  /** Disputes by the ref of the row they are about: how many open, how many resolved. */
  disputesByRef: () => Promise<Map<string, { open: number; resolved: number }>>;
  /** The publication's date (ISO), shown as the pages' "as of". */
  today: () => string;
}

const emptyState = (): ArchiveState => ({ schemaVersion: 1, weeks: {}, jurisdictions: {} });

async function readJson<T>(deps: ArchiveSiteDeps, key: string): Promise<T | undefined> {
  const text = await deps.site.readText(key);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

/** Disputes about the rows a record lists (any state: a withdrawn row was disputed too). */
function disputesOf(
  history: JurisdictionHistory,
  byRef: Map<string, { open: number; resolved: number }>,
): { open: number; resolved: number } {
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
 * Folds the latest revision of a week into the archive's pages and data. Idempotent (the same
 * revision again rewrites the same bytes), and never goes back: an older revision arriving after
 * a newer one changes nothing.
 */
export async function updateArchive(
  deps: ArchiveSiteDeps,
  edition: Edition,
): Promise<{ jurisdictions: number }> {
  return deps.exclusive(async () => {
    const state = (await readJson<ArchiveState>(deps, ARCHIVE_STATE_KEY)) ?? emptyState();
    const { week, revision } = edition.edition;
    const before = state.weeks[week];
    if (before && before.revision > revision) return { jurisdictions: 0 };

    const named = namedJurisdictions(edition);
    const touched = new Set([...named.keys(), ...(before?.jurisdictions ?? [])]);
    for (const entry of edition.corrections) touched.add(entry.jurisdiction.id);
    const disputes = await deps.disputesByRef();
    const asOf = deps.today();
    for (const id of [...touched].sort()) {
      const prefix = jurisdictionPrefix(id);
      const history = await readJson<JurisdictionHistory>(deps, `${prefix}history.json`);
      const folded = foldWeek(history, id, edition);
      if (folded === undefined) continue;
      folded.disputes = disputesOf(folded, disputes);
      for (const { year, page } of deps.render.jurisdictionYears(folded, asOf)) {
        await deps.site.putFile(`${jurisdictionYearPrefix(id, year)}index.html`, page, 'html', 'short');
      }
      await deps.site.putFile(`${prefix}declines.csv`, deps.render.jurisdictionCsv(folded), 'csv', 'short');
      await deps.site.putFile(
        `${prefix}history.json`,
        `${JSON.stringify(folded, null, 2)}\n`,
        'json',
        'short',
      );
      await deps.site.putFile(
        `${prefix}index.html`,
        deps.render.jurisdictionPage(folded, asOf),
        'html',
        'short',
      );
      if (folded.weeks.length === 0 && folded.declines.length === 0) delete state.jurisdictions[id];
      else state.jurisdictions[id] = summaryOf(folded);
    }

    state.weeks[week] = {
      revision,
      synthetic: edition.synthetic,
      jurisdictions: [...named.keys()].sort(),
      declines: deps.render.weekDeclines(edition),
      weekly: deps.render.weekWeekly(edition),
    };
    await writeArchiveFiles(deps, state);
    await deps.site.putFile(ARCHIVE_STATE_KEY, JSON.stringify(state), 'json', 'short');
    return { jurisdictions: touched.size };
  });
}

/** The index (and its state pages) and the whole-archive data files, from the state object. */
async function writeArchiveFiles(deps: ArchiveSiteDeps, state: ArchiveState): Promise<void> {
  const weeks = Object.keys(state.weeks).sort();
  const blocks = weeks.map((week) => state.weeks[week]);
  const synthetic = blocks.some((block) => block?.synthetic === true);
  await deps.site.putFile(
    DATA_DECLINES_KEY,
    deps.render.declinesHeader + blocks.map((block) => block?.declines ?? '').join(''),
    'csv',
    'short',
  );
  await deps.site.putFile(
    DATA_WEEKLY_KEY,
    deps.render.weeklyHeader + blocks.map((block) => block?.weekly ?? '').join(''),
    'csv',
    'short',
  );
  await deps.site.putFile(DATA_README_KEY, deps.render.readme, 'text', 'short');
  const { index, states } = deps.render.index(Object.values(state.jurisdictions), synthetic);
  for (const { code, page } of states) {
    await deps.site.putFile(`${jurisdictionStatePrefix(code)}index.html`, page, 'html', 'short');
  }
  await deps.site.putFile(JURISDICTIONS_INDEX_KEY, index, 'html', 'short');
}
