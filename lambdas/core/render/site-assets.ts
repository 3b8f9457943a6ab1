import { ROBOTS_KEY, STYLESHEET_KEY } from '#core/edition/site-layout';
import { siteCss } from '#templates/generated/templates';

/** A static file of the site, for the publisher to upload as it is. */
export interface SiteAsset {
  /** Key under the site root, e.g. `assets/site.css`. */
  path: string;
  kind: 'css' | 'text';
  body: string;
}

/**
 * Crawlers may read every published file; the subscription endpoints are functions (a GET of an
 * unsubscribe link shows a form, and its token belongs to one reader's email), not pages to index.
 * A site with no robots.txt answers its path with an error page, which crawlers and Lighthouse
 * read as an invalid one.
 */
const ROBOTS_TXT = 'User-agent: *\nDisallow: /subscriptions\n';

/**
 * The site's static files: the stylesheet every page links (embedded at build time from
 * templates/assets/) and robots.txt. Their paths never change, so they need a short cache TTL
 * (or an invalidation) when they do.
 */
export const siteAssets: readonly SiteAsset[] = [
  { path: STYLESHEET_KEY, kind: 'css', body: siteCss },
  { path: ROBOTS_KEY, kind: 'text', body: ROBOTS_TXT },
];
