import type { Edition } from '#core/edition/model';
import { jurisdictionPrefix, revisionPrefix, sectionIIPartPath, weekPath } from '#core/edition/site-layout';
import { pageTemplate, sectionIiPartTemplate } from '#templates/generated/templates';
import { sectionIChart, trendChart } from './charts';
import {
  correctionsNotice,
  type DeclineRowView,
  type EditionView,
  editionView,
  REPORT_NAME,
  type StateGroupView,
  stateGroups,
} from './edition-view';
import { dateIn, formatDate, plural } from './format';
import { absoluteUrl, siteRootUrl } from './links';
import { renderMessagePage } from './message-page';
import {
  EDITION_PAGE_BUDGET,
  SECTION_II_INLINE_ROWS,
  type SectionIIPart,
  sectionIIPlan,
} from './section-ii-parts';
import { renderTemplate } from './template-engine';

/** What the edition page needs besides the edition. */
export interface PageView {
  /** The site's absolute root URL, e.g. `https://ddor.example.org/` (the permanent link is built on it). */
  siteUrl: string;
  /**
   * Where the page is served: `latest` at `/reports/{week}/`, `revision` at `/reports/{week}/r{n}/`.
   * Links are relative, so this decides how many `../` lead back to the site root.
   * @default 'latest'
   */
  location?: 'latest' | 'revision';
  /** For an older revision's page: the later revision that supersedes it (adds a notice). */
  supersededBy?: { revision: number; publishedAt: string };
  /** How to reach the publisher, shown in the dispute how-to and the footer (e.g. a postal address or email). */
  contactLine?: string;
  /**
   * Base URL of the intake API, where jurisdictions send `POST /disputes`.
   * @default siteUrl
   */
  apiUrl?: string;
  /**
   * The page of a draft under editorial review (contract §3), served by the intake API rather
   * than the site: every link is absolute, robots are told to keep out, and a banner says it is
   * not published.
   */
  draft?: boolean;
}

interface PageModel extends EditionView {
  documentTitle: string;
  description: string;
  siteRoot: string;
  weekRoot: string;
  permalink: string;
  disputeEndpoint: string;
  contactLine: string | null;
  superseded: { revision: number; publishedOn: string; href: string } | null;
  correctionsNotice: { revision: number; publishedOn: string; changes: string } | null;
  correctionsLogHref: string;
  revisions: { revision: number; href: string; current: boolean }[];
  charts: { sectionI: string | null; trend: string | null };
  sectionIIPage: SectionIIPageView;
  draft: boolean;
}

interface SectionIITableView {
  captionId: string;
  caption: string;
  /** The year the dates leave out. */
  year: string;
  states: StateTableView[];
}

/** A decline row; the first of its jurisdiction's rows carries the jurisdiction's cell. */
interface DeclineTableRow extends DeclineRowView {
  lead: { name: string; id: string | null; rowspan: number | null; href: string } | null;
}

interface StateTableView {
  anchor: string;
  name: string;
  summary: string;
  rows: DeclineTableRow[];
}

/**
 * Section II's rows as the table lays them out: the jurisdiction is a row header spanning its
 * rows (one cell, not a group row and a count per jurisdiction: most have one or two declines).
 */
function sectionIITable(
  states: readonly StateGroupView[],
  caption: string,
  year: string,
  siteRoot: string,
): SectionIITableView {
  return {
    captionId: 'section-ii-caption',
    caption,
    year,
    states: states.map((state) => ({
      anchor: state.anchor,
      name: state.name,
      summary: state.summary,
      rows: state.jurisdictions.flatMap((group) =>
        group.rows.map((row, i) => ({
          ...row,
          lead:
            i === 0
              ? {
                  name: group.continued ? `${group.name} (continued)` : group.name,
                  id: group.disambiguation,
                  rowspan: group.rows.length > 1 ? group.rows.length : null,
                  href: `${siteRoot}${jurisdictionPrefix(group.id)}`,
                }
              : null,
        })),
      ),
    })),
  };
}

/** Section II on the edition page: its state index, and its table or the list of its own pages. */
interface SectionIIPageView {
  /** `href` null on a draft too large to hold its rows: it has no part pages to link. */
  index: { name: string; declines: number; href: string | null }[];
  parts: { position: number; label: string; rows: number; href: string | null }[] | null;
  onePart: boolean;
  /** A draft's rows beyond its page: they are in its draft.json. */
  inDraftJson: boolean;
  /** A draft showing rows that its published edition will put on this many pages of their own. */
  publishedParts: number | null;
  table: SectionIITableView | null;
}

