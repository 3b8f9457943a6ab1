import { ValidationError } from '#core/errors';
import { hasWeekEnded, isCalendarDate, weekEnd, weekOf } from '#core/reporting-week';
import { type AssemblyOptions, assembleEdition } from './assembly';
import type { CorrectionEntry, EarlierCorrection, Edition, SectionIV } from './model';
import type { EditionRecord, EditionStore, SiteWriter } from './ports';
import { revisionsRead } from './reissue';
import { latestPrefix, revisionPath, revisionPrefix, siteLink, weekPath } from './site-layout';
import type { WeekData, WeekSource } from './week-data';

/** Turns an edition into the site's files: the page, its data, the archive and the feed. */
export interface EditionRenderer {
  /** `location`: served at the week's latest path or at its revision path (relative links differ). */
  page(
    edition: Edition,
    options: { location: 'latest' | 'revision'; superseded?: { revision: number; publishedAt: string } },
  ): string;
  csv(edition: Edition): string;
  json(edition: Edition): string;
  index(records: readonly EditionRecord[], latest: Edition | undefined): string;
  feed(records: readonly EditionRecord[]): string;
}

export interface PublishDeps {
  weeks: WeekSource;
  editions: EditionStore;
  site: SiteWriter;
  render: EditionRenderer;
  timeZone: string;
  synthetic: boolean;
  siteUrl: string;
  now: () => Date;
  nextEditionOn: (now: Date) => string;
  openDisputes: () => Promise<SectionIV['openDisputes']>;
  /**
   * The corrections log entries between the latest revision and the new one. `previousIds` are
   * the detainer ids the previous revision was built from, so records that left the week count.
   */
  corrections: (
    previous: Edition,
    next: Edition,
    data: WeekData,
    previousIds: readonly string[],
    since: string,
  ) => Promise<CorrectionEntry[]>;
  /** The detainer ids each revision was built from (kept privately, never published). */
  revisionRecords: {
    get(week: string, revision: number): Promise<string[] | undefined>;
    put(week: string, revision: number, ids: readonly string[]): Promise<void>;
  };
  /** Drops the CDN's copies of changed paths (deployed only; the local gateway caches nothing). */
  invalidate?: (paths: readonly string[], reference: string) => Promise<void>;
  /** Uploads the shared assets (stylesheet) beside the pages. */
  uploadAssets?: () => Promise<void>;
  /** Starts (or resumes) the email of a revision whose decision is `send`. */
  send?: ((edition: Edition, record: EditionRecord) => Promise<void>) | undefined;
}

export interface PublishRequest {
  /** Any date in the week; the edition is named by the week's Saturday. */
  date: string;
  email: boolean;
}

export interface PublishResult {
  week: string;
  result: 'published' | 'unchanged';
  revision: number;
  record: EditionRecord;
  edition: Edition;
  url: string;
  /** The revision of each record the publication read (to settle the week's re-issue mark). */
  read: ReadonlyMap<string, number>;
}

/** The week a publish request names: a date's Saturday, refused until that week has ended. */
export function editionWeek(date: string, timeZone: string, now: Date): string {
  if (!isCalendarDate(date)) {
    throw new ValidationError('the week must be a date written YYYY-MM-DD', [
      { path: 'week', message: `not a date: ${date}` },
    ]);
  }
  const week = weekOf(date);
  if (!hasWeekEnded(week, timeZone, now)) {
    throw new ValidationError(
      `the week of ${week} to ${weekEnd(week)} has not ended in ${timeZone}: only a complete week can be published (use --preview to see a draft)`,
      [{ path: 'week', message: 'week not ended' }],
    );
  }
  return week;
}

/** Assembles the edition a publication would make now from the week's data, writing nothing. */
export async function draftEdition(
  deps: PublishDeps,
  data: WeekData,
  revision: number,
  extra: Pick<AssemblyOptions, 'corrections' | 'earlierCorrections' | 'correctionsSinceLastEdition'>,
): Promise<Edition> {
  const now = deps.now();
  return assembleEdition(data, {
    revision,
    publishedAt: now.toISOString(),
    timeZone: deps.timeZone,
    synthetic: deps.synthetic,
    nextEditionOn: deps.nextEditionOn(now),
    openDisputes: await deps.openDisputes(),
    ...extra,
  });
}

