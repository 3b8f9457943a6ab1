import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { viewerRequest } from '#lib/site-requests';
import type { HttpFunction, RouteRequest } from './gateway';

/**
 * The hosted site, served locally as CloudFront serves it deployed: objects from the site bucket,
 * `index.html` for a path ending in `/` (the CloudFront Function's job), a redirect to add the
 * slash to a folder, and the same security headers (applied by the route).
 */
const SITE_PREFIXES = ['/reports/', '/assets/', '/jurisdictions/', '/data/'];
const SITE_FILES = new Set(['/', '/index.html', '/feed.xml', '/jurisdictions']);

export function isSitePath(request: RouteRequest): boolean {
  // With an Authorization header it is the API's (`GET /jurisdictions/{id}`), whatever its path.
  if (request.authorized || (request.method !== 'GET' && request.method !== 'HEAD')) return false;
  return SITE_FILES.has(request.path) || SITE_PREFIXES.some((prefix) => request.path.startsWith(prefix));
}

function notFound(): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 404,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    body: 'Not found. The archive of every edition is at /.\n',
  };
}

export function siteOrigin(bucket: string): HttpFunction {
  // Created on first request: the stack sets the S3 endpoint before any client exists.
  let s3: S3Client | undefined;
  return async (event) => {
    s3 ??= new S3Client({});
    // The CloudFront Function's own rule: a folder names its index.html, a report folder typed
    // without its slash is redirected (relative links in the page need the slash).
    const target = viewerRequest(event.rawPath);
    if ('redirect' in target) {
      return {
        statusCode: 301,
        headers: { location: target.redirect, 'cache-control': 'no-store' },
        body: '',
      };
    }
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: target.key }));
      const body = object.Body ? await object.Body.transformToString('utf8') : '';
      return {
        statusCode: 200,
        headers: {
          'content-type': object.ContentType ?? 'application/octet-stream',
          'cache-control': object.CacheControl ?? 'no-cache',
        },
        body: event.requestContext.http.method === 'HEAD' ? '' : body,
      };
    } catch (error) {
      if (error instanceof NoSuchKey || (error instanceof Error && error.name === 'NoSuchKey'))
        return notFound();
      throw error;
    }
  };
}

/**
 * A new site has no edition yet: put the empty home page (with the subscribe form) and the
 * stylesheet in place, as a first publication would, so the printed URL shows the product and
 * not a 404. An existing home page is left alone.
 */
export async function seedEmptySite(bucket: string): Promise<void> {
  const { renderFeed, renderIndex, siteAssets } = await import('#core/render');
  const { CACHE_SHORT, CONTENT_TYPES } = await import('#core/edition/site-layout');
  // A client of its own, made now: a restarted stack in the same process has other ports.
  const s3 = new S3Client({});
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'index.html' }));
    return;
  } catch (error) {
    if (!(error instanceof Error) || (error.name !== 'NotFound' && error.name !== 'NoSuchKey')) throw error;
  }
  const put = (key: string, body: string, contentType: string) =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        CacheControl: CACHE_SHORT,
      }),
    );
  for (const asset of siteAssets) await put(asset.path, asset.body, asset.contentType);
  await put('index.html', renderIndex([], undefined), CONTENT_TYPES.html);
  // The site's header links the index of jurisdictions: not a 404 before the first edition.
  const { renderJurisdictionIndex } = await import('#core/render/jurisdiction-pages');
  await put(
    'jurisdictions/index.html',
    renderJurisdictionIndex([], { synthetic: false }).index,
    CONTENT_TYPES.html,
  );
  // The home page links the feed: an empty one until the first edition.
  const siteUrl = process.env.SITE_URL;
  if (siteUrl) await put('feed.xml', renderFeed([], siteUrl), CONTENT_TYPES.atom);
  s3.destroy();
}