function sectionIIPageView(
  states: StateGroupView[],
  year: string,
  siteRoot: string,
  inline: boolean,
  draft: boolean,
  publishedInline: boolean,
): SectionIIPageView {
  const plan = sectionIIPlan(states, inline);
  if (plan.inline) {
    return {
      index: states.map((state) => ({
        name: state.name,
        declines: state.declines,
        href: `#${state.anchor}`,
      })),
      parts: null,
      onePart: false,
      inDraftJson: false,
      publishedParts: draft && !publishedInline ? splitCount(states) : null,
      table: sectionIITable(
        states,
        'Declines recorded in the week, by state and jurisdiction',
        year,
        siteRoot,
      ),
    };
  }
  // A state cut across two parts is indexed where its rows begin.
  const firstPart = new Map<string, number>();
  for (const part of plan.parts) {
    for (const state of part.states) if (!firstPart.has(state.code)) firstPart.set(state.code, part.number);
  }
  return {
    index: states.map((state) => ({
      name: state.name,
      declines: state.declines,
      href: draft ? null : `${sectionIIPartPath(firstPart.get(state.code) ?? 1)}#${state.anchor}`,
    })),
    parts: plan.parts.map((part) => ({
      position: part.number,
      label: part.label,
      rows: part.rows,
      href: draft ? null : sectionIIPartPath(part.number),
    })),
    onePart: plan.parts.length === 1,
    inDraftJson: draft,
    publishedParts: null,
    table: null,
  };
}

/** How many pages of their own the rows take when they are not on the edition page. */
function splitCount(states: StateGroupView[]): number {
  const plan = sectionIIPlan(states, false);
  return plan.inline ? 0 : plan.parts.length;
}

const inlineDecisions = new WeakMap<Edition, Map<string, boolean>>();

/**
 * Whether Section II's rows are on the edition page: weighed as the heaviest page of the edition
 * the publisher serves (a revision's folder, its links one `../` longer, with a superseded
 * notice), so its latest and revision pages, now and once superseded, and the parts written beside
 * them, always agree. Weighed once per edition and site (one extra render of a small page).
 */
function sectionIIInline(edition: Edition, view: PageView): boolean {
  const key = JSON.stringify([view.siteUrl, view.apiUrl ?? null, view.contactLine ?? null]);
  const decisions = inlineDecisions.get(edition) ?? new Map<string, boolean>();
  inlineDecisions.set(edition, decisions);
  let inline = decisions.get(key);
  if (inline === undefined) {
    const rows = edition.sectionII.reduce((sum, group) => sum + group.declines.length, 0);
    const heaviest: PageView = {
      siteUrl: view.siteUrl,
      ...(view.apiUrl === undefined ? {} : { apiUrl: view.apiUrl }),
      ...(view.contactLine === undefined ? {} : { contactLine: view.contactLine }),
      location: 'revision',
      // The longest notice there can be: a three-digit revision on the longest date.
      supersededBy: { revision: 999, publishedAt: '2099-09-30T12:00:00.000Z' },
    };
    inline =
      rows <= SECTION_II_INLINE_ROWS &&
      Buffer.byteLength(renderTemplate(pageTemplate, pageModel(edition, heaviest, true)), 'utf8') <=
        EDITION_PAGE_BUDGET;
    decisions.set(key, inline);
  }
  return inline;
}

/**
 * A draft has no part pages: its editors read every row on its one page, up to this many (about
 * 1 MB of HTML, well within what the intake API may answer); past it, the rows are in its
 * draft.json and the page lists the parts the edition will have, unlinked.
 */
export const DRAFT_INLINE_ROWS = 5_000;

/** `inline` is decided by `sectionIIInline`, except for a draft (see `DRAFT_INLINE_ROWS`). */
function pageModel(edition: Edition, view: PageView, weighing = false): PageModel {
  const shared = editionView(edition, view.siteUrl);
  const { week, revision, timeZone } = edition.edition;
  const atRevision = view.location === 'revision';
  const draft = view.draft === true;
  // A draft is served by the intake API, wherever it is: its links lead to the site by absolute URL.
  const siteRoot = draft ? siteRootUrl(view.siteUrl) : atRevision ? '../../../' : '../../';
  const weekRoot = draft ? absoluteUrl(view.siteUrl, weekPath(week).slice(1)) : atRevision ? '../' : '';
  const superseded = view.supersededBy;
  return {
    ...shared,
    documentTitle: `${shared.release.heading}: ${REPORT_NAME} (revision ${revision})`,
    description:
      `${REPORT_NAME}, week of ${shared.release.weekLong}: ` +
      `${plural(edition.headline.issued, 'detainer', 'detainers')} issued, ` +
      `${plural(edition.headline.declined, 'decline', 'declines')} recorded.`,
    siteRoot,
    weekRoot,
    permalink: absoluteUrl(view.siteUrl, revisionPrefix(week, revision)),
    disputeEndpoint: new URL('disputes', siteRootUrl(view.apiUrl ?? view.siteUrl)).href,
    contactLine: view.contactLine ?? null,
    superseded: superseded
      ? {
          revision: superseded.revision,
          publishedOn: formatDate(dateIn(superseded.publishedAt, timeZone)),
          href: `${weekRoot}r${superseded.revision}/`,
        }
      : null,
    correctionsNotice: correctionsNotice(edition, shared.release.publishedOn),
    sectionIIPage: sectionIIPageView(
      shared.sectionII.states,
      edition.edition.weekEnd.slice(0, 4),
      siteRoot,
      weighing || (draft ? shared.sectionII.total <= DRAFT_INLINE_ROWS : sectionIIInline(edition, view)),
      draft,
      // What the published edition will do, for a draft to say (its own decision, as published).
      weighing || !draft || sectionIIInline(edition, view),
    ),
    correctionsLogHref: '#corrections-log',
    revisions: Array.from({ length: revision }, (_, i) => ({
      revision: i + 1,
      href: `${weekRoot}r${i + 1}/`,
      current: i + 1 === revision,
    })),
    draft: draft === true,
    charts: {
      sectionI:
        edition.sectionI.length === 0
          ? null
          : sectionIChart(edition.sectionI, { title: shared.titles.sectionI }),
      trend:
        edition.trend.length === 0
          ? null
          : trendChart(edition.trend, {
              title: 'Detainers issued and declines recorded, week by week, last 12 weeks',
            }),
    },
  };
}

