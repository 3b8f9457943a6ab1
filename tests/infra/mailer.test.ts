import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { limitsTable, sendLedgerTable, subscribersTable } from '#adapters/table-definitions';
import { AppFunction } from '#lib/constructs/function';
import { REPUTATION_ALARMS } from '#lib/constructs/mailer';
import { actionsOf, environmentOf, Grants, LOG_WRITE, SQS_CONSUME } from './grants';
import {
  arnOf,
  expectTlsOnlyQueue,
  logicalId,
  resourceOf,
  resourcesOf,
  type Synthesized,
  synthesize,
} from './synthesize';

describe('mail: sender, mail events and subscriptions', () => {
  let synthesized: Synthesized;
  let template: Template;
  let grants: Grants;

  function mailer() {
    return synthesized.stateless.mailer;
  }
  function subscriptions() {
    return synthesized.stateless.subscriptions;
  }
  function tableName(definition: typeof subscribersTable | typeof limitsTable) {
    return grants.resolve(synthesized.stateful.get(definition).table.tableName);
  }
  /** Every function of the app that may call SES. */
  function senders(): AppFunction[] {
    // The publisher emails the editors each run's drafts, the intake each dispute opened (contract §2, §3).
    return [
      mailer().sendFunction,
      subscriptions().confirmationFunction,
      synthesized.stateless.publisher.function,
      synthesized.stateless.intake.function,
    ];
  }

  beforeAll(() => {
    synthesized = synthesize();
    template = Template.fromStack(synthesized.stateless);
    grants = new Grants(synthesized, template)
      .name('send queue', mailer().sendQueue.queue.queueArn)
      .name('failed events queue', mailer().failedEvents.queue.queueArn)
      .name('mail configuration set', mailer().configurationSetArn)
      .name('confirmation queue', subscriptions().confirmationQueue.queue.queueArn)
      .name('sweep function versions', `${subscriptions().sweepFunction.functionArn}:*`);
  });
  afterAll(() => synthesized.cleanUp());

  describe('send queue', () => {
    it('hides a batch six times the sender timeout and sets it aside after five failures, encrypted', () => {
      const sendTimeout = resourceOf(template, 'AWS::Lambda::Function', logicalId(mailer().sendFunction))
        .Properties.Timeout;
      expect(
        resourceOf(template, 'AWS::SQS::Queue', logicalId(mailer().sendQueue.queue)).Properties,
      ).toMatchObject({
        VisibilityTimeout: 6 * Number(sendTimeout),
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          deadLetterTargetArn: arnOf(mailer().sendQueue.deadLetters.queue),
          maxReceiveCount: 5,
        },
      });
      expect(
        resourceOf(template, 'AWS::SQS::Queue', logicalId(mailer().sendQueue.deadLetters.queue)).Properties,
      ).toMatchObject({ SqsManagedSseEnabled: true });
    });

    it('refuses requests not made over TLS, on every mail queue', () => {
      for (const queue of [
        mailer().sendQueue.queue,
        mailer().sendQueue.deadLetters.queue,
        mailer().failedEvents.queue,
      ]) {
        expectTlsOnlyQueue(template, queue);
      }
    });

    it('feeds the sender one batch at a time, at the configured concurrency, with partial batch failures', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: arnOf(mailer().sendQueue.queue),
        FunctionName: { Ref: logicalId(mailer().sendFunction) },
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      });
    });

    it('alarms on dead letters of both the send queue and failed mail events', () => {
      for (const queue of [mailer().sendQueue.deadLetters.queue, mailer().failedEvents.queue]) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(queue), 'QueueName'] } }],
          Threshold: 1,
        });
      }
    });
  });

  describe('sender', () => {
    it('gets exactly its ledger, subscribers, stored mail, sender, rate and link key (by ARN)', () => {
      expect(environmentOf(template, mailer().sendFunction)).toEqual({
        REPORT_TIME_ZONE: 'America/New_York',
        NODE_OPTIONS: '--enable-source-maps',
        SEND_LEDGER_TABLE: tableName(sendLedgerTable),
        SUBSCRIBERS_TABLE: tableName(subscribersTable),
        DATA_BUCKET: grants.resolve(synthesized.stateful.dataBucket.bucketName),
        MAIL_FROM: 'reports@example.org',
        MAIL_CONFIGURATION_SET: grants.resolve(mailer().configurationSet.configurationSetName),
        SEND_RATE_PER_SECOND: '10',
        SEND_CONCURRENCY: '2',
        SEND_QUEUE_URL: grants.resolve(mailer().sendQueue.queue.queueUrl),
        SUBSCRIPTION_SECRET_ARN: grants.resolve(synthesized.stateful.subscriptionSecret.secretArn),
        SITE_URL: grants.resolve(synthesized.stateless.site.url),
      });
    });

    it('may only claim and mark ledger entries, read subscribers, edition mail and the key, send mail, ask SES about the account, and queue a deferred batch again', () => {
      expect(grants.ofFunction(mailer().sendFunction)).toEqual({
        '*': ['ses:GetAccount'],
        'function log group': LOG_WRITE,
        SendLedger: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Subscribers: ['dynamodb:BatchGetItem', 'dynamodb:GetItem'],
        // The stored email only: not the private lists of detainer ids, not the drafts.
        'data stored emails': ['s3:GetObject'],
        'subscription secret': ['secretsmanager:GetSecretValue'],
        'mail identity': ['ses:SendEmail'],
        'mail configuration set': ['ses:SendEmail'],
        'send queue': [...SQS_CONSUME, 'sqs:SendMessage'].sort(),
      });
      grants.expectNoManagedPolicy(mailer().sendFunction.executionRole);
    });
  });

  describe('mail events', () => {
    it('sends SES send, bounce and complaint events of the configuration set to an encrypted, TLS-only topic', () => {
      template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
        ConfigurationSetName: { Ref: logicalId(mailer().configurationSet) },
        EventDestination: {
          Enabled: true,
          MatchingEventTypes: ['send', 'bounce', 'complaint'],
          SnsDestination: { TopicARN: { Ref: logicalId(mailer().eventsTopic) } },
        },
      });
      const topic = resourceOf(template, 'AWS::SNS::Topic', logicalId(mailer().eventsTopic));
      const keyId = z
        .object({ KmsMasterKeyId: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }) })
        .parse(topic.Properties).KmsMasterKeyId['Fn::GetAtt'][0];
      const key = resourceOf(template, 'AWS::KMS::Key', keyId).Properties;
      expect(key.EnableKeyRotation).toBe(true);
      // SES can publish to an encrypted topic only if the key lets it.
      expect(key.KeyPolicy).toMatchObject({
        Statement: expect.arrayContaining([
          {
            Effect: 'Allow',
            Principal: { Service: 'ses.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            // Only for this account's configuration set: no other account's SES can use the key.
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': grants.resolve(mailer().configurationSetArn) },
            },
          },
        ]),
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: logicalId(mailer().eventsTopic) }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Deny',
              Action: 'sns:Publish',
              Principal: '*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Resource: { Ref: logicalId(mailer().eventsTopic) },
            },
            {
              Effect: 'Allow',
              Action: 'sns:Publish',
              Principal: { Service: 'ses.amazonaws.com' },
              Resource: { Ref: logicalId(mailer().eventsTopic) },
              Condition: {
                StringEquals: {
                  'AWS:SourceAccount': { Ref: 'AWS::AccountId' },
                  'AWS:SourceArn': grants.resolve(mailer().configurationSetArn),
                },
              },
            },
          ],
        },
      });
    });

    it('never mails an address on the account suppression list', () => {
      expect(
        resourceOf(template, 'AWS::SES::ConfigurationSet', logicalId(mailer().configurationSet)).Properties,
      ).toMatchObject({ SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] } });
    });

    it('delivers them to the mail-events function, whose failures are kept and alarmed', () => {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'lambda',
        TopicArn: { Ref: logicalId(mailer().eventsTopic) },
        Endpoint: arnOf(mailer().eventsFunction),
      });
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(mailer().eventsFunction) },
        DestinationConfig: { OnFailure: { Destination: arnOf(mailer().failedEvents.queue) } },
      });
    });

    it('gets the subscribers table to rewrite one subscriber, and the send ledger to reconcile an unknown send', () => {
      expect(environmentOf(template, mailer().eventsFunction)).toEqual({
        REPORT_TIME_ZONE: 'America/New_York',
        NODE_OPTIONS: '--enable-source-maps',
        SUBSCRIBERS_TABLE: tableName(subscribersTable),
        SEND_LEDGER_TABLE: tableName(sendLedgerTable),
      });
      expect(grants.ofFunction(mailer().eventsFunction)).toEqual({
        'function log group': LOG_WRITE,
        Subscribers: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        SendLedger: ['dynamodb:UpdateItem'],
        'failed events queue': ['sqs:SendMessage'],
      });
    });
  });

  describe('subscriptions', () => {
    const secret = (name: 'subscriptionSecret' | 'originSecret') =>
      grants.resolve(synthesized.stateful[name].secretArn);

    it('subscribe and confirm: queue the request and count the source, and never mail', () => {
      expect(environmentOf(template, subscriptions().function)).toEqual({
        REPORT_TIME_ZONE: 'America/New_York',
        NODE_OPTIONS: '--enable-source-maps',
        SUBSCRIBERS_TABLE: tableName(subscribersTable),
        LIMITS_TABLE: tableName(limitsTable),
        CONFIRMATION_QUEUE_URL: grants.resolve(subscriptions().confirmationQueue.queue.queueUrl),
        SUBSCRIBE_SOURCE_LIMIT: '10',
        SUBSCRIPTION_SECRET_ARN: secret('subscriptionSecret'),
        ORIGIN_SECRET_ARN: secret('originSecret'),
      });
      expect(grants.ofFunction(subscriptions().function)).toEqual({
        'function log group': LOG_WRITE,
        Subscribers: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Limits: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        'confirmation queue': ['sqs:SendMessage'],
        'subscription secret': ['secretsmanager:GetSecretValue'],
        'origin secret': ['secretsmanager:GetSecretValue'],
      });
      grants.expectNoManagedPolicy(subscriptions().function.executionRole);
    });

    it('unsubscribe: only the subscribers and the two secrets', () => {
      expect(grants.ofFunction(subscriptions().unsubscribeFunction)).toEqual({
        'function log group': LOG_WRITE,
        Subscribers: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        'subscription secret': ['secretsmanager:GetSecretValue'],
        'origin secret': ['secretsmanager:GetSecretValue'],
      });
    });

    it('the confirmation worker: mails from its queue within the hourly budget', () => {
      expect(environmentOf(template, subscriptions().confirmationFunction)).toMatchObject({
        CONFIRMATION_HOURLY_BUDGET: '500',
        SITE_URL: grants.resolve(synthesized.stateless.site.url),
        MAIL_FROM: 'reports@example.org',
      });
      expect(grants.ofFunction(subscriptions().confirmationFunction)).toEqual({
        'function log group': LOG_WRITE,
        Subscribers: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Limits: ['dynamodb:UpdateItem'],
        'confirmation queue': [...SQS_CONSUME, 'sqs:SendMessage'].sort(),
        'subscription secret': ['secretsmanager:GetSecretValue'],
        'mail identity': ['ses:SendEmail'],
        'mail configuration set': ['ses:SendEmail'],
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: arnOf(subscriptions().confirmationQueue.queue),
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('the daily sweep: deletes through the pending index only, on a Scheduler rate', () => {
      expect(grants.ofFunction(subscriptions().sweepFunction)).toEqual({
        'function log group': LOG_WRITE,
        Subscribers: ['dynamodb:DeleteItem'],
        'Subscribers/index/byForgetAt': ['dynamodb:Query'],
      });
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 day)',
        Target: { Arn: arnOf(subscriptions().sweepFunction) },
      });
    });

    it('is served by its own HTTP API: $default, and unsubscribe on a route and throttle of its own', () => {
      const apiRef = JSON.stringify({ Ref: logicalId(subscriptions().api) });
      const ofApi = (type: string) =>
        Object.values(resourcesOf(template, type)).filter(
          (r) => JSON.stringify(r.Properties.ApiId) === apiRef,
        );

      expect(
        ofApi('AWS::ApiGatewayV2::Route')
          .map((r) => r.Properties.RouteKey)
          .sort(),
      ).toEqual(['$default', 'GET /subscriptions/unsubscribe', 'POST /subscriptions/unsubscribe']);
      expect(ofApi('AWS::ApiGatewayV2::Integration').map((r) => r.Properties.IntegrationUri)).toEqual(
        expect.arrayContaining([arnOf(subscriptions().function), arnOf(subscriptions().unsubscribeFunction)]),
      );
      expect(ofApi('AWS::ApiGatewayV2::Stage')[0]?.Properties).toMatchObject({
        StageName: '$default',
        DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 20 },
        RouteSettings: {
          'GET /subscriptions/unsubscribe': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 200 },
          'POST /subscriptions/unsubscribe': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 200 },
        },
        AccessLogSettings: { Format: expect.not.stringMatching(/header|querystring/i) },
      });
    });

    it('alarms before SES would review the account, and when confirmations are dropped', () => {
      for (const { metric, threshold } of Object.values(REPUTATION_ALARMS)) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SES',
          MetricName: metric,
          Threshold: threshold,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
      }
      expect(REPUTATION_ALARMS.bounce.threshold).toBeLessThan(0.05);
      expect(REPUTATION_ALARMS.complaint.threshold).toBeLessThan(0.001);
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        FilterPattern: '{ $.dropped = 1 }',
        MetricTransformations: [
          { MetricName: 'ConfirmationsDropped', MetricNamespace: 'ddor', MetricValue: '1' },
        ],
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ConfirmationsDropped' });
    });
  });

  describe('sending mail', () => {
    it('is allowed only from the configured address, through the domain identity and configuration set', () => {
      for (const fn of senders()) {
        const ses = grants
          .statementsOf(fn.executionRole)
          .filter((statement) => actionsOf(statement).some((action) => action === 'ses:SendEmail'));

        expect(ses).toEqual([
          {
            Effect: 'Allow',
            Action: 'ses:SendEmail',
            // Both, in whatever order the policy minimizer put them, and nothing else.
            Resource: expect.toSatisfy(
              (resources: unknown) =>
                Array.isArray(resources) &&
                resources.length === 2 &&
                [
                  grants.resolve(synthesized.stateful.mailIdentity.emailIdentityArn),
                  grants.resolve(mailer().configurationSetArn),
                ].every((arn) => resources.some((r) => JSON.stringify(r) === JSON.stringify(arn))),
            ),
            Condition: { StringEquals: { 'ses:FromAddress': 'reports@example.org' } },
          },
        ]);
      }
    });

    it('names the identity and configuration set by ARN in this account and region', () => {
      expect(grants.resolve(mailer().configurationSetArn)).toEqual({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':ses:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':configuration-set/',
            { Ref: logicalId(mailer().configurationSet) },
          ],
        ],
      });
      expect(JSON.stringify(grants.resolve(synthesized.stateful.mailIdentity.emailIdentityArn))).toContain(
        ':identity/',
      );
    });

    it('is granted to no other function', () => {
      const others = synthesized.app.node
        .findAll()
        .filter((c): c is AppFunction => c instanceof AppFunction && !senders().includes(c));
      expect(others.length).toBeGreaterThan(0);
      for (const fn of others) {
        const actions = grants.statementsOf(fn.executionRole).flatMap(actionsOf);
        expect(actions.filter((action) => action.startsWith('ses:'))).toEqual([]);
      }
    });
  });
});
