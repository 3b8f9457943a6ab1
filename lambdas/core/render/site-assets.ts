import { CONTENT_TYPES, STYLESHEET_KEY } from '#core/edition/site-layout';
import { siteCss } from '#templates/generated/templates';

/** A static file every page links, for the publisher to upload as it is. */
export interface SiteAsset {
  /** Key under the site root, e.g. `assets/site.css`. */
  path: string;
  contentType: string;
  body: string;
}

/**
 * The site's static files, embedded at build time from templates/assets/. Pages link
 * `assets/site.css` from the site root; the path never changes, so it needs a short cache TTL
 * (or an invalidation) when the stylesheet does.
 */
export const siteAssets: readonly SiteAsset[] = [
  { path: STYLESHEET_KEY, contentType: CONTENT_TYPES.css, body: siteCss },
];
