import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editionsTable } from '#adapters/table-definitions';
import { environmentOf, Grants, LOG_WRITE } from './grants';
import {
  arnOf,
  expectTlsOnlyQueue,
  logicalId,
  resourceOf,
  resourcesOf,
  type Synthesized,
  synthesize,
} from './synthesize';

describe('weekly report', () => {
  let synthesized: Synthesized;
  let template: Template;
  let grants: Grants;

  function report() {
    return synthesized.stateless.weeklyReport;
  }
  function schedule() {
    return resourceOf(template, 'AWS::Scheduler::Schedule', logicalId(report().schedule));
  }

  beforeAll(() => {
    synthesized = synthesize();
    template = Template.fromStack(synthesized.stateless);
    grants = new Grants(synthesized, template)
      .name('publish queue', synthesized.stateless.publisher.queue.queue.queueArn)
      .name('failed runs queue', report().failedRuns.queue.queueArn)
      .name('report function', report().function.functionArn)
      .name('report function versions', `${report().function.functionArn}:*`);
  });
  afterAll(() => synthesized.cleanUp());

  describe('schedule', () => {
    it('runs every Monday at 09:00 in the report time zone, from the one schedule definition', () => {
      expect(schedule().Properties).toMatchObject({
        ScheduleExpression: 'cron(0 9 ? * MON *)',
        ScheduleExpressionTimezone: 'America/New_York',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
      });
    });

    it('invokes the report function with the time the run was scheduled for', () => {
      expect(schedule().Properties.Target).toMatchObject({
        Arn: arnOf(report().function),
        Input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>' }),
      });
    });

    it('retries twice within six hours, then sends the run to the failed-runs queue', () => {
      expect(schedule().Properties.Target).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 6 * 3600 },
        DeadLetterConfig: { Arn: arnOf(report().failedRuns.queue) },
      });
    });

    it('assumes a role that may invoke only the report function and write only to its failed-runs queue', () => {
      const role = report().scheduleRole;
      expect(schedule().Properties.Target).toMatchObject({ RoleArn: arnOf(role) });

      expect(grants.of(role)).toEqual({
        'report function': ['lambda:InvokeFunction'],
        'report function versions': ['lambda:InvokeFunction'],
        'failed runs queue': ['sqs:SendMessage'],
      });
      expect(
        resourceOf(template, 'AWS::IAM::Role', logicalId(role)).Properties.AssumeRolePolicyDocument,
      ).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      });
    });
  });

  describe('function', () => {
    it('retries a failed run twice, then records it in the failed-runs queue', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(report().function) },
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 6 * 3600,
        DestinationConfig: { OnFailure: { Destination: arnOf(report().failedRuns.queue) } },
      });
    });

    it('gets exactly the editions table, the publish queue and the report time zone', () => {
      expect(environmentOf(template, report().function)).toEqual({
        REPORT_TIME_ZONE: 'America/New_York',
        NODE_OPTIONS: '--enable-source-maps',
        EDITIONS_TABLE: grants.resolve(synthesized.stateful.get(editionsTable).table.tableName),
        PUBLISH_QUEUE_URL: grants.resolve(synthesized.stateless.publisher.queue.queue.queueUrl),
      });
    });

    it('reads the re-issue marks and the archive, deletes only marks, and sends only to the publish queue', () => {
      expect(grants.ofFunction(report().function)).toEqual({
        'function log group': LOG_WRITE,
        Editions: ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        'Editions/index/archive': ['dynamodb:Query'],
        'publish queue': ['sqs:SendMessage'],
        'failed runs queue': ['sqs:SendMessage'],
      });
      grants.expectNoManagedPolicy(report().function.executionRole);
    });
  });

  describe('failed-runs queue', () => {
    it('is encrypted, keeps dead letters 14 days and refuses requests not made over TLS', () => {
      const queue = report().failedRuns.queue;
      expect(resourceOf(template, 'AWS::SQS::Queue', logicalId(queue)).Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      expectTlsOnlyQueue(template, queue);
    });
  });

  describe('alarms', () => {
    it('alarm on the first failed run in the queue and on any function error', () => {
      const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);

      expect(alarms).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateNumberOfMessagesVisible',
            Dimensions: [
              {
                Name: 'QueueName',
                Value: { 'Fn::GetAtt': [logicalId(report().failedRuns.queue), 'QueueName'] },
              },
            ],
            Threshold: 1,
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          }),
          expect.objectContaining({
            Namespace: 'AWS/Lambda',
            MetricName: 'Errors',
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(report().function) } }],
            Threshold: 1,
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          }),
        ]),
      );
    });
  });
});
