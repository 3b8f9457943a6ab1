import { ValidationError } from '#core/errors';
import { hasWeekEnded, isCalendarDate, weekEnd, weekOf } from '#core/reporting-week';
import type { CheckContext } from '#core/review/checks';
import { isDue } from '#core/review/draft';
import {
  publishingDraft,
  type ReviewSettings,
  type ReviewStore,
  reviewDraft,
  type StoredDraft,
  settlePublished,
} from '#core/review/gate';
import { type AssemblyOptions, assembleEdition } from './assembly';
import type { CorrectionEntry, EarlierCorrection, Edition, SectionIV } from './model';
import type { EditionRecord, EditionStore, SiteWriter } from './ports';
import { revisionsRead } from './reissue';
import {
  latestPrefix,
  revisionPath,
  revisionPrefix,
  SECTION_II_FOLDER,
  sectionIIPartKey,
  sectionIIPartPath,
  siteLink,
  weekPath,
} from './site-layout';
import type { WeekData, WeekSource } from './week-data';

/** Where an edition's page is served, and the revision that supersedes it, if any. */
export interface PageOptions {
  location: 'latest' | 'revision';
  superseded?: { revision: number; publishedAt: string };
}

/** Turns an edition into the site's files: the page, its data, the archive and the feed. */
export interface EditionRenderer {
  /** `location`: served at the week's latest path or at its revision path (relative links differ). */
  page(edition: Edition, options: PageOptions): string;
  /**
   * Section II's pages of its own, in order (part n at `_/section-ii/{n}/` below the page's folder);
   * none for a usual week. Same options as `page`.
   */
  sectionIIPages(edition: Edition, options: PageOptions): string[];
  /**
   * The page left at a part's path when its folder's page now has fewer parts (a later revision
   * with fewer rows, or a page rendered again under other rules). Same options as `page`.
   */
  retiredPart(edition: Edition, options: PageOptions, part: number): string;
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
  /**
   * Each attempt's edition and record ids, kept privately before its commit under a key of its
   * own, so that a racing attempt never overwrites what the winner publishes.
   */
  drafts: {
    put(week: string, revision: number, attempt: string, draft: Draft): Promise<void>;
    get(week: string, revision: number, attempt: string): Promise<Draft | undefined>;
  };
  /** The detainer ids each revision was built from (kept privately, never published). */
  revisionRecords: {
    get(week: string, revision: number): Promise<string[] | undefined>;
    put(week: string, revision: number, ids: readonly string[]): Promise<void>;
  };
  /** Drops the CDN's copies of changed paths (deployed only; the local gateway caches nothing). */
  invalidate?: (paths: readonly string[], reference: string) => Promise<void>;
  /**
   * Folds the week's newest revision into the jurisdiction pages, their index and the `/data/`
   * files (archive-site.ts). Without it (unit tests of the flow) they are not written.
   */
  archive?: (edition: Edition) => Promise<unknown>;
  /**
   * Builds the jurisdiction index and the whole-archive `/data/` files from every week folded in:
   * once per run and after an operator's publication (the handler's), and by `rebuildSite`.
   */
  archiveFiles?: (options?: { force?: boolean }) => Promise<unknown>;
  /** Uploads the shared assets (stylesheet) beside the pages. */
  uploadAssets?: () => Promise<void>;
  /** The drafts under editorial review (contract §3); without it nothing is reviewed. */
  reviews?: ReviewStore;
  /** What the review checks need besides the edition (earlier weeks, open disputes). */
  reviewContext?: (edition: Edition) => Promise<CheckContext>;
  /**
   * A draft's files for its editors (its page and report.json fields), kept privately by content
   * hash and written before the draft names that hash, so whatever a draft names can be served.
   */
  previews?: {
    has(week: string, contentHash: string): Promise<boolean>;
    put(edition: Edition): Promise<void>;
  };
  /**
   * Starts (or completes) the email of a revision whose decision is `send`; with `resume`, also
   * queues the readers a finished fan-out has not reached (an operator's rerun).
   */
  send?:
    | ((edition: Edition, record: EditionRecord, options?: { resume?: boolean }) => Promise<void>)
    | undefined;
}

