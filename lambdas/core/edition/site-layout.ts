/**
 * Where each published file lives and how long it may be cached (CONTRACT.md section 4). Only
 * a revision's data files never change; its page may gain a "superseded" notice, and the
 * week's latest files, the archive and the feed change with every publication.
 */
export const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';
export const CACHE_SHORT = 'public, max-age=300, must-revalidate';

export const CONTENT_TYPES = {
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
  atom: 'application/atom+xml; charset=utf-8',
  css: 'text/css; charset=utf-8',
  text: 'text/plain; charset=utf-8',
} as const;

export const revisionPrefix = (week: string, revision: number) => `reports/${week}/r${revision}/`;
export const latestPrefix = (week: string) => `reports/${week}/`;

/** The public path of a week's latest page, and of one revision's page. */
export const weekPath = (week: string) => `/reports/${week}/`;
export const revisionPath = (week: string, revision: number) => `/reports/${week}/r${revision}/`;

/**
 * Section II's own pages for a very large week (CONTRACT.md section 4), below the week's folder
 * or a revision's: `_/section-ii/{n}/`. A `_` segment is the site's own; no id starts with one.
 */
/** The folder below an edition page's folder that holds Section II's own pages. */
export const SECTION_II_FOLDER = '_/section-ii/';
export const sectionIIPartPath = (part: number) => `${SECTION_II_FOLDER}${part}/`;
export const sectionIIPartKey = (part: number) => `${sectionIIPartPath(part)}index.html`;

export const INDEX_KEY = 'index.html';
export const FEED_KEY = 'feed.xml';
export const STYLESHEET_KEY = 'assets/site.css';
export const ROBOTS_KEY = 'robots.txt';

/** Joins a site URL (with or without a trailing slash) and a path that starts with `/`. */
export function siteLink(siteUrl: string, path: string): string {
  return siteUrl.replace(/\/+$/, '') + path;
}

/**
 * A jurisdiction's folder (CONTRACT.md section 4): its page, `history.json` and `declines.csv`,
 * and its declines by year below `_/declines/{year}/`. Ids are 1–32 characters of A-Z a-z 0-9
 * `.` `_` `-` starting with a letter or digit (intake's schema), so one is a path segment as it is
 * and never a `_` segment of the site's own.
 */
export const jurisdictionPrefix = (id: string) => `jurisdictions/${id}/`;
export const jurisdictionYearPrefix = (id: string, year: string) => `jurisdictions/${id}/_/declines/${year}/`;
/** The index's continuation by state, when it lists too many jurisdictions for one page. */
export const jurisdictionStatePrefix = (state: string) => `jurisdictions/_/state/${state}/`;
export const JURISDICTIONS_INDEX_KEY = 'jurisdictions/index.html';
export const DATA_DECLINES_KEY = 'data/declines.csv';
export const DATA_WEEKLY_KEY = 'data/weekly.csv';
export const DATA_README_KEY = 'data/README';
/**
 * Every jurisdiction's totals and the weeks folded in (archive-site.ts), beside each week's block
 * of the two data files at `data/_/weeks/{week}.json`: a publication writes its own week's, and
 * the data files are built from them once per run. Public like the rest (every figure in them was
 * published); under a `_` segment, the site's own.
 */
export const ARCHIVE_STATE_KEY = 'data/_/state.json';
