import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, ConfigError, loadConfig } from '../../lib/config';
import { logicalId, resourceOf, synthesize } from './synthesize';

function configFrom(context: Record<string, unknown>) {
  return loadConfig(new App({ context }).node);
}

describe('config', () => {
  it('defaults to the dev stage, New York time, the default throttling and three months of logs', () => {
    expect(configFrom({})).toEqual({
      stage: 'dev',
      reportTimeZone: 'America/New_York',
      throttling: { rateLimit: CONFIG_DEFAULTS.rateLimit, burstLimit: CONFIG_DEFAULTS.burstLimit },
      logRetention: RetentionDays.THREE_MONTHS,
    });
  });

  it('reads values given as strings with -c, as the CLI passes them', () => {
    const config = configFrom({
      stage: 'prod',
      reportTimeZone: 'America/Chicago',
      throttleRateLimit: '5',
      throttleBurstLimit: '10',
      logRetentionDays: '365',
    });

    expect(config).toEqual({
      stage: 'prod',
      reportTimeZone: 'America/Chicago',
      throttling: { rateLimit: 5, burstLimit: 10 },
      logRetention: RetentionDays.ONE_YEAR,
    });
  });

  it.each([
    ['stage', ''],
    ['stage', 'Prod!'],
    ['reportTimeZone', ''],
    ['reportTimeZone', 'Mars/Olympus'],
    ['throttleRateLimit', '0'],
    ['throttleRateLimit', 'fast'],
    ['throttleBurstLimit', '2.5'],
    ['logRetentionDays', '42'],
  ])('rejects %s = %j, naming the key', (key, value) => {
    expect(() => configFrom({ [key]: value })).toThrow(ConfigError);
    expect(() => configFrom({ [key]: value })).toThrow(`context "${key}"`);
  });

  it('carries the stage into stack names and the configuration into the resources', () => {
    const synthesized = synthesize({
      stage: 'qa',
      reportTimeZone: 'America/Los_Angeles',
      throttleRateLimit: 7,
      throttleBurstLimit: 9,
      logRetentionDays: 30,
    });
    try {
      const template = Template.fromStack(synthesized.stateless);
      const fn = synthesized.stateless.intake.function;

      expect([synthesized.stateful.stackName, synthesized.stateless.stackName]).toEqual([
        'ddor-qa-stateful',
        'ddor-qa-stateless',
      ]);
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 },
      });
      expect(resourceOf(template, 'AWS::Lambda::Function', logicalId(fn)).Properties).toMatchObject({
        Environment: { Variables: { REPORT_TIME_ZONE: 'America/Los_Angeles' } },
      });
      expect(
        resourceOf(template, 'AWS::Logs::LogGroup', logicalId(fn.logGroup)).Properties.RetentionInDays,
      ).toBe(30);
    } finally {
      synthesized.cleanUp();
    }
  });
});
