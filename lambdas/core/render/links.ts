/**
 * Which URLs may become links, and how they are made absolute (the paths themselves come from
 * site-layout.ts, the publisher's map of the site). Pages link to each other with relative paths,
 * so the same bytes work on the deployed domain, on the local gateway and in a `--preview` folder;
 * emails and the feed, read elsewhere, use absolute URLs.
 */

/** The site root as given, checked and ending with "/": relative paths are resolved against it. */
export function siteRootUrl(siteUrl: string): string {
  const url = httpUrl(siteUrl);
  if (url === undefined) throw new TypeError(`siteUrl must be an http(s) URL: ${JSON.stringify(siteUrl)}`);
  return url.endsWith('/') ? url : `${url}/`;
}

/** `path` resolved against the site root. */
export function absoluteUrl(siteUrl: string, path: string): string {
  return new URL(path, siteRootUrl(siteUrl)).href;
}

/** The URL when it is absolute http or https, else undefined (never a `javascript:` or `data:` link). */
export function httpUrl(value: string): string | undefined {
  return parsed(value, ['http:', 'https:']);
}

/**
 * The URL when it is absolute https, else undefined. Policy sources are typed in by people: only
 * these become links; anything else is shown as text.
 */
export function httpsUrl(value: string): string | undefined {
  return parsed(value, ['https:']);
}

/** A caller-supplied URL (configuration, not data): anything but http(s) is a programming error. */
export function requireHttpUrl(name: string, value: string): string {
  const url = httpUrl(value);
  if (url === undefined) throw new TypeError(`${name} must be an http(s) URL: ${JSON.stringify(value)}`);
  return url;
}

function parsed(value: string, protocols: readonly string[]): string | undefined {
  if (!URL.canParse(value)) return undefined;
  const url = new URL(value);
  return protocols.includes(url.protocol) ? url.href : undefined;
}
