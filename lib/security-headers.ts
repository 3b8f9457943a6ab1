/**
 * The one definition of the site's security headers. CloudFront's response headers policy is
 * built from it (lib/constructs/site.ts) and the local gateway sends `securityHeaderMap()`, so the
 * browser tests see the CSP that is deployed. No aws-cdk import: local/ imports this cheaply.
 */
export const SECURITY_HEADERS = {
  /**
   * Nothing runs and nothing loads from elsewhere: the pages are server-rendered HTML with one
   * stylesheet, images from the site or inline `data:` URLs, and forms that post to the site.
   */
  contentSecurityPolicy:
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  /** Two years, subdomains too, eligible for the browsers' preload lists. */
  strictTransportSecurity: { maxAgeSeconds: 63_072_000, includeSubDomains: true, preload: true },
  /** Other sites learn only the origin a reader came from, never the report path. */
  referrerPolicy: 'strict-origin-when-cross-origin',
  contentTypeOptions: 'nosniff',
  frameOptions: 'DENY',
  /** The site uses no device or payment feature: deny them all to anything it might ever embed. */
  permissionsPolicy:
    'accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()',
  /** No other window keeps a handle on a report page opened from it. */
  crossOriginOpenerPolicy: 'same-origin',
} as const;

/**
 * Headers an origin's own value wins over (CloudFront `override: false`, the local gateway the
 * same): the subscription pages say `Referrer-Policy: no-referrer` because their URLs carry a
 * token, and that must reach the browser; the site's files set none and get the site's policy.
 */
export const ORIGIN_MAY_SET: readonly string[] = ['Referrer-Policy'];

/** The `Strict-Transport-Security` value of SECURITY_HEADERS. */
export function strictTransportSecurityValue(): string {
  const { maxAgeSeconds, includeSubDomains, preload } = SECURITY_HEADERS.strictTransportSecurity;
  return [`max-age=${maxAgeSeconds}`, includeSubDomains ? 'includeSubDomains' : '', preload ? 'preload' : '']
    .filter((part) => part !== '')
    .join('; ');
}

/**
 * Every security header as sent, by its canonical name, e.g.
 * `{ 'Content-Security-Policy': "default-src 'none'; …", 'X-Frame-Options': 'DENY', … }`.
 */
export function securityHeaderMap(): Record<string, string> {
  return {
    'Content-Security-Policy': SECURITY_HEADERS.contentSecurityPolicy,
    'Strict-Transport-Security': strictTransportSecurityValue(),
    'Referrer-Policy': SECURITY_HEADERS.referrerPolicy,
    'X-Content-Type-Options': SECURITY_HEADERS.contentTypeOptions,
    'X-Frame-Options': SECURITY_HEADERS.frameOptions,
    'Permissions-Policy': SECURITY_HEADERS.permissionsPolicy,
    'Cross-Origin-Opener-Policy': SECURITY_HEADERS.crossOriginOpenerPolicy,
  };
}
