import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  disputesTable,
  editionsTable,
  historyTable,
  jurisdictionHistoryTable,
  jurisdictionsTable,
  outcomesTable,
  sendLedgerTable,
  subscribersTable,
} from '#adapters/table-definitions';
import { CONFIG_DEFAULTS } from '#lib/config';
import { environmentOf, Grants, LOG_WRITE, SQS_CONSUME } from './grants';
import {
  arnOf,
  expectTlsOnlyQueue,
  logicalId,
  resourceOf,
  resourcesOf,
  type Synthesized,
  synthesize,
} from './synthesize';

describe('publisher', () => {
  let synthesized: Synthesized;
  let template: Template;
  let grants: Grants;

  function publisher() {
    return synthesized.stateless.publisher;
  }
  function tableName(definition: typeof outcomesTable) {
    return grants.resolve(synthesized.stateful.get(definition).table.tableName);
  }

  beforeAll(() => {
    synthesized = synthesize();
    template = Template.fromStack(synthesized.stateless);
    grants = new Grants(synthesized, template)
      .name('publish queue', publisher().queue.queue.queueArn)
      .name('send queue', synthesized.stateless.mailer.sendQueue.queue.queueArn)
      .name('distribution', synthesized.stateless.site.distribution.distributionArn);
  });
  afterAll(() => synthesized.cleanUp());

  describe('publish queue', () => {
    it('hides a received week six times the function timeout and sets it aside after three failures', () => {
      const queue = resourceOf(template, 'AWS::SQS::Queue', logicalId(publisher().queue.queue));

      expect(queue.Properties).toMatchObject({
        VisibilityTimeout: 6 * 300,
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          deadLetterTargetArn: arnOf(publisher().queue.deadLetters.queue),
          maxReceiveCount: 3,
        },
      });
      expect(
        resourceOf(template, 'AWS::SQS::Queue', logicalId(publisher().queue.deadLetters.queue)).Properties,
      ).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    });

    it('refuses requests not made over TLS, on the queue and its dead letters', () => {
      for (const queue of [publisher().queue.queue, publisher().queue.deadLetters.queue]) {
        expectTlsOnlyQueue(template, queue);
      }
    });

    it('feeds the function one week at a time, two at most at once, with partial batch failures', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: arnOf(publisher().queue.queue),
        FunctionName: { Ref: logicalId(publisher().function) },
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      });
    });

    it('alarms on the first week in the dead-letter queue', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [logicalId(publisher().queue.deadLetters.queue), 'QueueName'] },
          },
        ],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });
  });

  describe('function', () => {
    it('runs the publish handler with 1024 MB and 5 minutes', () => {
      expect(
        resourceOf(template, 'AWS::Lambda::Function', logicalId(publisher().function)).Properties,
      ).toMatchObject({
        MemorySize: 1024,
        Timeout: 300,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
      });
    });

    it('gets exactly its tables, buckets, send queue, site and API URLs and distribution', () => {
      const { stateful, stateless } = synthesized;

      expect(environmentOf(template, publisher().function)).toEqual({
        REPORT_TIME_ZONE: 'America/New_York',
        NODE_OPTIONS: '--enable-source-maps',
        OUTCOMES_TABLE: tableName(outcomesTable),
        HISTORY_TABLE: tableName(historyTable),
        JURISDICTIONS_TABLE: tableName(jurisdictionsTable),
        JURISDICTION_HISTORY_TABLE: tableName(jurisdictionHistoryTable),
        DISPUTES_TABLE: tableName(disputesTable),
        EDITIONS_TABLE: tableName(editionsTable),
        SUBSCRIBERS_TABLE: tableName(subscribersTable),
        SEND_LEDGER_TABLE: tableName(sendLedgerTable),
        SITE_BUCKET: grants.resolve(stateful.siteBucket.bucketName),
        DATA_BUCKET: grants.resolve(stateful.dataBucket.bucketName),
        SEND_QUEUE_URL: grants.resolve(stateless.mailer.sendQueue.queue.queueUrl),
        PUBLISH_QUEUE_URL: grants.resolve(publisher().queue.queue.queueUrl),
        SITE_URL: grants.resolve(`https://${stateless.site.distribution.distributionDomainName}`),
        API_URL: grants.resolve(stateless.intake.url),
        CONTACT_LINE: CONFIG_DEFAULTS.contactLine,
        REVIEW_MODE: 'window',
        REVIEW_WINDOW_HOURS: '3',
        // The dev stage's fictional desk; other stages resolve the editorEmails SSM parameter.
        EDITOR_EMAILS: 'editors@example.org',
        // The editors' email goes from the product's address, through its configuration set.
        MAIL_FROM: 'reports@example.org',
        MAIL_CONFIGURATION_SET: grants.resolve(stateless.mailer.configurationSet.configurationSetName),
        SYNTHETIC_DATA: 'false',
        DISTRIBUTION_ID: grants.resolve(stateless.site.distribution.distributionId),
      });
    });

    it('reads records only by key or week index, and writes only editions, site files and edition data', () => {
      expect(grants.ofFunction(publisher().function)).toEqual({
        'function log group': LOG_WRITE,
        Outcomes: ['dynamodb:GetItem'],
        'Outcomes/index/byIssuedWeek': ['dynamodb:Query'],
        'Outcomes/index/byDeclinedWeek': ['dynamodb:Query'],
        OutcomeHistory: ['dynamodb:Query'],
        Jurisdictions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem'],
        'Jurisdictions/index/byPolicy': ['dynamodb:Query'],
        JurisdictionHistory: ['dynamodb:Query'],
        'Disputes/index/byStatus': ['dynamodb:Query'],
        Editions: [
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        'Editions/index/archive': ['dynamodb:Query'],
        'Subscribers/index/byConfirmedShard': ['dynamodb:Query'],
        SendLedger: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        'site bucket': ['s3:ListBucket'],
        'site objects': ['s3:GetObject', 's3:PutObject'],
        'data bucket': ['s3:ListBucket'],
        'data editions/*': ['s3:GetObject', 's3:PutObject'],
        'send queue': ['sqs:SendMessage'],
        // Its consumer's grant, and SendMessage: the week to email is queued again, delayed.
        'publish queue': [...SQS_CONSUME, 'sqs:SendMessage'].sort(),
        distribution: ['cloudfront:CreateInvalidation'],
        // The editors' email: the identity and the configuration set, as every sender's.
        'mail identity': ['ses:SendEmail'],
        [JSON.stringify(grants.resolve(synthesized.stateless.mailer.configurationSetArn))]: ['ses:SendEmail'],
      });
      grants.expectNoManagedPolicy(publisher().function.executionRole);
    });

    it('alarms on any function error', () => {
      const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
      expect(alarms).toContainEqual(
        expect.objectContaining({
          MetricName: 'Errors',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(publisher().function) } }],
        }),
      );
    });
  });
});