/** Re-issues of earlier weeks made since the newest emailed week's first revision. */
function earlierCorrectionsSince(
  records: readonly EditionRecord[],
  week: string,
  siteUrl: string,
): EarlierCorrection[] {
  const emailed = records
    .filter((r) => r.email.decision === 'send')
    .sort((a, b) => b.publishedAt.localeCompare(a.publishedAt))[0];
  const since = emailed?.publishedAt ?? '';
  return records
    .filter((r) => r.revision > 1 && r.week < week && r.publishedAt > since)
    .sort((a, b) => a.week.localeCompare(b.week) || a.revision - b.revision)
    .map((r) => ({
      week: r.week,
      weekEnd: r.weekEnd,
      revision: r.revision,
      publishedAt: r.publishedAt,
      changes: r.correctionsAdded,
      url: siteLink(siteUrl, revisionPath(r.week, r.revision)),
    }));
}

/**
 * Publishing one week. Primary course: assemble the edition from the week's records; if its
 * own content (headline, Sections I–III) equals the latest revision's, nothing new is made (a
 * rerun only repairs the shared files and completes a send that stopped midway); otherwise write
 * the new revision's files, then commit the revision with a conditional put (the commit point),
 * then the week's latest files, the archive and the feed. Every step before the commit can be
 * repeated; every step after it is rebuilt from the committed records, so a crash anywhere is
 * mended by running the publication again.
 */
export async function publishWeek(deps: PublishDeps, request: PublishRequest): Promise<PublishResult> {
  const week = editionWeek(request.date, deps.timeZone, deps.now());
  for (let attempt = 0; attempt < 5; attempt++) {
    const latest = await deps.editions.latest(week);
    const all = await deps.editions.listAll();
    const earlier = earlierCorrectionsSince(all, week, deps.siteUrl);
    const previous = latest ? await deps.site.readEdition(week, latest.revision) : undefined;
    const revision = (latest?.revision ?? 0) + 1;
    const readAt = deps.now().toISOString();
    const data = await deps.weeks.readWeek(week);
    let edition = await draftEdition(deps, data, revision, {
      corrections: previous?.corrections ?? [],
      earlierCorrections: earlier,
      correctionsSinceLastEdition: earlier.length,
    });
    if (latest && previous && edition.edition.contentHash === latest.contentHash) {
      // A publication that stopped after its commit is completed here: every step after the
      // commit is repeatable.
      if (latest.email.decision === 'send') await deps.editions.markEmailed(week);
      await markSuperseded(deps, week, latest);
      await writeShared(deps, previous);
      if (latest.email.decision === 'send' && deps.send) await deps.send(previous, latest);
      return {
        week,
        result: 'unchanged',
        revision: latest.revision,
        record: latest,
        edition: previous,
        url: pageUrl(deps, week),
        read: revisionsRead(data),
      };
    }
    const previousIds = latest ? ((await deps.revisionRecords.get(week, latest.revision)) ?? []) : [];
    // Changes since the previous revision began its read: one that landed during that read may
    // be missing from it, though it is older than its publication time.
    const since = latest?.readAt ?? previous?.edition.publishedAt ?? '';
    const added = previous ? await deps.corrections(previous, edition, data, previousIds, since) : [];
    if (added.length > 0) edition = { ...edition, corrections: [...edition.corrections, ...added] };

    const lastEmailed = await deps.editions.lastEmailedWeek();
    const email = emailDecision(revision, request.email, week, lastEmailed);
    const record: EditionRecord = {
      week,
      weekEnd: weekEnd(week),
      revision,
      contentHash: edition.edition.contentHash,
      publishedAt: edition.edition.publishedAt,
      readAt,
      headline: edition.headline,
      synthetic: edition.synthetic,
      correctionsAdded: added.length,
      email,
    };
    await deps.revisionRecords.put(week, revision, recordIds(data));
    await writeRevision(deps, edition);
    if (!(await deps.editions.commit(record))) continue; // another publication made this revision first
    if (email.decision === 'send') await deps.editions.markEmailed(week);
    await markSuperseded(deps, week, record);
    await writeShared(deps, edition);
    if (email.decision === 'send' && deps.send) await deps.send(edition, record);
    return {
      week,
      result: 'published',
      revision,
      record,
      edition,
      url: pageUrl(deps, week),
      read: revisionsRead(data),
    };
  }
  throw new Error(`could not publish ${week}: other publications kept winning`);
}