/**
 * The edition page (HTML, no JavaScript), for `/reports/{week}/index.html` and
 * `/reports/{week}/r{n}/index.html`. It links `assets/site.css` at the site root (see `siteAssets`).
 */
export function renderPage(edition: Edition, view: PageView): string {
  return renderTemplate(pageTemplate, pageModel(edition, view));
}

/** The pages Section II continues on, in order (none for a usual week). */
export function sectionIIParts(edition: Edition, view: PageView): SectionIIPart[] {
  const plan = sectionIIPlan(
    stateGroups(edition.sectionII, edition.edition.weekEnd),
    sectionIIInline(edition, view),
  );
  return plan.inline ? [] : plan.parts;
}

/**
 * One of Section II's own pages, for `/reports/{week}/_/section-ii/{n}/` (and the same below a
 * revision's folder): the edition's heading and links, one part of the table, the way between parts.
 */
export function renderSectionIIPart(edition: Edition, view: PageView, partNumber: number): string {
  const model = pageModel(edition, view);
  const parts = sectionIIPlan(model.sectionII.states, sectionIIInline(edition, view));
  const all = parts.inline ? [] : parts.parts;
  const part = all.find((candidate) => candidate.number === partNumber);
  if (part === undefined) throw new RangeError(`Section II has no part ${partNumber} (it has ${all.length})`);
  // Three folders deeper than the edition page: `_/section-ii/{n}/`.
  const up = '../../../';
  const link = (n: number) => `${up}${sectionIIPartPath(n)}`;
  return renderTemplate(sectionIiPartTemplate, {
    ...model,
    documentTitle: `Section II, part ${part.number} of ${all.length}: ${model.release.heading} (revision ${model.release.revision})`,
    siteRoot: `${up}${model.siteRoot}`,
    editionHref: up,
    superseded: model.superseded ? { ...model.superseded, href: `${up}${model.superseded.href}` } : null,
    part: { number: part.number, of: all.length, label: part.label, rows: part.rows },
    partLinks: all.map((candidate) => ({
      position: candidate.number,
      label: candidate.label,
      href: link(candidate.number),
      current: candidate.number === part.number,
    })),
    previous: part.number > 1 ? link(part.number - 1) : null,
    next: part.number < all.length ? link(part.number + 1) : null,
    table: sectionIITable(
      part.states,
      `Declines recorded in the week, part ${part.number} of ${all.length}: ${part.label}`,
      edition.edition.weekEnd.slice(0, 4),
      `${up}${model.siteRoot}`,
    ),
  });
}

/**
 * What a part's path says once its folder's page has fewer parts than it had: a later revision
 * with fewer rows (at the latest path), or a page rendered again under other rules that now keeps
 * its rows itself (`rebuild-site`, or another site URL or contact line). The old page would
 * otherwise stay reachable with rows, links and notices the edition no longer shows.
 */
export function renderRetiredPart(edition: Edition, view: PageView, partNumber: number): string {
  const { week, revision } = edition.edition;
  const atRevision = view.location === 'revision';
  const folder = atRevision ? revisionPrefix(week, revision) : weekPath(week).slice(1);
  return renderMessagePage({
    title: `Section II, part ${partNumber}: no longer a page of its own`,
    message: atRevision
      ? `Revision ${revision} of the week of ${formatDate(week)} now shows Section II on fewer pages, so this part is not among them. ` +
        `Its rows, unchanged, are on the revision's own pages, from ${absoluteUrl(view.siteUrl, folder)}.`
      : `Revision ${revision}, the latest of the week of ${formatDate(week)}, has fewer pages of Section II, so this part is not among them. ` +
        `Its rows are on the edition's own pages, from ${absoluteUrl(view.siteUrl, folder)}; earlier revisions are listed there.`,
    // From /reports/{week}/[r{n}/]_/section-ii/{n}/ to the root.
    siteRoot: '../'.repeat(atRevision ? 6 : 5),
    ...(view.contactLine === undefined ? {} : { contactLine: view.contactLine }),
  });
}
