import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGE_REGION, WAF_RULES, webAclParameterName } from '#lib/edge-stack';
import { logicalId, resourceOf, resourcesOf, type Synthesized, synthesize } from './synthesize';

/** The site's web ACL (issue 12): in us-east-1, in front of the distribution, rate rules per IP. */
describe('the edge', () => {
  let synthesized: Synthesized;
  let edge: Template;
  let stateless: Template;

  beforeAll(() => {
    synthesized = synthesize();
    edge = Template.fromStack(synthesized.edge);
    stateless = Template.fromStack(synthesized.stateless);
  });
  afterAll(() => synthesized.cleanUp());

  it('is a CloudFront web ACL in us-east-1 that blocks floods per IP, subscription posts first', () => {
    expect(synthesized.edge.region).toBe(EDGE_REGION);
    const acl = resourceOf(
      edge,
      'AWS::WAFv2::WebACL',
      synthesized.edge.getLogicalId(synthesized.edge.webAcl),
    );
    expect(acl.Properties).toMatchObject({ Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
    const rules = acl.Properties.Rules as {
      Name: string;
      Action?: unknown;
      Statement: { RateBasedStatement?: Record<string, unknown> };
    }[];
    expect(rules.map((rule) => rule.Name)).toEqual([
      'SubscriptionPostsPerIp',
      'RequestsPerIp',
      'AmazonIpReputationList',
    ]);
    expect(rules[0]).toMatchObject({
      Action: { Block: {} },
      Statement: {
        RateBasedStatement: {
          AggregateKeyType: 'IP',
          Limit: WAF_RULES.subscriptionPostsPerIp.limit,
          EvaluationWindowSec: 300,
        },
      },
    });
    expect(JSON.stringify(rules[0]?.Statement)).toContain('"SearchString":"/subscriptions"');
    expect(JSON.stringify(rules[0]?.Statement)).toContain('"SearchString":"POST"');
  });

  it('hands its ARN to the distribution through a parameter read across regions at deploy', () => {
    edge.hasResourceProperties('AWS::SSM::Parameter', {
      Name: webAclParameterName('dev'),
      Value: { 'Fn::GetAtt': [synthesized.edge.getLogicalId(synthesized.edge.webAcl), 'Arn'] },
    });
    const reader = Object.values(resourcesOf(stateless, 'Custom::AWS'))[0];
    expect(JSON.parse(String(reader?.Properties.Create))).toMatchObject({
      service: 'SSM',
      action: 'GetParameter',
      parameters: { Name: webAclParameterName('dev') },
      region: EDGE_REGION,
    });
    const distribution = resourceOf(
      stateless,
      'AWS::CloudFront::Distribution',
      logicalId(synthesized.stateless.site.distribution),
    );
    expect(distribution.Properties.DistributionConfig).toMatchObject({
      WebACLId: {
        'Fn::GetAtt': [
          synthesized.stateless.getLogicalId(synthesized.stateless.site.webAclArn.node.defaultChild as never),
          'Parameter.Value',
        ],
      },
    });
    expect(synthesized.stateless.dependencies).toContain(synthesized.edge);
  });
});
