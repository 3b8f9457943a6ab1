import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, ConfigError, loadConfig } from '#lib/config';
import { PROJECT_ROOT } from '#lib/constructs/function';
import { environmentOf } from './grants';

const require = createRequire(import.meta.url);

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
      mail: {
        from: 'reports@example.org',
        domain: 'example.org',
        mailFromDomain: 'bounce.example.org',
        sendRatePerSecond: 10,
        sendConcurrency: 2,
      },
      // Contract §5's defaults.
      subscriptions: { sourceLimit: 10, hourlyBudget: 500 },
      contactLine: CONFIG_DEFAULTS.contactLine,
      // Contract §3: drafts first, published three hours later unless held.
      review: { mode: 'window', windowHours: 3 },
      protectStatefulStack: false,
    });
  });

  it('reads values given as strings with -c, as the CLI passes them', () => {
    const config = configFrom({
      stage: 'prod',
      reportTimeZone: 'America/Chicago',
      throttleRateLimit: '5',
      throttleBurstLimit: '10',
      logRetentionDays: '365',
      mailFrom: 'Editions@News.Ddor-Synthetic.Org',
      mailDomain: 'ddor-synthetic.org',
      alarmEmail: 'Ops@Ddor-Synthetic.Org',
      sendRatePerSecond: '12.5',
      sendConcurrency: '4',
      subscribeSourceLimit: '20',
      confirmationHourlyBudget: '1000',
      contactLine: '  Report Desk,\t12 Synthetic Street,  Springfield ZZ 00000  ',
      reviewMode: 'required',
      reviewWindowHours: '1.5',
      editorEmails: '/ddor/prod/editor-emails',
    });

    expect(config).toEqual({
      stage: 'prod',
      reportTimeZone: 'America/Chicago',
      throttling: { rateLimit: 5, burstLimit: 10 },
      logRetention: RetentionDays.ONE_YEAR,
      // Normalised as subscribers' addresses are; a subdomain of the identity may send.
      mail: {
        from: 'editions@news.ddor-synthetic.org',
        domain: 'ddor-synthetic.org',
        mailFromDomain: 'bounce.ddor-synthetic.org',
        sendRatePerSecond: 12.5,
        sendConcurrency: 4,
      },
      subscriptions: { sourceLimit: 20, hourlyBudget: 1000 },
      alarmEmail: 'ops@ddor-synthetic.org',
      // One line, its spaces as a reader would type them.
      contactLine: 'Report Desk, 12 Synthetic Street, Springfield ZZ 00000',
      review: { mode: 'required', windowHours: 1.5, editorEmailsParameter: '/ddor/prod/editor-emails' },
      protectStatefulStack: true,
    });
  });

  it('refuses a context key that is not a setting, suggesting the one meant', () => {
    expect(() => configFrom({ mailfrom: 'a@example.org' })).toThrow(
      /context "mailfrom": not a setting of this app \(did you mean mailFrom\?\)/,
    );
    expect(() => configFrom({ colour: 'blue' })).toThrow(/context "colour": not a setting of this app\n/);
    // CDK's own keys and feature flags are not settings of the app, and pass.
    expect(() =>
      configFrom({ '@aws-cdk/core:checkSecretUsage': true, 'aws:cdk:bundling-stacks': [] }),
    ).not.toThrow();
  });

  it('refuses the placeholders outside dev, and asks who hears the alarms', () => {
    const problems = (() => {
      try {
        configFrom({ stage: 'prod' });
      } catch (error) {
        return String(error);
      }
      return '';
    })();
    expect(problems).toContain('context "mailDomain": example.org is a placeholder');
    expect(problems).toContain('context "mailFrom": reports@example.org is a placeholder');
    expect(problems).toContain('context "alarmEmail": required outside the dev stage');
    expect(problems).toContain('context "contactLine": required outside the dev stage');
    expect(problems).toContain(
      'context "editorEmails": required outside the dev stage unless reviewMode is off',
    );
    // With review off nobody reviews, so no editors are needed.
    expect(() =>
      configFrom({
        stage: 'prod',
        reviewMode: 'off',
        mailDomain: 'ddor-synthetic.org',
        mailFrom: 'r@ddor-synthetic.org',
        alarmEmail: 'o@ddor-synthetic.org',
        contactLine: 'Report Desk, 12 Synthetic Street, Springfield ZZ 00000',
      }),
    ).not.toThrow();
    expect(() => configFrom({ editorEmails: 'editors@ddor-synthetic.org' })).toThrow(
      /context "editorEmails": the name of an SSM parameter/,
    );
    expect(() =>
      configFrom({
        stage: 'prod',
        mailDomain: 'news.test',
        mailFrom: 'r@news.test',
        alarmEmail: 'o@news.test',
      }),
    ).toThrow(/news\.test is a placeholder/);
    // A MAIL FROM domain must be a subdomain of the identity.
    expect(() => configFrom({ mailFromDomain: 'bounce.other.org' })).toThrow(
      /context "mailFromDomain": bounce\.other\.org is not a subdomain of the mail domain example\.org/,
    );
  });

  it('refuses a contact line that is not one line of words', () => {
    expect(() => configFrom({ contactLine: 'Desk' })).toThrow(
      /context "contactLine": at least 10 characters/,
    );
    expect(() => configFrom({ contactLine: 'x'.repeat(301) })).toThrow(/context "contactLine": at most 300/);
    expect(() => configFrom({ contactLine: 'Report Desk\u0007, 12 Synthetic Street' })).toThrow(
      /context "contactLine": no control characters/,
    );
    // A line break is a space, as in any one-line field.
    expect(configFrom({ contactLine: 'Report Desk\n12 Synthetic Street' }).contactLine).toBe(
      'Report Desk 12 Synthetic Street',
    );
  });

  it('refuses a review mode or window that is not one', () => {
    expect(() => configFrom({ reviewMode: 'later' })).toThrow(
      /context "reviewMode": one of window, required, off/,
    );
    expect(() => configFrom({ reviewWindowHours: '0' })).toThrow(
      /context "reviewWindowHours": a positive number/,
    );
    expect(() => configFrom({ reviewWindowHours: '200' })).toThrow(
      /context "reviewWindowHours": at most 167/,
    );
  });

  it('gives the publisher its review mode and window', () => {
    const synthesized = synthesize({ reviewMode: 'required', reviewWindowHours: '0.5' });
    try {
      const template = Template.fromStack(synthesized.stateless);
      const environment = environmentOf(template, synthesized.stateless.publisher.function);
      expect(environment.REVIEW_MODE).toBe('required');
      expect(environment.REVIEW_WINDOW_HOURS).toBe('0.5');
    } finally {
      synthesized.cleanUp();
    }
  });

  it('gives the publisher its contact line', () => {
    const line = 'Report Desk, 12 Synthetic Street, Springfield ZZ 00000';
    const synthesized = synthesize({ contactLine: line });
    try {
      const template = Template.fromStack(synthesized.stateless);
      expect(environmentOf(template, synthesized.stateless.publisher.function).CONTACT_LINE).toBe(line);
    } finally {
      synthesized.cleanUp();
    }
  });

  it('sets every feature flag CDK recommends, as cdk init would', () => {
    const recommended: Record<string, unknown> = JSON.parse(
      readFileSync(require.resolve('aws-cdk-lib/recommended-feature-flags.json'), 'utf8'),
    );
    const context = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context;
    for (const [flag, value] of Object.entries(recommended))
      expect([flag, context[flag]]).toEqual([flag, value]);
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

  it('refuses a send rate and concurrency whose batch could not finish within the send timeout', () => {
    // 20 senders sharing 1 send a second: 0.05/s each, a batch of 50 in 1,000 s.
    expect(() => configFrom({ sendRatePerSecond: '1', sendConcurrency: '20' })).toThrow(
      /context "sendConcurrency".*a batch of 50 would take 1000 s.*Lower sendConcurrency or raise sendRatePerSecond/s,
    );
    // The SES sandbox (1 a second) with the fewest senders still fits.
    expect(() => configFrom({ sendRatePerSecond: '1', sendConcurrency: '2' })).not.toThrow();
  });

  it('carries the stage into stack names and the configuration into the resources', () => {
    const synthesized = synthesize({
      stage: 'qa',
      reportTimeZone: 'America/Los_Angeles',
      throttleRateLimit: 7,
      throttleBurstLimit: 9,
      logRetentionDays: 30,
      mailFrom: 'editions@ddor-synthetic.org',
      mailDomain: 'ddor-synthetic.org',
      alarmEmail: 'ops@ddor-synthetic.org',
      contactLine: 'QA Report Desk, 12 Synthetic Street, Springfield ZZ 00000',
      sendRatePerSecond: 20,
      sendConcurrency: 5,
      editorEmails: '/ddor/qa/editor-emails',
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
        MAIL_FROM: 'editions@ddor-synthetic.org',
        SEND_RATE_PER_SECOND: '20',
        SEND_CONCURRENCY: '5',
      });
      // The editors are the SSM parameter's value, resolved at deploy time, never written here.
      const editors = environmentOf(template, synthesized.stateless.publisher.function).EDITOR_EMAILS;
      expect(JSON.stringify(editors)).toMatch(/^\{"Ref":"SsmParameterValue/);
      expect(Object.values(template.toJSON().Parameters ?? {})).toContainEqual(
        expect.objectContaining({ Default: '/ddor/qa/editor-emails' }),
      );
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalId(synthesized.stateless.mailer.sendFunction) },
        ScalingConfig: { MaximumConcurrency: 5 },
      });
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 9 ? * MON *)',
        ScheduleExpressionTimezone: 'America/Los_Angeles',
      });
      const stateful = Template.fromStack(synthesized.stateful);
      stateful.hasResourceProperties('AWS::SES::EmailIdentity', {
        EmailIdentity: 'ddor-synthetic.org',
        MailFromAttributes: {
          MailFromDomain: 'bounce.ddor-synthetic.org',
          BehaviorOnMxFailure: 'USE_DEFAULT_VALUE',
        },
      });
      // The DNS records to publish: SPF on the MAIL FROM domain, where receivers check it.
      expect(JSON.stringify(stateful.findOutputs('MailFromSpfRecord'))).toContain(
        'bounce.ddor-synthetic.org TXT \\"v=spf1 include:amazonses.com ~all\\"',
      );
      expect(synthesized.stateful.terminationProtection).toBe(true);
      expect(synthesized.stateless.terminationProtection).toBe(false);
    } finally {
      synthesized.cleanUp();
    }
  });

  it('outside dev with review off and no editors, emails nobody rather than a placeholder', () => {
    const synthesized = synthesize({
      stage: 'qa',
      reviewMode: 'off',
      mailFrom: 'editions@ddor-synthetic.org',
      mailDomain: 'ddor-synthetic.org',
      alarmEmail: 'ops@ddor-synthetic.org',
      contactLine: 'QA Report Desk, 12 Synthetic Street, Springfield ZZ 00000',
    });
    try {
      const template = Template.fromStack(synthesized.stateless);
      expect(environmentOf(template, synthesized.stateless.publisher.function)).not.toHaveProperty(
        'EDITOR_EMAILS',
      );
      const intake = environmentOf(template, synthesized.stateless.intake.function);
      expect(intake).not.toHaveProperty('EDITOR_EMAILS');
      expect(intake).not.toHaveProperty('MAIL_FROM');
      expect(JSON.stringify(template.toJSON())).not.toContain('editors@example.org');
    } finally {
      synthesized.cleanUp();
    }
  });
});
