import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, ConfigError, loadConfig } from '#lib/config';
import { environmentOf } from './grants';
import { logicalId, resourceOf, synthesize } from './synthesize';

function configFrom(context: Record<string, unknown>) {
  return loadConfig(new App({ context }).node);
}

describe('config', () => {
  it('defaults to the dev stage, New York time, the default throttling, three months of logs and placeholder mail', () => {
    expect(configFrom({})).toEqual({
      stage: 'dev',
      reportTimeZone: 'America/New_York',
      throttling: { rateLimit: CONFIG_DEFAULTS.rateLimit, burstLimit: CONFIG_DEFAULTS.burstLimit },
      logRetention: RetentionDays.THREE_MONTHS,
      mail: { from: 'reports@example.org', domain: 'example.org', sendRatePerSecond: 10, sendConcurrency: 2 },
      // Contract §5's defaults.
      subscriptions: { sourceLimit: 10, hourlyBudget: 500 },
    });
  });

  it('reads values given as strings with -c, as the CLI passes them', () => {
    const config = configFrom({
      stage: 'prod',
      reportTimeZone: 'America/Chicago',
      throttleRateLimit: '5',
      throttleBurstLimit: '10',
      logRetentionDays: '365',
      mailFrom: 'Editions@News.Ddor.Example',
      mailDomain: 'ddor.example',
      sendRatePerSecond: '12.5',
      sendConcurrency: '4',
      subscribeSourceLimit: '20',
      confirmationHourlyBudget: '1000',
    });

    expect(config).toEqual({
      stage: 'prod',
      reportTimeZone: 'America/Chicago',
      throttling: { rateLimit: 5, burstLimit: 10 },
      logRetention: RetentionDays.ONE_YEAR,
      // Normalised as subscribers' addresses are; a subdomain of the identity may send.
      mail: {
        from: 'editions@news.ddor.example',
        domain: 'ddor.example',
        sendRatePerSecond: 12.5,
        sendConcurrency: 4,
      },
      subscriptions: { sourceLimit: 20, hourlyBudget: 1000 },
    });
  });

  it('refuses a sender that is not on the mail domain, naming mailFrom', () => {
    expect(() => configFrom({ mailDomain: 'ddor.example' })).toThrow(
      /context "mailFrom": reports@example\.org is not on the mail domain ddor\.example/,
    );
    expect(() => configFrom({ mailFrom: 'reports@notexample.org' })).toThrow('context "mailFrom"');
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
    ['mailFrom', 'reports'],
    ['mailFrom', 'Reports <reports@example.org>'],
    ['mailDomain', 'example'],
    ['mailDomain', 'ex ample.org'],
    ['sendRatePerSecond', '0'],
    ['sendRatePerSecond', 'fast'],
    ['sendConcurrency', '1'],
    ['sendConcurrency', '2.5'],
    ['sendConcurrency', '100'],
    ['subscribeSourceLimit', '0'],
    ['subscribeSourceLimit', '2.5'],
    ['confirmationHourlyBudget', '0'],
    ['confirmationHourlyBudget', 'lots'],
    ['alarmEmail', 'ops'],
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
      mailFrom: 'editions@ddor.example',
      mailDomain: 'ddor.example',
      sendRatePerSecond: 20,
      sendConcurrency: 5,
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
      expect(environmentOf(template, synthesized.stateless.mailer.sendFunction)).toMatchObject({
        MAIL_FROM: 'editions@ddor.example',
        SEND_RATE_PER_SECOND: '20',
        SEND_CONCURRENCY: '5',
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalId(synthesized.stateless.mailer.sendFunction) },
        ScalingConfig: { MaximumConcurrency: 5 },
      });
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 9 ? * MON *)',
        ScheduleExpressionTimezone: 'America/Los_Angeles',
      });
      Template.fromStack(synthesized.stateful).hasResourceProperties('AWS::SES::EmailIdentity', {
        EmailIdentity: 'ddor.example',
      });
    } finally {
      synthesized.cleanUp();
    }
  });
});