export interface PublishRequest {
  /** Any date in the week; the edition is named by the week's Saturday. */
  date: string;
  email: boolean;
  /**
   * An operator's rerun (`npm run publish`): the week's emailed revision reaches every confirmed
   * reader not yet sent, such as those of a dead-lettered batch (contract §6).
   */
  resumeEmail?: boolean;
  /**
   * The schedule's publication under editorial review (`REVIEW_MODE` window or required): the week
   * is a draft until it is due. Absent: it publishes at once (`off`, or an operator).
   */
  review?: ReviewSettings & { readonly runId: string };
  /**
   * `npm run publish`: published at once whatever the draft's state, and recorded as
   * `published-by-operator` with this name.
   */
  operator?: string;
}

/** What an attempt keeps before its commit: the edition it would publish, and the ids it was built from. */
export interface Draft {
  readonly edition: Edition;
  readonly ids: readonly string[];
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

/** A publication under review that made or assembled again a draft, and published nothing. */
export interface DraftedResult {
  week: string;
  result: 'drafted';
  stored: StoredDraft;
  /** The draft is new or its content changed since the editors last saw it. */
  changed: boolean;
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
export async function publishWeek(
  deps: PublishDeps,
  request: PublishRequest,
): Promise<PublishResult | DraftedResult> {
  const week = editionWeek(request.date, deps.timeZone, deps.now());
  for (let attempt = 0; attempt < 5; attempt++) {
    const latest = await deps.editions.latest(week);
    const all = await deps.editions.listAll();
    const earlier = earlierCorrectionsSince(all, week, deps.siteUrl);
    const previous = latest ? await committedEdition(deps, latest) : undefined;
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
      // A publication that stopped between its commit and recording its draft as published.
      const open = deps.reviews === undefined ? undefined : await deps.reviews.get(week);
      if (
        deps.reviews &&
        open &&
        open.draft.status !== 'published' &&
        open.draft.contentHash === latest.contentHash
      ) {
        await settlePublished(deps.reviews, week, latest.contentHash, latest.publishedAt, request.operator);
      }
      await writeShared(deps, previous, await markSuperseded(deps, week, latest));
      await completeEmail(deps, week, all, { latest, edition: previous }, request.resumeEmail === true);
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
    // Editorial review: the schedule's publication is a draft until it is due; an operator's
    // publishes whatever the draft's state. Section IV then says how the edition was reviewed.
    const reviewAt = deps.now().toISOString();
    let reviewed: ReturnType<typeof publishingDraft>;
    let emailUnderReview = false;
    /** The draft the schedule's publication found due, to check again just before it claims and commits. */
    let dueDraft: StoredDraft | undefined;
    if (deps.reviews !== undefined && (request.review !== undefined || request.operator !== undefined)) {
      let stored: StoredDraft | undefined;
      if (request.review !== undefined) {
        const hash = edition.edition.contentHash;
        if (deps.previews && !(await deps.previews.has(week, hash))) await deps.previews.put(edition);
        const gate = await reviewDraft(deps.reviews, request.review, {
          week,
          edition,
          runId: request.review.runId,
          email: request.email,
          at: reviewAt,
          ...(deps.reviewContext === undefined ? {} : { context: await deps.reviewContext(edition) }),
        });
        if (!gate.publish) return { week, result: 'drafted', stored: gate.stored, changed: gate.changed };
        stored = gate.stored;
        dueDraft = gate.stored;
      } else {
        stored = await deps.reviews.get(week);
      }
      reviewed = publishingDraft(
        stored,
        edition.edition.contentHash,
        reviewAt,
        deps.timeZone,
        request.operator,
      );
      if (reviewed !== undefined) {
        edition = { ...edition, sectionIV: { ...edition.sectionIV, review: reviewed.sentence } };
        // A week under review when a later one was emailed is emailed when it publishes.
        emailUnderReview = stored?.email === true;
      }
    }

    const previousIds = latest ? ((await deps.revisionRecords.get(week, latest.revision)) ?? []) : [];
    // Changes since the previous revision began its read: one that landed during that read may
    // be missing from it, though it is older than its publication time.
    const since = latest?.readAt ?? previous?.edition.publishedAt ?? '';
    const added = previous ? await deps.corrections(previous, edition, data, previousIds, since) : [];
    if (added.length > 0) edition = { ...edition, corrections: [...edition.corrections, ...added] };

    const lastEmailed = await deps.editions.lastEmailedWeek();
    let email = emailDecision(
      revision,
      request.email || emailUnderReview,
      week,
      lastEmailed,
      emailUnderReview,
    );
    // An editor's hold (or another decision) that landed while this publication rendered wins:
    // the draft is read again, and a changed one that is no longer due is left to wait.
    if (dueDraft !== undefined && deps.reviews !== undefined && request.review !== undefined) {
      const now = await deps.reviews.get(week);
      if (
        now !== undefined &&
        now.version !== dueDraft.version &&
        !isDue(now.draft, request.review.mode, deps.now().toISOString())
      ) {
        return { week, result: 'drafted', stored: now, changed: false };
      }
    }
    // The claim settles a race with a later week's first publication: whichever claims first
    // is emailed; the other, earlier week is then a backfill and stays quiet. A week that was
    // under review is no backfill: it claims nothing.
    if (email.decision === 'send' && !emailUnderReview && !(await deps.editions.claimEmail(week))) {
      email = { decision: 'none', reason: 'a later week was emailed first: backfills stay quiet' };
    }
    const draft = crypto.randomUUID();
    const record: EditionRecord = {
      week,
      weekEnd: weekEnd(week),
      revision,
      contentHash: edition.edition.contentHash,
      publishedAt: edition.edition.publishedAt,
      readAt,
      draft,
      headline: edition.headline,
      synthetic: edition.synthetic,
      correctionsAdded: added.length,
      email,
    };
    // Kept under this attempt's own key, then committed: only the winner's files are published,
    // and a committed revision's files are written from its draft alone, so they never change.
    const ids = recordIds(data);
    await deps.drafts.put(week, revision, draft, { edition, ids });
    if (!(await deps.editions.commit(record))) continue; // another publication made this revision first
    await deps.revisionRecords.put(week, revision, ids);
    await writeRevision(deps, edition);
    if (email.decision === 'send') await deps.editions.markEmailed(week);
    await writeShared(deps, edition, await markSuperseded(deps, week, record));
    if (reviewed !== undefined && deps.reviews !== undefined) {
      await settlePublished(deps.reviews, week, record.contentHash, reviewAt, request.operator);
    }
    if (email.decision === 'send' && deps.send) await deps.send(edition, record);
    else if (request.resumeEmail === true) await completeEmail(deps, week, all, undefined, true);
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

/**
 * The page of the revision before `record` gains a notice that `record` supersedes it; its data
 * stays. Answers how many part paths its folder has (0 when there is no older revision).
 */
async function markSuperseded(deps: PublishDeps, week: string, record: EditionRecord): Promise<number> {
  if (record.revision < 2) return 0;
  const older = await deps.site.readEdition(week, record.revision - 1);
  if (!older) return 0;
  const options = {
    location: 'revision',
    superseded: { revision: record.revision, publishedAt: record.publishedAt },
  } as const;
  return (await writePages(deps, revisionPrefix(week, record.revision - 1), older, options)).paths;
}

/** Part numbers with a page below `prefix`, as the site holds them now. */
async function partsOnSite(deps: PublishDeps, prefix: string): Promise<number[]> {
  const below = `${prefix}${SECTION_II_FOLDER}`;
  const parts: number[] = [];
  for (const key of await deps.site.listKeys(below)) {
    // `{n}/index.html` below the folder; anything else there is not a part's page.
    const part = Number(key.slice(below.length).split('/')[0]);
    if (Number.isSafeInteger(part) && part > 0 && key === `${prefix}${sectionIIPartKey(part)}`)
      parts.push(part);
  }
  return parts;
}

/**
 * An edition page and Section II's own pages, if it has any, below one folder. A part the folder
 * had beyond the new count is retired: found on the site, not recomputed, since a page rendered
 * again (another revision, `rebuild-site`'s templates, another site URL or contact line) may keep
 * its rows on fewer pages than it did. `paths`: how many part paths the folder has now.
 */
async function writePages(
  deps: PublishDeps,
  prefix: string,
  edition: Edition,
  options: PageOptions,
): Promise<{ parts: number; retired: number; paths: number }> {
  const parts = deps.render.sectionIIPages(edition, options);
  const before = await partsOnSite(deps, prefix);
  for (const [i, part] of parts.entries()) {
    await deps.site.putFile(`${prefix}${sectionIIPartKey(i + 1)}`, part, 'html', 'short');
  }
  const extra = before.filter((part) => part > parts.length).sort((a, b) => a - b);
  for (const part of extra) {
    const page = deps.render.retiredPart(edition, options, part);
    await deps.site.putFile(`${prefix}${sectionIIPartKey(part)}`, page, 'html', 'short');
  }
  await deps.site.putFile(`${prefix}index.html`, deps.render.page(edition, options), 'html', 'short');
  return { parts: parts.length, retired: extra.length, paths: Math.max(parts.length, ...extra) };
}

/** Revision 1 is emailed once, unless asked not to or a later week was already emailed. */
export function emailDecision(
  revision: number,
  wanted: boolean,
  week: string,
  lastEmailedWeek: string | undefined,
  /** The week was its run's week to email and waited for review: not a backfill (contract §3). */
  afterReview = false,
): EditionRecord['email'] {
  if (revision !== 1) return { decision: 'none', reason: 're-issues are listed in the next emailed edition' };
  if (!wanted) return { decision: 'none', reason: 'publishing was asked not to email (--no-email)' };
  if (afterReview) return { decision: 'send', reason: 'first publication of the week, after its review' };
  if (lastEmailedWeek !== undefined && lastEmailedWeek > week) {
    return {
      decision: 'none',
      reason: `a later week (${lastEmailedWeek}) was already emailed: backfills stay quiet`,
    };
  }
  return { decision: 'send', reason: 'first publication of the week' };
}

/** A revision's files; `report.json` last, so that its presence means the others are there. */
async function writeRevision(deps: PublishDeps, edition: Edition): Promise<void> {
  const prefix = revisionPrefix(edition.edition.week, edition.edition.revision);
  await deps.site.putFile(`${prefix}declined.csv`, deps.render.csv(edition), 'csv', 'immutable');
  await writePages(deps, prefix, edition, { location: 'revision' });
  await deps.site.putFile(`${prefix}report.json`, deps.render.json(edition), 'json', 'immutable');
}

/**
 * The edition a committed revision published; when its publication stopped between the commit
 * and its files, they are written now from the winner's draft (the same bytes it would have
 * written).
 */
/**
 * Completes the week's email, if it had one: resumes a fan-out that stopped, and with `resume`
 * queues the readers a finished one has not reached. The emailed revision is the week's first;
 * `known` is the latest revision when the caller has it loaded already.
 */
async function completeEmail(
  deps: PublishDeps,
  week: string,
  all: readonly EditionRecord[],
  known: { latest: EditionRecord; edition: Edition } | undefined,
  resume: boolean,
): Promise<void> {
  if (deps.send === undefined) return;
  const emailed =
    known?.latest.email.decision === 'send'
      ? known.latest
      : all.find((record) => record.week === week && record.email.decision === 'send');
  if (emailed === undefined) return;
  const edition = emailed === known?.latest ? known.edition : await committedEdition(deps, emailed);
  if (edition === undefined) return;
  await deps.send(edition, emailed, { resume });
}

async function committedEdition(deps: PublishDeps, record: EditionRecord): Promise<Edition | undefined> {
  const published = await deps.site.readEdition(record.week, record.revision);
  if (published || record.draft === undefined) return published;
  const draft = await deps.drafts.get(record.week, record.revision, record.draft);
  if (!draft) return undefined;
  await deps.revisionRecords.put(record.week, record.revision, draft.ids);
  await writeRevision(deps, draft.edition);
  return draft.edition;
}

/** The archive's state: every revision of every week, in order. */
const archiveState = (records: readonly EditionRecord[]) =>
  records.map((r) => `${r.week}#${r.revision}`).join();

/**
 * The week's latest files, the archive and the feed, rebuilt from the committed records. They
 * never go back to an older revision: each round writes the newest committed revision of the
 * week and the archive as it stands, then looks again, and writes again if a newer revision or
 * week was committed meanwhile (a slower publication finishing last still leaves the newest).
 */
async function writeShared(deps: PublishDeps, edition: Edition, supersededParts: number): Promise<void> {
  const { week } = edition.edition;
  let showing = edition;
  let parts = 0;
  for (let round = 0; round < 5; round++) {
    const newest = await deps.editions.latest(week);
    if (newest && newest.revision > showing.edition.revision) {
      showing = (await committedEdition(deps, newest)) ?? showing;
    }
    const prefix = latestPrefix(week);
    await deps.site.putFile(`${prefix}report.json`, deps.render.json(showing), 'json', 'short');
    await deps.site.putFile(`${prefix}declined.csv`, deps.render.csv(showing), 'csv', 'short');
    // Parts the replaced revision had past the new count get a page that says so.
    parts = Math.max(parts, (await writePages(deps, prefix, showing, { location: 'latest' })).paths);
    await deps.uploadAssets?.();
    const all = await deps.editions.listAll();
    const head = all[0];
    const latestEdition =
      head === undefined
        ? undefined
        : head.week === week && head.revision === showing.edition.revision
          ? showing
          : await committedEdition(deps, head);
    await deps.site.putFile('index.html', deps.render.index(all, latestEdition), 'html', 'short');
    await deps.site.putFile('feed.xml', deps.render.feed(all), 'atom', 'short');
    const after = await deps.editions.latest(week);
    const stable =
      (after?.revision ?? 0) <= showing.edition.revision &&
      archiveState(await deps.editions.listAll()) === archiveState(all);
    if (stable) break;
  }
  // After the week's own files: a jurisdiction page links the week's latest page.
  await deps.archive?.(showing);
  const { revision } = showing.edition;
  await deps.invalidate?.(
    changedPaths(week, revision, { latest: parts, superseded: supersededParts }),
    `${week}-r${revision}-${deps.now().getTime()}`,
  );
}

/**
 * The viewer paths a publication of `revision` rewrites: the archive and feed, the week's latest
 * files, and the superseded revision's page. Exact paths, never a wildcard: CloudFront allows only
 * 15 wildcard invalidations in progress (3,000 paths), and a re-issue run may publish many weeks.
 * A new revision's own files were never cached, and its data files never change.
 */
export function changedPaths(
  week: string,
  revision: number,
  /** How many Section II part paths the latest folder and the superseded revision's folder have. */
  sectionIIParts: { latest?: number; superseded?: number } = {},
): string[] {
  const latest = weekPath(week);
  const paths = ['/', '/index.html', '/feed.xml', latest, `${latest}index.html`, `${latest}report.json`];
  paths.push(`${latest}declined.csv`);
  for (let part = 1; part <= (sectionIIParts.latest ?? 0); part++) {
    const folder = `${latest}${sectionIIPartPath(part)}`;
    paths.push(folder, `${folder}index.html`);
  }
  if (revision > 1) {
    const superseded = revisionPath(week, revision - 1);
    paths.push(superseded, `${superseded}index.html`);
    for (let part = 1; part <= (sectionIIParts.superseded ?? 0); part++) {
      const folder = `${superseded}${sectionIIPartPath(part)}`;
      paths.push(folder, `${folder}index.html`);
    }
  }
  return paths;
}

/** One call of `npm run rebuild-site`: how far it went, and where the next call starts. */
export interface RebuildResult {
  /** The weeks whose pages this call rendered again, oldest first. */
  weeks: string[];
  /** Pages written (revision pages, latest pages and Section II parts; jurisdiction pages apart). */
  pages: number;
  /** The last week done, to pass as `after`; null when the archive is done (home page and feed too). */
  next: string | null;
}

/** Weeks the publisher renders per `rebuild` call: each is a few pages and its jurisdictions' records (seconds at most). */
export const REBUILD_WEEKS_PER_CALL = 8;

/** The publisher's direct invocation that renders the next weeks of the archive. */
export interface RebuildInvocation {
  rebuild: { after?: string; limit: number };
}

/**
 * The whole archive rendered again, `REBUILD_WEEKS_PER_CALL` weeks a call of `invoke` (the
 * publisher, which holds the site's write grant), so no call comes near its timeout however long
 * the archive: `npm run rebuild-site`, and the local stack's empty site. Each call's result goes
 * to `progress`.
 */
export async function rebuildInCalls(
  invoke: (input: RebuildInvocation) => Promise<RebuildResult>,
  progress: (result: RebuildResult) => void = () => {},
): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const result = await invoke({
      rebuild: { ...(after === undefined ? {} : { after }), limit: REBUILD_WEEKS_PER_CALL },
    });
    progress(result);
    if (result.next === null) return;
    after = result.next;
  }
}

/**
 * Renders the published archive again with the current templates (contract §3, §6): each week's
 * revision pages (a superseded one with its notice), its latest page and Section II parts, and
 * its jurisdiction pages, oldest week first, `limit` weeks a call; the call that reaches the end
 * writes the home page and the feed. Presentation only: every page is rendered from the
 * revision's own report.json, and no data file (report.json, declined.csv) is written.
 */
export async function rebuildSite(
  deps: PublishDeps,
  options: { after?: string | undefined; limit: number },
): Promise<RebuildResult> {
  const all = await deps.editions.listAll();
  const byWeek = new Map<string, EditionRecord[]>();
  for (const record of all) byWeek.set(record.week, [...(byWeek.get(record.week) ?? []), record]);
  const weeks = [...byWeek.keys()]
    .sort()
    .filter((week) => options.after === undefined || week > options.after);
  const todo = weeks.slice(0, options.limit);
  let pages = 0;
  for (const week of todo) {
    const records = (byWeek.get(week) ?? []).sort((a, b) => a.revision - b.revision);
    let latest: Edition | undefined;
    for (const [i, record] of records.entries()) {
      const edition = await committedEdition(deps, record);
      if (edition === undefined)
        throw new Error(`the week of ${week} has no report.json for revision ${record.revision}`);
      const newer = records[i + 1];
      const options = {
        location: 'revision',
        ...(newer ? { superseded: { revision: newer.revision, publishedAt: newer.publishedAt } } : {}),
      } as const;
      const written = await writePages(deps, revisionPrefix(week, record.revision), edition, options);
      pages += 1 + written.parts + written.retired;
      // Every revision, oldest first: an archive without records yet (published before them)
      // learns each row's present state; one that has them skips revisions older than its own.
      await deps.archive?.(edition);
      latest = edition;
    }
    if (latest === undefined) continue;
    const written = await writePages(deps, latestPrefix(week), latest, { location: 'latest' });
    pages += 1 + written.parts + written.retired;
  }
  const last = todo.at(-1);
  const done = last === undefined || last === weeks.at(-1);
  if (done) {
    await deps.archiveFiles?.({ force: true });
    await deps.uploadAssets?.();
    const head = all[0];
    const newest = head === undefined ? undefined : await committedEdition(deps, head);
    await deps.site.putFile('index.html', deps.render.index(all, newest), 'html', 'short');
    await deps.site.putFile('feed.xml', deps.render.feed(all), 'atom', 'short');
  }
  return { weeks: todo, pages, next: done ? null : (last ?? null) };
}
