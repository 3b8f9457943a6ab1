import { runInNewContext } from 'node:vm';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SECURITY_HEADERS, securityHeaderMap } from '#lib/security-headers';
import { VIEWER_REQUEST_FUNCTION_CODE } from '#lib/site-requests';
import { logicalId, resourceOf, resourcesOf, type Synthesized, synthesize } from './synthesize';

// CloudFront's managed policies, by id (the same in every account).
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';

const behaviorSchema = z
  .object({
    TargetOriginId: z.string(),
    ViewerProtocolPolicy: z.string(),
    CachePolicyId: z.unknown(),
    ResponseHeadersPolicyId: z.unknown(),
    AllowedMethods: z.array(z.string()).optional(),
    FunctionAssociations: z.array(z.unknown()).optional(),
    OriginRequestPolicyId: z.unknown().optional(),
  })
  .loose();
const distributionSchema = z.object({
  DistributionConfig: z
    .object({
      DefaultRootObject: z.string(),
      DefaultCacheBehavior: behaviorSchema,
      CacheBehaviors: z.array(behaviorSchema.extend({ PathPattern: z.string() })),
      Origins: z.array(z.object({ Id: z.string(), DomainName: z.unknown() }).loose()),
      Logging: z.unknown().optional(),
    })
    .loose(),
});

const viewerRequest = z.union([
  z.object({ uri: z.string() }).loose(),
  z
    .object({ statusCode: z.number(), headers: z.object({ location: z.object({ value: z.string() }) }) })
    .loose(),
]);

/** Runs the CloudFront Function's source, as CloudFront would, on a request for `uri`. */
function runViewerRequest(uri: string): z.infer<typeof viewerRequest> {
  const result: unknown = runInNewContext(`${VIEWER_REQUEST_FUNCTION_CODE}\nhandler(event);`, {
    event: { request: { uri, method: 'GET', querystring: {}, headers: {} } },
  });
  return viewerRequest.parse(result);
}

