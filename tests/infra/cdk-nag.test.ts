import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppFunction } from '#lib/constructs/function';
import { logicalId, prepareApp, resourcesOf, type Synthesized, synthesize } from './synthesize';

const policyDocumentSchema = z.object({
  Statement: z.array(
    z.object({ Action: z.union([z.string(), z.array(z.string())]), Resource: z.unknown() }).loose(),
  ),
});

const reportSchema = z.object({
  pluginReports: z.array(
    z
      .object({ summary: z.object({ pluginName: z.string() }).loose(), violations: z.array(z.unknown()) })
      .loose(),
  ),
});

/**
 * cdk-nag 3 is a policy validation plugin: findings do not become annotations but go to the
 * cloud assembly's validation report, and an error fails synthesis.
 */
describe('cdk-nag AwsSolutions checks', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesize();
  });
  afterAll(() => synthesized.cleanUp());

  it('leave no finding unacknowledged in the validation report', () => {
    const file = join(synthesized.assembly.directory, VALIDATION_REPORT_FILE);
    const report = existsSync(file)
      ? reportSchema.parse(JSON.parse(readFileSync(file, 'utf8')))
      : { pluginReports: [] };

    expect(report.pluginReports.flatMap((plugin) => plugin.violations)).toEqual([]);
  });

  it('leave no error or warning annotation on any stack', () => {
    for (const stack of [synthesized.stateful, synthesized.stateless]) {
      expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
      expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    }
  });

  it('are acknowledged only where reviewed, each with a reason', () => {
    const { stateless } = synthesized;
    // A resource from another stack appears in a finding as its cross-stack reference: name it.
    const names: [unknown, string][] = [
      [stateless.resolve(synthesized.stateful.siteBucket.bucketArn), '<site bucket>'],
      [stateless.resolve(synthesized.stateful.dataBucket.bucketArn), '<data bucket>'],
    ];
    const readable = (id: string) =>
      names.reduce((text, [value, name]) => text.replaceAll(JSON.stringify(value), name), id);
    const acknowledged = synthesized.app.node.findAll().flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(z.record(z.string(), z.string()).parse(entry.data)))
        .map(([id, reason]) => ({
          path: construct.node.path,
          id: readable(id.replace(/^annotation::/i, '')),
          reason,
        })),
    );

    // Every AppFunction carries the runtime one; anything else is listed here.
    const functions = synthesized.app.node.findAll().filter((construct) => construct instanceof AppFunction);
    const perFunction = functions.map((fn) => `${fn.node.path} AwsSolutions-L1`);
    const reportFunction = logicalId(stateless.weeklyReport.function);
    const sweepFunction = logicalId(stateless.subscriptions.sweepFunction);
    const monitorFunction = logicalId(stateless.monitor.function);

    for (const { reason } of acknowledged) expect(reason.trim().length).toBeGreaterThan(40);
    // A new acknowledgement is a decision: add it here, with its reason in the code.
    expect(acknowledged.map(({ path, id }) => `${path} ${id}`).sort()).toEqual(
      [
        ...perFunction,
        'ddor-dev-stateful/AccessLogs AwsSolutions-S1',
        'ddor-dev-stateful/SubscriptionSecret AwsSolutions-SMG4',
        // CloudFront's origin header: rotated by redeploying the distribution, not by a Lambda.
        'ddor-dev-stateful/OriginSecret AwsSolutions-SMG4',
        // Its policy, TLS deny included, is written beside the one distribution it trusts.
        'ddor-dev-stateful/Site AwsSolutions-S10',
        'ddor-dev-stateless/Intake/Api AwsSolutions-APIG4',
        'ddor-dev-stateless/Subscriptions/Api AwsSolutions-APIG4',
        'ddor-dev-stateless/Site/Distribution AwsSolutions-CFR1',
        'ddor-dev-stateless/Site/Distribution AwsSolutions-CFR3',
        'ddor-dev-stateless/Site/Distribution AwsSolutions-CFR4',
        // Terminal dead-letter queues fed by services, not by another queue's redrive policy.
        'ddor-dev-stateless/WeeklyReport/FailedRuns/Queue AwsSolutions-SQS3',
        'ddor-dev-stateless/Mailer/FailedEvents/Queue AwsSolutions-SQS3',
        // Object ARNs: each names one bucket and, for the data bucket, only the editions prefix.
        'ddor-dev-stateless/Publisher/FunctionRole AwsSolutions-IAM5[Resource::<site bucket>/*]',
        'ddor-dev-stateless/Publisher/FunctionRole AwsSolutions-IAM5[Resource::<data bucket>/editions/*]',
        'ddor-dev-stateless/Mailer/SendFunctionRole AwsSolutions-IAM5[Resource::<data bucket>/editions/*/email.json]',
        // The editors' desk reads the drafts' files and nothing else of the data bucket.
        'ddor-dev-stateless/Intake/FunctionRole AwsSolutions-IAM5[Resource::<data bucket>/editions/*/review/*]',
        // GetAccount takes no resource but "*".
        'ddor-dev-stateless/Mailer/SendFunctionRole AwsSolutions-IAM5[Resource::*]',
        // The schedule may invoke the report function, its versions and aliases, and nothing else.
        `ddor-dev-stateless/WeeklyReport/ScheduleRole AwsSolutions-IAM5[Resource::<${reportFunction}.Arn>:*]`,
        // CDK's custom resource provider (reads the web ACL ARN from us-east-1 at deploy).
        'ddor-dev-stateless/AWS679f53fac002430cb0da5b7982bd2287/ServiceRole AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        `ddor-dev-stateless/Monitor/ScheduleRole AwsSolutions-IAM5[Resource::<${monitorFunction}.Arn>:*]`,
        `ddor-dev-stateless/Subscriptions/SweepScheduleRole AwsSolutions-IAM5[Resource::<${sweepFunction}.Arn>:*]`,
        // The operator reads its own stack's outputs; a stack ARN ends in the id given at creation.
        'ddor-dev-stateless/Operator/Role AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/ddor-dev-stateless/*]',
      ].sort(),
    );
  });

  it('are acknowledged for a wildcard resource only for the sender’s GetAccount (tracing is off)', () => {
    let getAccount = 0;
    for (const stack of [synthesized.stateful, synthesized.stateless]) {
      for (const policy of Object.values(resourcesOf(Template.fromStack(stack), 'AWS::IAM::Policy'))) {
        const { Statement } = policyDocumentSchema.parse(policy.Properties.PolicyDocument);
        const wildcard = Statement.filter((statement) => [statement.Resource].flat().includes('*'));
        const actions = wildcard.flatMap((statement) => [statement.Action].flat()).sort();
        if (actions.includes('ses:GetAccount')) getAccount += 1;

        expect([[], ['ses:GetAccount']]).toContainEqual(actions);
      }
    }
    expect(getAccount).toBe(1);
  });

  it('fail synthesis on a finding nobody acknowledged', () => {
    const { app, stacks, cleanUp } = prepareApp();
    try {
      new Table(stacks.stateful, 'Unprotected', { partitionKey: { name: 'id', type: AttributeType.STRING } });

      expect(() => app.synth()).toThrow(/AwsSolutions-DDB3/);
    } finally {
      cleanUp();
    }
  });
});
