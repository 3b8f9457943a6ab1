import type { Edition, Headline } from '#core/edition/model';
import { latestPrefix, revisionPrefix } from '#core/edition/site-layout';
import { indexTemplate } from '#templates/generated/templates';
import { mainPoints, releaseView } from './edition-view';
import { dateIn, formatDate, formatDateRange } from './format';
import { renderTemplate } from './template-engine';

/** One published revision, as the archive and the feed list it (small enough to keep in a manifest). */
export interface RevisionSummary {
  week: string;
  weekEnd: string;
  revision: number;
  /** ISO instant the revision was published. */
  publishedAt: string;
  timeZone: string;
  headline: Headline;
  synthetic: boolean;
  /** Entries of the corrections log made by this revision (0 for a first revision). */
  corrections: number;
}

/** A week in the archive: its latest revision, with every revision listed. */
export interface EditionSummary extends RevisionSummary {
  /** How many revisions the week has (the latest is `revision`). */
  revisionCount: number;
  /** Every revision of the week, oldest first; the last is the latest. */
  revisions: { revision: number; publishedAt: string }[];
}

export interface IndexView {
  /** How to reach the publisher, shown in the footer. */
  contactLine?: string;
  /**
   * The path from the home page back to the site root: links are relative so the same bytes work
   * deployed, locally and in a preview folder.
   * @default './'
   */
  siteRoot?: string;
}

export function summariseRevision(edition: Edition): RevisionSummary {
  const meta = edition.edition;
  return {
    week: meta.week,
    weekEnd: meta.weekEnd,
    revision: meta.revision,
    publishedAt: meta.publishedAt,
    timeZone: meta.timeZone,
    headline: { ...edition.headline },
    synthetic: edition.synthetic,
    corrections: edition.corrections.filter((entry) => entry.revision === meta.revision).length,
  };
}

/** Groups published revisions (any order, any number per week) into the archive, newest week first. */
export function archiveOf(revisions: readonly RevisionSummary[]): EditionSummary[] {
  const byWeek = new Map<string, RevisionSummary[]>();
  for (const revision of revisions) {
    const list = byWeek.get(revision.week) ?? [];
    list.push(revision);
    byWeek.set(revision.week, list);
  }
  const archive: EditionSummary[] = [];
  for (const list of byWeek.values()) {
    list.sort((a, b) => a.revision - b.revision);
    const latest = list[list.length - 1];
    if (!latest) continue;
    archive.push({
      ...latest,
      revisionCount: latest.revision,
      revisions: list.map((entry) => ({ revision: entry.revision, publishedAt: entry.publishedAt })),
    });
  }
  return archive.sort((a, b) => (a.week < b.week ? 1 : a.week > b.week ? -1 : 0));
}

interface HomeModel {
  siteRoot: string;
  synthetic: boolean;
  contactLine: string | null;
  latest: {
    heading: string;
    weekLong: string;
    href: string;
    revision: number;
    publishedOn: string;
    provisional: boolean;
    mainPoints: string[];
  } | null;
  archive: {
    label: string;
    href: string;
    synthetic: boolean;
    issued: number;
    declined: number;
    firstPublishedOn: string;
    reissued: boolean;
    revisions: { revision: number; href: string; publishedOn: string }[];
  }[];
}

function homeModel(
  archive: readonly EditionSummary[],
  latest: Edition | undefined,
  view: IndexView,
): HomeModel {
  const siteRoot = view.siteRoot ?? './';
  const release = latest ? releaseView(latest) : undefined;
  const ordered = [...archive].sort((a, b) => (a.week < b.week ? 1 : a.week > b.week ? -1 : 0));
  return {
    siteRoot,
    synthetic: (latest?.synthetic ?? false) || ordered.some((entry) => entry.synthetic),
    contactLine: view.contactLine ?? null,
    latest:
      latest && release
        ? {
            heading: release.heading,
            weekLong: release.weekLong,
            href: `${siteRoot}${latestPrefix(release.week)}`,
            revision: release.revision,
            publishedOn: release.publishedOn,
            provisional: release.provisional,
            mainPoints: mainPoints(latest),
          }
        : null,
    archive: ordered.map((entry) => {
      const first = entry.revisions[0];
      return {
        label: formatDateRange(entry.week, entry.weekEnd),
        href: `${siteRoot}${latestPrefix(entry.week)}`,
        synthetic: entry.synthetic,
        issued: entry.headline.issued,
        declined: entry.headline.declined,
        firstPublishedOn: formatDate(dateIn(first?.publishedAt ?? entry.publishedAt, entry.timeZone), true),
        reissued: entry.revisionCount > 1,
        revisions: entry.revisions.map((r) => ({
          revision: r.revision,
          href: `${siteRoot}${revisionPrefix(entry.week, r.revision)}`,
          publishedOn: formatDate(dateIn(r.publishedAt, entry.timeZone), true),
        })),
      };
    }),
  };
}

/**
 * The home page (`/index.html`): the latest edition's main points, the archive of every edition
 * newest first with re-issues marked, and the subscribe form (POST /subscriptions).
 */
export function renderIndex(
  archive: readonly EditionSummary[],
  latest: Edition | undefined,
  view: IndexView = {},
): string {
  return renderTemplate(indexTemplate, homeModel(archive, latest, view));
}
