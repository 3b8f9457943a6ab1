import { Stack, type StackProps } from 'aws-cdk-lib';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { SUBSCRIBE_PATH } from '#core/subscriptions/links';

/** A CloudFront web ACL lives in us-east-1, whatever region the rest of the app is in. */
export const EDGE_REGION = 'us-east-1';

/** Where the edge stack leaves the web ACL's ARN for the stateless stack (a parameter in us-east-1). */
export function webAclParameterName(stage: string): string {
  return `/ddor/${stage}/site-web-acl-arn`;
}

/**
 * WAF's rate-based rules count each IP over a five-minute window. The subscription endpoints'
 * own limit (contract §5: 10 per source in 600 s) is exact and answers 429 with Retry-After; this
 * rule is the coarse one in front, so a flood from one address is dropped at the edge before it
 * costs a Lambda invocation. Far above any real reader's pace.
 */
export const WAF_RULES = {
  subscriptionPostsPerIp: { limit: 100, windowSeconds: 300 },
  requestsPerIp: { limit: 3000, windowSeconds: 300 },
} as const;

export interface EdgeStackProps extends StackProps {
  readonly stage: string;
}

/**
 * The site's web ACL (scope CLOUDFRONT, hence us-east-1): a rate-based rule on subscription
 * POSTs per IP, one on every request per IP, and AWS's IP reputation list. Its ARN goes to an SSM
 * parameter that the stateless stack reads across regions (lib/constructs/site.ts). Costs about
 * US$8 a month (the web ACL and three rules) plus US$0.60 per million requests (README).
 */
export class EdgeStack extends Stack {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, { ...props, env: { ...props.env, region: EDGE_REGION } });
    const visibility = (name: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName: name,
      sampledRequestsEnabled: false,
    });
    this.webAcl = new CfnWebACL(this, 'SiteWebAcl', {
      description: 'Declined Detainer Outcome Report: the site and its subscription endpoints',
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('ddor-site'),
      rules: [
        {
          name: 'SubscriptionPostsPerIp',
          priority: 0,
          action: { block: {} },
          visibilityConfig: visibility('ddor-subscription-posts-per-ip'),
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: WAF_RULES.subscriptionPostsPerIp.limit,
              evaluationWindowSec: WAF_RULES.subscriptionPostsPerIp.windowSeconds,
              scopeDownStatement: {
                andStatement: {
                  statements: [
                    {
                      byteMatchStatement: {
                        fieldToMatch: { uriPath: {} },
                        positionalConstraint: 'STARTS_WITH',
                        searchString: SUBSCRIBE_PATH,
                        textTransformations: [{ priority: 0, type: 'LOWERCASE' }],
                      },
                    },
                    {
                      byteMatchStatement: {
                        fieldToMatch: { method: {} },
                        positionalConstraint: 'EXACTLY',
                        searchString: 'POST',
                        textTransformations: [{ priority: 0, type: 'NONE' }],
                      },
                    },
                  ],
                },
              },
            },
          },
        },
        {
          name: 'RequestsPerIp',
          priority: 1,
          action: { block: {} },
          visibilityConfig: visibility('ddor-requests-per-ip'),
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: WAF_RULES.requestsPerIp.limit,
              evaluationWindowSec: WAF_RULES.requestsPerIp.windowSeconds,
            },
          },
        },
        {
          name: 'AmazonIpReputationList',
          priority: 2,
          overrideAction: { none: {} },
          visibilityConfig: visibility('ddor-ip-reputation'),
          statement: {
            managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesAmazonIpReputationList' },
          },
        },
      ],
    });
    new StringParameter(this, 'WebAclArn', {
      parameterName: webAclParameterName(props.stage),
      description: 'The site web ACL, for the distribution in the stateless stack',
      stringValue: this.webAcl.attrArn,
    });
  }
}
