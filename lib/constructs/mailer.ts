import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  ConfigurationSet,
  EmailSendingEvent,
  EventDestination,
  type IEmailIdentity,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { EMAIL_KEY_PATTERN } from '#adapters/edition-data';
import { sendLedgerTable, subscribersTable } from '#adapters/table-definitions';
import { FUNCTIONS, QUEUES } from '#config/runtime';
import type { MailConfig } from '#lib/config';
import type { DataTables } from '#lib/stateful-stack';
import { AppFunction } from './function';
import { DeadLetterQueue, functionErrorsAlarm, oldestMessageAlarm, WorkQueue } from './queues';
import { topicKey } from './topic-key';

/**
 * The send function's timeout (`FUNCTIONS.send`). A message holds at most 50 recipients: at 1 a
 * second (the SES sandbox) that is 50 s, so 3 minutes leaves room for throttling back-off. The
 * queue's visibility is six times this, which is also how long a batch that stayed throttled
 * waits to be retried.
 */
export const SEND_TIMEOUT = Duration.seconds(FUNCTIONS.send.timeoutSeconds);

export interface MailerProps {
  readonly tables: DataTables;
  readonly reportTimeZone: string;
  readonly logRetention: RetentionDays;
  readonly mail: MailConfig;
  /** The verified SES domain identity of `mail.domain`. */
  readonly identity: IEmailIdentity;
  /** Holds each edition's rendered mail under `editions/`. */
  readonly dataBucket: IBucket;
  /** The HMAC key of unsubscribe links. */
  readonly subscriptionSecret: ISecret;
}

/**
 * SES reviews an account at a 5 % bounce rate or a 0.1 % complaint rate, and may pause its sending
 * at 10 % or 0.5 %: each alarm fires at four fifths of the review level, while there is still time
 * to act (a flood of subscriptions to harvested addresses would show here first).
 */
export const REPUTATION_ALARMS = {
  bounce: { metric: 'Reputation.BounceRate', threshold: 0.04, review: 0.05 },
  complaint: { metric: 'Reputation.ComplaintRate', threshold: 0.0008, review: 0.001 },
} as const;

function reputationAlarms(scope: Construct): Alarm[] {
  return Object.entries(REPUTATION_ALARMS).map(
    ([name, { metric, threshold, review }]) =>
      new Alarm(scope, `${name === 'bounce' ? 'Bounce' : 'Complaint'}Rate`, {
        metric: new Metric({
          namespace: 'AWS/SES',
          metricName: metric,
          statistic: 'Maximum',
          period: Duration.hours(1),
        }),
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: `The account's ${name} rate reached ${threshold * 100} % (SES reviews the account at ${review * 100} %): look at recent subscriptions and sends before SES pauses sending.`,
      }),
  );
}

/**
 * Edition mail and what comes back from it. The publisher puts recipient batches on the send
 * queue; the send function mails each recipient once (the send ledger records each send before
 * and after the SES call) at its share of the configured rate. SES sends every message through
 * one configuration set, whose bounce and complaint events reach the mail-events function through
 * an encrypted SNS topic and suppress the address for good.
 */
export class Mailer extends Construct {
  readonly configurationSet: ConfigurationSet;
  /** `arn:…:ses:…:configuration-set/<name>`: SES v2 SendEmail authorizes on it too. */
  readonly configurationSetArn: string;
  /** Bounce and complaint events from SES. */
  readonly eventsTopic: Topic;
  readonly eventsFunction: AppFunction;
  /** Failed bounce and complaint deliveries, after Lambda's retries. */
  readonly failedEvents: DeadLetterQueue;
  readonly sendQueue: WorkQueue;
  readonly sendFunction: AppFunction;
  readonly alarms: readonly Alarm[];

  private readonly from: string;
  private readonly identityArn: string;