describe('site', () => {
  let synthesized: Synthesized;
  let template: Template;

  function site() {
    return synthesized.stateless.site;
  }
  function config() {
    return distributionSchema.parse(
      resourceOf(template, 'AWS::CloudFront::Distribution', logicalId(site().distribution)).Properties,
    ).DistributionConfig;
  }
  function originId(predicate: (origin: Record<string, unknown>) => boolean): string {
    const origin = config().Origins.find(predicate);
    if (origin === undefined) throw new Error('no such origin');
    return origin.Id;
  }
  function s3OriginId() {
    return originId((origin) => origin.S3OriginConfig !== undefined);
  }
  function behavior(pattern: string) {
    const found = config().CacheBehaviors.find((b) => b.PathPattern === pattern);
    if (found === undefined) throw new Error(`no behavior for ${pattern}`);
    return found;
  }

  beforeAll(() => {
    synthesized = synthesize();
    template = Template.fromStack(synthesized.stateless);
  });
  afterAll(() => synthesized.cleanUp());

  describe('distribution', () => {
    it('serves the private site bucket through origin access control (SigV4 on every request)', () => {
      const oac = Object.entries(resourcesOf(template, 'AWS::CloudFront::OriginAccessControl'));
      expect(oac).toHaveLength(1);
      expect(oac[0]?.[1].Properties.OriginAccessControlConfig).toMatchObject({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      });
      const s3Origin = config().Origins.find((origin) => origin.S3OriginConfig !== undefined);
      expect(s3Origin).toMatchObject({
        DomainName: synthesized.stateless.resolve(synthesized.stateful.siteBucket.bucketRegionalDomainName),
        OriginAccessControlId: { 'Fn::GetAtt': [oac[0]?.[0], 'Id'] },
        S3OriginConfig: { OriginAccessIdentity: '' },
      });
    });

    it('answers / with index.html and redirects plain HTTP to HTTPS everywhere', () => {
      expect(config().DefaultRootObject).toBe('index.html');
      for (const b of [config().DefaultCacheBehavior, ...config().CacheBehaviors]) {
        expect(b.ViewerProtocolPolicy).toBe('redirect-to-https');
      }
    });

    it('maps directory URLs to index.html with a viewer-request CloudFront Function on the site', () => {
      const fn = resourceOf(template, 'AWS::CloudFront::Function', logicalId(site().viewerRequest));
      expect(fn.Properties).toMatchObject({
        FunctionCode: VIEWER_REQUEST_FUNCTION_CODE,
        FunctionConfig: { Runtime: 'cloudfront-js-2.0' },
        AutoPublish: true,
      });
      expect(config().DefaultCacheBehavior).toMatchObject({
        TargetOriginId: s3OriginId(),
        FunctionAssociations: [
          {
            EventType: 'viewer-request',
            FunctionARN: { 'Fn::GetAtt': [logicalId(site().viewerRequest), 'FunctionARN'] },
          },
        ],
      });
    });

    it('caches only revision data files for good, and every other site file for five minutes', () => {
      const ttls = (policy: unknown) => {
        const ref = z.object({ Ref: z.string() }).parse(policy).Ref;
        return z
          .object({
            CachePolicyConfig: z
              .object({ DefaultTTL: z.number(), MaxTTL: z.number(), MinTTL: z.number() })
              .loose(),
          })
          .parse(resourceOf(template, 'AWS::CloudFront::CachePolicy', ref).Properties).CachePolicyConfig;
      };

      expect(ttls(config().DefaultCacheBehavior.CachePolicyId)).toMatchObject({
        DefaultTTL: 300,
        MaxTTL: 300,
        MinTTL: 0,
      });
      for (const pattern of ['/reports/*/r*/report.json', '/reports/*/r*/declined.csv']) {
        expect(behavior(pattern).TargetOriginId).toBe(s3OriginId());
        expect(ttls(behavior(pattern).CachePolicyId)).toMatchObject({
          DefaultTTL: 31_536_000,
          MaxTTL: 31_536_000,
        });
      }
      expect(
        config()
          .CacheBehaviors.map((b) => b.PathPattern)
          .sort(),
      ).toEqual(['/reports/*/r*/declined.csv', '/reports/*/r*/report.json', '/subscriptions*']);
    });

    it('sends /subscriptions* to the subscriptions API over HTTPS with the origin secret and the viewer address', () => {
      const subscriptions = synthesized.stateless.subscriptions;
      const apiOrigin = config().Origins.find((origin) => origin.CustomOriginConfig !== undefined);

      expect(apiOrigin).toMatchObject({
        DomainName: synthesized.stateless.resolve(subscriptions.domainName),
        CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
        // A dynamic reference resolved at deploy: the secret's value is in no template.
        OriginCustomHeaders: [
          {
            HeaderName: 'x-origin-verify',
            HeaderValue: {
              'Fn::Join': ['', ['{{resolve:secretsmanager:', expect.anything(), ':SecretString:::}}']],
            },
          },
        ],
      });
      expect(behavior('/subscriptions*')).toMatchObject({
        TargetOriginId: apiOrigin?.Id,
        AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
        CachePolicyId: CACHING_DISABLED,
      });
      const policyId = z
        .object({ Ref: z.string() })
        .parse(behavior('/subscriptions*').OriginRequestPolicyId).Ref;
      expect(resourceOf(template, 'AWS::CloudFront::OriginRequestPolicy', policyId).Properties).toMatchObject(
        {
          OriginRequestPolicyConfig: {
            HeadersConfig: {
              HeaderBehavior: 'whitelist',
              Headers: expect.arrayContaining(['CloudFront-Viewer-Address', 'Content-Type']),
            },
            QueryStringsConfig: { QueryStringBehavior: 'all' },
            CookiesConfig: { CookieBehavior: 'none' },
          },
        },
      );
      expect(
        JSON.stringify(resourceOf(template, 'AWS::CloudFront::OriginRequestPolicy', policyId)),
      ).not.toMatch(/X-Forwarded-For/i);
      expect(behavior('/subscriptions*').FunctionAssociations).toBeUndefined();
    });

    it('keeps no viewer log (acknowledged: it would hold readers’ addresses and link tokens)', () => {
      expect(config().Logging).toBeUndefined();
    });

    it('outputs the site URL', () => {
      template.hasOutput('*', { Value: synthesized.stateless.resolve(site().url) });
    });
  });

  describe('security headers', () => {
    function headersPolicy() {
      return z
        .object({
          ResponseHeadersPolicyConfig: z
            .object({
              SecurityHeadersConfig: z.record(z.string(), z.record(z.string(), z.unknown())),
              CustomHeadersConfig: z.object({
                Items: z.array(z.object({ Header: z.string(), Value: z.string(), Override: z.boolean() })),
              }),
            })
            .loose(),
        })
        .parse(
          resourceOf(template, 'AWS::CloudFront::ResponseHeadersPolicy', logicalId(site().securityHeaders))
            .Properties,
        ).ResponseHeadersPolicyConfig;
    }

    it('go with every answer: site files, revision data and subscription pages', () => {
      const policyRef = { Ref: logicalId(site().securityHeaders) };
      for (const b of [config().DefaultCacheBehavior, ...config().CacheBehaviors]) {
        expect(b.ResponseHeadersPolicyId).toEqual(policyRef);
      }
    });

    it('are the CSP, HSTS, nosniff, frame and referrer policies of the one shared definition, overriding the origin but its own Referrer-Policy', () => {
      expect(headersPolicy().SecurityHeadersConfig).toEqual({
        ContentSecurityPolicy: {
          ContentSecurityPolicy: SECURITY_HEADERS.contentSecurityPolicy,
          Override: true,
        },
        StrictTransportSecurity: {
          AccessControlMaxAgeSec: 63_072_000,
          IncludeSubdomains: true,
          Preload: true,
          Override: true,
        },
        ContentTypeOptions: { Override: true },
        FrameOptions: { FrameOption: 'DENY', Override: true },
        // The subscription pages' no-referrer must reach the browser (their URLs carry a token).
        ReferrerPolicy: { ReferrerPolicy: 'strict-origin-when-cross-origin', Override: false },
      });
    });

    it('send exactly what the local gateway sends (securityHeaderMap)', () => {
      const { SecurityHeadersConfig: security, CustomHeadersConfig: custom } = headersPolicy();
      const hsts = z
        .object({ AccessControlMaxAgeSec: z.number(), IncludeSubdomains: z.boolean(), Preload: z.boolean() })
        .loose()
        .parse(security.StrictTransportSecurity);
      const deployed: Record<string, string> = {
        'Content-Security-Policy': String(security.ContentSecurityPolicy?.ContentSecurityPolicy),
        'Strict-Transport-Security': [
          `max-age=${hsts.AccessControlMaxAgeSec}`,
          ...(hsts.IncludeSubdomains ? ['includeSubDomains'] : []),
          ...(hsts.Preload ? ['preload'] : []),
        ].join('; '),
        'Referrer-Policy': String(security.ReferrerPolicy?.ReferrerPolicy),
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': String(security.FrameOptions?.FrameOption),
        ...Object.fromEntries(custom.Items.map((item) => [item.Header, item.Value])),
      };

      expect(deployed).toEqual(securityHeaderMap());
      expect(custom.Items.every((item) => item.Override)).toBe(true);
    });

    it('let nothing run, load from elsewhere or frame the site', () => {
      const csp = securityHeaderMap()['Content-Security-Policy'];
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("form-action 'self'");
      expect(csp).not.toMatch(/script-src|unsafe-inline|unsafe-eval/);
      expect(securityHeaderMap()['Strict-Transport-Security']).toBe(
        'max-age=63072000; includeSubDomains; preload',
      );
    });
  });

  describe('viewer-request function', () => {
    it.each([
      ['/reports/2017-01-28/', '/reports/2017-01-28/index.html'],
      ['/reports/2017-01-28/r2/', '/reports/2017-01-28/r2/index.html'],
      ['/', '/index.html'],
      ['/reports/2017-01-28/report.json', '/reports/2017-01-28/report.json'],
      ['/reports/2017-01-28/r2/declined.csv', '/reports/2017-01-28/r2/declined.csv'],
      ['/feed.xml', '/feed.xml'],
      ['/assets/site.css', '/assets/site.css'],
      ['/jurisdictions/', '/jurisdictions/index.html'],
      ['/jurisdictions/XJ.CA.3/', '/jurisdictions/XJ.CA.3/index.html'],
      ['/jurisdictions/XJ.CA.3/history.json', '/jurisdictions/XJ.CA.3/history.json'],
      ['/jurisdictions/index.html/', '/jurisdictions/index.html/index.html'],
    ])('serves %s from %s', (uri, key) => {
      expect(runViewerRequest(uri)).toMatchObject({ uri: key });
    });

    it.each([
      ['/reports/2017-01-28', '/reports/2017-01-28/'],
      ['/reports/2017-01-28/r2', '/reports/2017-01-28/r2/'],
      ['/jurisdictions', '/jurisdictions/'],
      // A jurisdiction's folder whatever its id holds (contract section 1): dots, or the index's name.
      ['/jurisdictions/XJ.CA.3', '/jurisdictions/XJ.CA.3/'],
      ['/jurisdictions/index.html', '/jurisdictions/index.html/'],
      ['/jurisdictions/XJ.CA.3/_/declines/2017', '/jurisdictions/XJ.CA.3/_/declines/2017/'],
    ])('redirects %s to %s, so relative links resolve', (uri, location) => {
      expect(runViewerRequest(uri)).toEqual({
        statusCode: 301,
        statusDescription: 'Moved Permanently',
        headers: { location: { value: location } },
      });
    });
  });
});
