/**
 * The site's viewer-request rule, as CloudFront Function source (JavaScript runtime 2.0). With
 * origin access control S3 serves no index document, so a directory URL names its `index.html`:
 * `/reports/2017-01-28/` and `/reports/2017-01-28/r2/` become `…/index.html`. A report URL typed
 * without its final slash is redirected to it, so the page's relative links resolve.
 *
 * Plain source with no aws-cdk import: the infra tests run it, and the local gateway may too.
 */
export const VIEWER_REQUEST_FUNCTION_CODE = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.charAt(uri.length - 1) === '/') {
    request.uri = uri + 'index.html';
    return request;
  }
  var last = uri.substring(uri.lastIndexOf('/') + 1);
  if (uri.indexOf('/reports/') === 0 && last.indexOf('.') === -1) {
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