  constructor(scope: Construct, id: string, props: MailerProps) {
    super(scope, id);
    const { tables, mail } = props;
    this.from = mail.from;
    this.identityArn = props.identity.emailIdentityArn;

    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      // Never mail an address the account's suppression list holds, even if our table missed it.
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      reputationMetrics: true,
    });
    this.configurationSetArn = Stack.of(this).formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
    });

    // SES uses it only on behalf of this account's configuration set (confused deputy).
    const eventsKey = topicKey(
      this,
      'EventsKey',
      'Encrypts SES bounce and complaint events (they carry subscribers’ addresses)',
      'ses.amazonaws.com',
      {
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        ArnLike: { 'aws:SourceArn': this.configurationSetArn },
      },
    );
    this.eventsTopic = new Topic(this, 'Events', {
      displayName: 'SES bounces and complaints',
      masterKey: eventsKey,
      enforceSSL: true,
    });
    this.configurationSet.addEventDestination('BouncesAndComplaints', {
      destination: EventDestination.snsTopic(this.eventsTopic),
      // SEND: a send whose answer never came is reconciled from it (contract §5).
      events: [EmailSendingEvent.SEND, EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });

    this.failedEvents = new DeadLetterQueue(this, 'FailedEvents', {
      alarmDescription:
        'A bounce or complaint could not be recorded after every retry: the address may still be mailed. Redrive or suppress it by hand.',
      notRedriveTargetReason:
        'The failure destination of the mail-events function’s asynchronous invocations: a terminal queue that an operator inspects and redrives.',
    });
    this.eventsFunction = new AppFunction(this, 'EventsFunction', {
      settings: FUNCTIONS.mailEvents,
      description:
        'Mail events: suppresses addresses that bounce for good or complain; reconciles unknown sends',
      reportTimeZone: props.reportTimeZone,
      logRetention: props.logRetention,
    })
      // Reads the subscriber and writes it back conditionally (a put on the version read).
      .bindTableAccess(tables.get(subscribersTable), { table: ['GetItem', 'PutItem'] })
      // Records a send event for a send the sender left unknown (a conditional update only).
      .bindTableAccess(tables.get(sendLedgerTable), { table: ['UpdateItem'] });
    this.eventsFunction.configureAsyncInvoke({ onFailure: this.failedEvents.asFailureDestination() });
    this.eventsTopic.addSubscription(new LambdaSubscription(this.eventsFunction));

    this.sendQueue = new WorkQueue(this, 'SendQueue', {
      visibilityTimeout: Duration.seconds(QUEUES.send.visibilityTimeoutSeconds),
      maxReceiveCount: QUEUES.send.maxReceiveCount,
      deadLetterAlarmDescription:
        'A batch of edition mail failed five times and was set aside: its recipients have not all been mailed. Look at the send function’s logs, then redrive.',
    });
    this.sendFunction = new AppFunction(this, 'SendFunction', {
      settings: FUNCTIONS.send,
      description: 'Sender: mails one batch of recipients an edition, once each, at its share of the rate',
      reportTimeZone: props.reportTimeZone,
      logRetention: props.logRetention,
    })
      // Claims, marks sent or skipped: conditional updates, and a read when a claim is refused.
      .bindTableAccess(tables.get(sendLedgerTable), { table: ['GetItem', 'UpdateItem'] })
      // The subscribers are re-read (one BatchGetItem a batch) before sending: the confirmed index may lag an unsubscribe.
      .bindTableAccess(tables.get(subscribersTable), { table: ['GetItem', 'BatchGetItem'] })
      .bindBucket('DATA_BUCKET', props.dataBucket, { objects: ['GetObject'], keys: EMAIL_KEY_PATTERN })
      // The rate for the whole queue and how many invocations share it: each takes rate / concurrency.
      // Its own queue: a batch SES throttles, or refuses at the daily quota or while sending is
      // paused, is queued again (delayed) with the readers not yet sent, using up no receive.
      .bind(
        'SEND_QUEUE_URL',
        this.sendQueue.queue.queueUrl,
        new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.sendQueue.queue.queueArn] }),
      )
      .bind('SEND_RATE_PER_SECOND', String(mail.sendRatePerSecond))
      .bind('SEND_CONCURRENCY', String(mail.sendConcurrency))
      .bind(
        'SUBSCRIPTION_SECRET_ARN',
        props.subscriptionSecret.secretArn,
        new PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [props.subscriptionSecret.secretArn],
        }),
      );
    this.grantSendEmail(this.sendFunction);
    // A batch that waited for the daily quota or a pause asks SES whether it may send now.
    // GetAccount has no resource to name: IAM takes only "*" for it.
    this.sendFunction.addToRolePolicy(new PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] }));
    Validations.of(this.sendFunction.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ses:GetAccount supports no resource-level permission: IAM takes only "*" for it. Every other statement of the sender names its resources (tests/infra asserts them).',
    });
    this.sendFunction.addEventSource(
      new SqsEventSource(this.sendQueue.queue, {
        batchSize: QUEUES.send.batchSize,
        reportBatchItemFailures: true,
        // The configured concurrency, which also divides the send rate among the containers.
        maxConcurrency: mail.sendConcurrency,
      }),
    );

    this.alarms = [
      ...reputationAlarms(this),
      // Deferred batches wait up to 15 minutes at a time (quota, pause): an hour is stuck.
      oldestMessageAlarm(
        this,
        'SendQueueAge',
        this.sendQueue.queue,
        60,
        'A batch of edition mail has waited an hour on the send queue: the sender is failing, paused by SES, at the daily quota or far behind.',
      ),
      this.sendQueue.deadLetters.alarm,
      this.failedEvents.alarm,
      functionErrorsAlarm(
        this,
        'SendErrors',
        this.sendFunction,
        'The send function failed; SQS retries the batch and the send ledger keeps each recipient to one message.',
      ),
      functionErrorsAlarm(
        this,
        'EventsErrors',
        this.eventsFunction,
        'The mail-events function failed to record a bounce or complaint; Lambda retries it.',
      ),
    ];
  }

  /**
   * Lets `fn` send mail as the product: `MAIL_FROM` and `MAIL_CONFIGURATION_SET`, and
   * `ses:SendEmail` on exactly the domain identity and the configuration set (SES v2 authorizes a
   * send on both), only with the configured From address.
   */
  grantSendEmail(fn: AppFunction): void {
    fn.bind(
      'MAIL_FROM',
      this.from,
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [this.identityArn, this.configurationSetArn],
        conditions: { StringEquals: { 'ses:FromAddress': this.from } },
      }),
    ).bind('MAIL_CONFIGURATION_SET', this.configurationSet.configurationSetName);
  }
}