/** The detainer ids an edition was built from, kept privately so a later revision finds records that left. */
export function recordIds(data: WeekData): string[] {
  return [...new Set([...data.issued, ...data.declined].map((item) => item.detainerId))].sort();
}

function pageUrl(deps: PublishDeps, week: string): string {
  return siteLink(deps.siteUrl, weekPath(week));
}

/** The page of the revision before `record` gains a notice that `record` supersedes it; its data stays. */
async function markSuperseded(deps: PublishDeps, week: string, record: EditionRecord): Promise<void> {
  if (record.revision < 2) return;
  const older = await deps.site.readEdition(week, record.revision - 1);
  if (!older) return;
  const page = deps.render.page(older, {
    location: 'revision',
    superseded: { revision: record.revision, publishedAt: record.publishedAt },
  });
  await deps.site.putFile(`${revisionPrefix(week, record.revision - 1)}index.html`, page, 'html', 'short');
}

/** Revision 1 is emailed once, unless asked not to or a later week was already emailed. */
export function emailDecision(
  revision: number,
  wanted: boolean,
  week: string,
  lastEmailedWeek: string | undefined,
): EditionRecord['email'] {
  if (revision !== 1) return { decision: 'none', reason: 're-issues are listed in the next emailed edition' };
  if (!wanted) return { decision: 'none', reason: 'publishing was asked not to email (--no-email)' };
  if (lastEmailedWeek !== undefined && lastEmailedWeek > week) {
    return {
      decision: 'none',
      reason: `a later week (${lastEmailedWeek}) was already emailed: backfills stay quiet`,
    };
  }
  return { decision: 'send', reason: 'first publication of the week' };
}

async function writeRevision(deps: PublishDeps, edition: Edition): Promise<void> {
  const prefix = revisionPrefix(edition.edition.week, edition.edition.revision);
  await deps.site.putFile(`${prefix}report.json`, deps.render.json(edition), 'json', 'immutable');
  await deps.site.putFile(`${prefix}declined.csv`, deps.render.csv(edition), 'csv', 'immutable');
  await deps.site.putFile(
    `${prefix}index.html`,
    deps.render.page(edition, { location: 'revision' }),
    'html',
    'short',
  );
}

/** The week's latest files, the archive and the feed: rebuilt from the committed records. */
async function writeShared(deps: PublishDeps, edition: Edition): Promise<void> {
  const prefix = latestPrefix(edition.edition.week);
  await deps.site.putFile(`${prefix}report.json`, deps.render.json(edition), 'json', 'short');
  await deps.site.putFile(`${prefix}declined.csv`, deps.render.csv(edition), 'csv', 'short');
  await deps.site.putFile(
    `${prefix}index.html`,
    deps.render.page(edition, { location: 'latest' }),
    'html',
    'short',
  );
  await deps.uploadAssets?.();
  const all = await deps.editions.listAll();
  const newestWeek = all[0]?.week;
  const latestEdition =
    newestWeek === edition.edition.week
      ? edition
      : newestWeek && all[0]
        ? await deps.site.readEdition(newestWeek, all[0].revision)
        : undefined;
  await deps.site.putFile('index.html', deps.render.index(all, latestEdition), 'html', 'short');
  await deps.site.putFile('feed.xml', deps.render.feed(all), 'atom', 'short');
  const { week, revision } = edition.edition;
  await deps.invalidate?.(changedPaths(week, revision), `${week}-r${revision}-${deps.now().getTime()}`);
}

/**
 * The viewer paths a publication of `revision` rewrites: the archive and feed, the week's latest
 * files, and the superseded revision's page. Exact paths, never a wildcard: CloudFront allows only
 * 15 wildcard invalidations in progress (3,000 paths), and a re-issue run may publish many weeks.
 * A new revision's own files were never cached, and its data files never change.
 */
export function changedPaths(week: string, revision: number): string[] {
  const latest = weekPath(week);
  const paths = ['/', '/index.html', '/feed.xml', latest, `${latest}index.html`, `${latest}report.json`];
  paths.push(`${latest}declined.csv`);
  if (revision > 1) {
    const superseded = revisionPath(week, revision - 1);
    paths.push(superseded, `${superseded}index.html`);
  }
  return paths;
}
