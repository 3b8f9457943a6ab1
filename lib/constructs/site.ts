import { Annotations, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachedMethods,
  CachePolicy,
  type CachePolicyProps,
  Function as CloudFrontFunction,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestCookieBehavior,
  OriginRequestHeaderBehavior,
  OriginRequestPolicy,
  OriginRequestQueryStringBehavior,
  OriginSslPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { AnyPrincipal, Effect, PolicyDocument, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Bucket, CfnBucketPolicy, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ORIGIN_HEADER } from '#http/origin';
import { EDGE_REGION } from '#lib/edge-stack';
import { ORIGIN_MAY_SET, SECURITY_HEADERS } from '#lib/security-headers';
import {
  IMMUTABLE_PATH_PATTERNS,
  SUBSCRIPTIONS_PATH_PATTERN,
  VIEWER_REQUEST_FUNCTION_CODE,
} from '#lib/site-requests';

export interface SiteProps {
  /** The site bucket of the stateful stack (its policy already lets this account's CloudFront read). */
  readonly siteBucket: IBucket;
  /** The subscriptions API's host name: the second origin, under `/subscriptions*`. */
  readonly subscriptionsDomainName: string;
  /** Sent to that origin as `x-origin-verify`, so the API answers only requests through here. */
  readonly originSecret: ISecret;
  /** The SSM parameter (in us-east-1) holding the web ACL's ARN, written by the edge stack. */
  readonly webAclParameter: string;
}

/**
 * The site bucket's policy, owned by this stack: requests over TLS only, and origin access control
 * for exactly one distribution. ListBucket turns a missing page into 404 instead of 403; the cache
 * policies forward no query string, so no listing is reachable through CloudFront.
 */
function siteBucketPolicy(scope: Construct, bucket: IBucket, distribution: Distribution): CfnBucketPolicy {
  const stack = Stack.of(scope);
  const document = new PolicyDocument({
    statements: [
      new PolicyStatement({
        sid: 'TlsOnly',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:*'],
        resources: [bucket.bucketArn, bucket.arnForObjects('*')],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
      new PolicyStatement({
        sid: 'Tls12OrLater',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:*'],
        resources: [bucket.bucketArn, bucket.arnForObjects('*')],
        conditions: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
      }),
      new PolicyStatement({
        sid: 'CloudFrontOriginAccessControl',
        principals: [new ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:GetObject', 's3:ListBucket'],
        resources: [bucket.bucketArn, bucket.arnForObjects('*')],
        conditions: {
          StringEquals: {
            'AWS:SourceArn': stack.formatArn({
              service: 'cloudfront',
              region: '',
              resource: 'distribution',
              resourceName: distribution.distributionId,
            }),
          },
        },
      }),
    ],
  });
  return new CfnBucketPolicy(scope, 'SiteBucketPolicy', {
    bucket: bucket.bucketName,
    policyDocument: document,
  });
}

/** Long enough to never matter: these files never change. */
const IMMUTABLE_TTL = Duration.days(365);
/** Pages, the feed and each week's latest files change at each publication (which also invalidates). */
const SHORT_TTL = Duration.minutes(5);

function cachePolicyProps(ttl: Duration, comment: string): CachePolicyProps {
  return {
    comment,
    defaultTtl: ttl,
    maxTtl: ttl,
    minTtl: Duration.seconds(0),
    enableAcceptEncodingGzip: true,
    enableAcceptEncodingBrotli: true,
  };
}

function referrerPolicy(value: string): HeadersReferrerPolicy {
  const policy = Object.values(HeadersReferrerPolicy).find((candidate) => candidate === value);
  if (policy === undefined) throw new Error(`CloudFront has no referrer policy ${value}`);
  return policy;
}

function frameOption(value: string): HeadersFrameOption {
  const option = Object.values(HeadersFrameOption).find((candidate) => candidate === value);
  if (option === undefined) throw new Error(`CloudFront has no frame option ${value}`);
  return option;
}

/**
 * The hosted site: one CloudFront domain over the private site bucket (origin access control)
 * and, under `/subscriptions*`, the subscriptions API, so the site's forms post to its own domain.
 * Every answer carries the security headers of `lib/security-headers.ts`. Only a revision's data
 * files are cached for long; everything else for five minutes, and the publisher invalidates
 * what a publication replaced.
 */
export class Site extends Construct {
  readonly distribution: Distribution;
  readonly securityHeaders: ResponseHeadersPolicy;
  readonly viewerRequest: CloudFrontFunction;
  /** Reads the web ACL's ARN from us-east-1 at deploy. */
  readonly webAclArn: AwsCustomResource;
  /** The site bucket's whole policy: TLS only, and read by this distribution alone. */
  readonly bucketPolicy: CfnBucketPolicy;
  /** `https://<distribution domain>`, no trailing slash. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: SiteProps) {
    super(scope, id);

    this.securityHeaders = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Declined Detainer Outcome Report: security headers (lib/security-headers.ts)',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: SECURITY_HEADERS.contentSecurityPolicy,
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.seconds(SECURITY_HEADERS.strictTransportSecurity.maxAgeSeconds),
          includeSubdomains: SECURITY_HEADERS.strictTransportSecurity.includeSubDomains,
          preload: SECURITY_HEADERS.strictTransportSecurity.preload,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: frameOption(SECURITY_HEADERS.frameOptions), override: true },
        referrerPolicy: {
          referrerPolicy: referrerPolicy(SECURITY_HEADERS.referrerPolicy),
          // The subscription pages' no-referrer (their URLs carry a token) wins.
          override: !ORIGIN_MAY_SET.includes('Referrer-Policy'),
        },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Permissions-Policy', value: SECURITY_HEADERS.permissionsPolicy, override: true },
          {
            header: 'Cross-Origin-Opener-Policy',
            value: SECURITY_HEADERS.crossOriginOpenerPolicy,
            override: true,
          },
        ],
      },
    });

    this.viewerRequest = new CloudFrontFunction(this, 'DirectoryIndex', {
      comment: 'Maps /reports/{week}/ and /reports/{week}/r{n}/ to their index.html',
      code: FunctionCode.fromInline(VIEWER_REQUEST_FUNCTION_CODE),
      runtime: FunctionRuntime.JS_2_0,
    });

    // Imported, so the origin does not try to edit the bucket's policy in the stateful stack (a
    // dependency cycle): this construct writes the policy itself, naming this distribution.
    const siteBucket = Bucket.fromBucketAttributes(this, 'SiteBucket', {
      bucketArn: props.siteBucket.bucketArn,
      bucketName: props.siteBucket.bucketName,
      bucketRegionalDomainName: props.siteBucket.bucketRegionalDomainName,
    });
    const siteOrigin = S3BucketOrigin.withOriginAccessControl(siteBucket);
    const shortCache = new CachePolicy(
      this,
      'ShortCache',
      cachePolicyProps(SHORT_TTL, 'Pages, feed, latest files'),
    );
    const immutableCache = new CachePolicy(
      this,
      'ImmutableCache',
      cachePolicyProps(IMMUTABLE_TTL, 'Revision data files: never change'),
    );
    // The viewer's address (the per-source limit of contract §5), the query string (the link's
    // token), the body and the headers a form post needs; never the viewer's Host, and never
    // X-Forwarded-For, which a client writes.
    const subscriptionRequests = new OriginRequestPolicy(this, 'SubscriptionRequests', {
      comment: 'Subscriptions: viewer address, query string, content type, accept',
      headerBehavior: OriginRequestHeaderBehavior.allowList(
        'CloudFront-Viewer-Address',
        'Content-Type',
        'Accept',
        'Accept-Language',
      ),
      queryStringBehavior: OriginRequestQueryStringBehavior.all(),
      cookieBehavior: OriginRequestCookieBehavior.none(),
    });
    const siteBehavior = {
      origin: siteOrigin,
      viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
      cachedMethods: CachedMethods.CACHE_GET_HEAD,
      responseHeadersPolicy: this.securityHeaders,
      compress: true,
    } as const;

    // A CloudFront web ACL lives in us-east-1 (lib/edge-stack.ts): its ARN is read across regions
    // once, at deploy, from the parameter the edge stack writes.
    const stack = Stack.of(this);
    const parameterArn = stack.formatArn({
      service: 'ssm',
      region: EDGE_REGION,
      resource: 'parameter',
      resourceName: props.webAclParameter.replace(/^\//, ''),
    });
    this.webAclArn = new AwsCustomResource(this, 'WebAclArn', {
      onUpdate: {
        service: 'SSM',
        action: 'GetParameter',
        parameters: { Name: props.webAclParameter },
        region: EDGE_REGION,
        physicalResourceId: PhysicalResourceId.of(props.webAclParameter),
      },
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [parameterArn] }),
      installLatestAwsSdk: false,
    });
    Validations.of(this.webAclArn.grantPrincipal as unknown as Construct).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'CDK’s AwsCustomResource provider writes its own logs with the basic execution policy; its one other permission is ssm:GetParameter on the web ACL parameter, at deploy only.',
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Declined Detainer Outcome Report: site and subscriptions',
      webAclId: this.webAclArn.getResponseField('Parameter.Value'),
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      // North America and Europe: where the readers are; other viewers are served from there.
      priceClass: PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        ...siteBehavior,
        cachePolicy: shortCache,
        functionAssociations: [{ function: this.viewerRequest, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        ...Object.fromEntries(
          IMMUTABLE_PATH_PATTERNS.map((pattern) => [
            pattern,
            { ...siteBehavior, cachePolicy: immutableCache },
          ]),
        ),
        [SUBSCRIPTIONS_PATH_PATTERN]: {
          origin: new HttpOrigin(props.subscriptionsDomainName, {
            protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
            originSslProtocols: [OriginSslPolicy.TLS_V1_2],
            // A dynamic reference, resolved by CloudFormation at deploy: the value is in no template.
            customHeaders: { [ORIGIN_HEADER]: props.originSecret.secretValue.unsafeUnwrap() },
          }),
          viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: subscriptionRequests,
          responseHeadersPolicy: this.securityHeaders,
        },
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    Annotations.of(this.distribution).acknowledgeWarning(
      '@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac',
      'The site bucket policy below is written here, for this distribution only.',
    );
    this.bucketPolicy = siteBucketPolicy(this, props.siteBucket, this.distribution);
    const acknowledge = (id: string, reason: string) =>
      Validations.of(this.distribution).acknowledge({ id, reason });
    acknowledge(
      'AwsSolutions-CFR1',
      'A public report meant to be read anywhere, including by people abroad whom it concerns: no country is blocked.',
    );
    acknowledge(
      'AwsSolutions-CFR3',
      'Viewer logs would keep readers’ IP addresses beside the pages they read and subscribers’ link tokens (query strings); publishing writes are in S3 server access logs instead.',
    );
    acknowledge(
      'AwsSolutions-CFR4',
      'The default *.cloudfront.net certificate keeps CloudFront’s TLSv1 policy and takes no minimum protocol version; serving the site on a custom domain with an ACM certificate is what allows TLSv1.2_2021.',
    );

    new CfnOutput(this, 'Url', { value: this.url, description: 'The hosted site' });
  }
}
