import { GetObjectCommand, HeadObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { viewerRequest } from '#lib/site-requests';
import type { HttpFunction, RouteRequest } from './gateway';

/**
 * The hosted site, served locally as CloudFront serves it deployed: objects from the site bucket,
 * `index.html` for a path ending in `/` (the CloudFront Function's job), a redirect to add the
 * slash to a folder, and the same security headers (applied by the route).
 */
const SITE_PREFIXES = ['/reports/', '/assets/', '/jurisdictions/', '/data/'];
const SITE_FILES = new Set(['/', '/index.html', '/feed.xml', '/robots.txt', '/jurisdictions']);

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
 * True once the site has a home page (any publication, `rebuild-site`, or a stack started on
 * this DATA_DIR before). A new site has none: the stack then has the publisher put the empty
 * site in place, as `npm run rebuild-site` does on a new deployment.
 */
export async function hasHomePage(bucket: string): Promise<boolean> {
  // A client of its own, made now: a restarted stack in the same process has other ports.
  const s3 = new S3Client({});
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'index.html' }));
    return true;
  } catch (error) {
    if (error instanceof Error && (error.name === 'NotFound' || error.name === 'NoSuchKey')) return false;
    throw error;
  } finally {
    s3.destroy();
  }
}
