import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * The headers of every HTML page a function answers: never cached (a page may show an address),
 * no referrer (the URL carries a token), no scripts, frames or foreign form targets.
 */
export const HTML_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
};

export function html(
  statusCode: number,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...HTML_HEADERS, ...headers }, body };
}
