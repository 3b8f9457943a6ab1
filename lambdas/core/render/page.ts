import type { Edition } from '#core/edition/model';
import { revisionPrefix } from '#core/edition/site-layout';
import { sectionIChart, trendChart } from './charts';
import { correctionsNotice, type EditionView, editionView, REPORT_NAME } from './edition-view';
import { dateIn, formatDate, plural } from './format';
import { absoluteUrl, siteRootUrl } from './links';
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
}

function pageModel(edition: Edition, view: PageView): PageModel {
  const shared = editionView(edition, view.siteUrl);
  const { week, revision, timeZone } = edition.edition;
  const atRevision = view.location === 'revision';
  const weekRoot = atRevision ? '../' : '';
  const superseded = view.supersededBy;
  return {
    ...shared,
    documentTitle: `${shared.release.heading}: ${REPORT_NAME} (revision ${revision})`,
    description:
      `${REPORT_NAME}, week of ${shared.release.weekLong}: ` +
      `${plural(edition.headline.issued, 'detainer', 'detainers')} issued, ` +
      `${plural(edition.headline.declined, 'decline', 'declines')} recorded.`,
    siteRoot: atRevision ? '../../../' : '../../',
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
    correctionsLogHref: '#corrections-log',
    revisions: Array.from({ length: revision }, (_, i) => ({
      revision: i + 1,
      href: `${weekRoot}r${i + 1}/`,
      current: i + 1 === revision,
    })),
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
  return renderTemplate('page', pageModel(edition, view));
}
