import { runInNewContext } from 'node:vm';

/**
 * The site's viewer-request rule, as CloudFront Function source (JavaScript runtime 2.0). With
 * origin access control S3 serves no index document, so a directory URL names its `index.html`:
 * `/reports/2017-01-28/` and `/reports/2017-01-28/r2/` become `…/index.html`. A report or
 * jurisdiction folder typed without its final slash is redirected to it, so the page's relative
 * links resolve: `/jurisdictions/{id}` always (ids may hold dots), deeper paths when their last
 * segment has no dot.
 *
 * Plain source with no aws-cdk import: the infra tests run it, and the local site origin runs it
 * through `viewerRequest` below.
 */
export const VIEWER_REQUEST_FUNCTION_CODE = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.charAt(uri.length - 1) === '/') {
    request.uri = uri + 'index.html';
    return request;
  }
  var last = uri.substring(uri.lastIndexOf('/') + 1);
  var folder = uri.indexOf('/reports/') === 0 && last.indexOf('.') === -1;
  // A jurisdiction's folder whatever its id holds (an id may contain dots, even be "index.html"):
  // /jurisdictions/{id}. The index is reached as /jurisdictions/, never by its file's name.
  if (uri.indexOf('/jurisdictions/') === 0) {
    folder = uri.split('/').length === 3 || last.indexOf('.') === -1;
  }
  if (uri === '/jurisdictions') folder = true;
  if (folder) {
    return {
      statusCode: 301,
      statusDescription: 'Moved Permanently',
      headers: { location: { value: uri + '/' } }
    };
  }
  return request;
}
`;

/** Published files that never change once written: a revision's data (contract section 4). */
export const IMMUTABLE_PATH_PATTERNS = ['/reports/*/r*/report.json', '/reports/*/r*/declined.csv'] as const;

/** Where the site's domain serves the subscription endpoints (the second origin). */
export const SUBSCRIPTIONS_PATH_PATTERN = '/subscriptions*';

/** What the viewer-request rule does with one URI: fetch an object, or redirect the viewer. */
export type ViewerRequestResult = { readonly key: string } | { readonly redirect: string };

/**
 * The same rule for the local site origin: the function source above, run in a fresh V8 context
 * (as CloudFront runs it in its own runtime), so the local site maps folders exactly as deployed.
 */
export function viewerRequest(uri: string): ViewerRequestResult {
  const result = runInNewContext(`${VIEWER_REQUEST_FUNCTION_CODE}\nhandler(event);`, {
    event: { request: { uri, method: 'GET', headers: {}, querystring: {} } },
  }) as { uri?: string; statusCode?: number; headers?: { location?: { value?: string } } };
  const location = result.headers?.location?.value;
  if (result.statusCode !== undefined && location !== undefined) return { redirect: location };
  return { key: (result.uri ?? uri).replace(/^\/+/, '') };
}
