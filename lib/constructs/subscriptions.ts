import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  type CfnStage,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { FilterPattern, LogGroup, MetricFilter, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '#adapters/observability';
import { limitsTable, subscribersTable } from '#adapters/table-definitions';
import { FUNCTIONS, QUEUES } from '#config/runtime';
import { METRICS } from '#core/operations/metrics';
import { UNSUBSCRIBE_PATH } from '#core/subscriptions/links';
import { DEPLOYED_TIMING } from '#core/subscriptions/timing';
import type { DataTables } from '#lib/stateful-stack';
import { ACCESS_LOG_FORMAT, ACCESS_LOG_RETENTION } from './access-log-format';
import { schedulerRoleFor } from './acknowledgements';
import { AppFunction } from './function';
import type { Mailer } from './mailer';
import { alarmAtLeast, apiServerErrorsAlarm, functionErrorsAlarm, WorkQueue } from './queues';

export interface SubscriptionsProps {
  readonly tables: DataTables;
  readonly reportTimeZone: string;
  readonly logRetention: RetentionDays;
  /** The key of confirmation and unsubscribe links. */
  readonly subscriptionSecret: ISecret;
  /** The value CloudFront adds as `x-origin-verify`; the functions refuse requests without it. */
  readonly originSecret: ISecret;
  /** Sends the confirmation mail, as the product. */
  readonly mailer: Mailer;
  /** Subscribe and confirm requests per source per 600 s (contract §5). */
  readonly sourceLimit: number;
  /** Confirmation emails per hour (contract §5). */
  readonly hourlyBudget: number;
}

/**
 * Subscribe and confirm together: the per-source limit (10 in 600 s) is the real bound, and the
 * confirmation budget caps what all sources together can make the service mail. The stage
 * throttle only stops a flood from spending the account's Lambda concurrency.
 */
const THROTTLE = { rateLimit: 5, burstLimit: 20 } as const;
/**
 * Unsubscribes, on a route of their own: after an edition goes out, mail providers send one-click
 * POSTs in bursts, and no subscribe flood may make them fail (contract §5).
 */
const UNSUBSCRIBE_THROTTLE = { rateLimit: 50, burstLimit: 200 } as const;

/** The metric the confirmation worker's `dropped` log field feeds (a request waited over 24 hours). */
export const CONFIRMATIONS_DROPPED_METRIC = {
  namespace: METRICS_NAMESPACE,
  name: METRICS.confirmationsDropped,
} as const;

/**
 * The subscription flow (contract §5). The subscribe and confirm endpoints share one function
 * behind the HTTP API's `$default` route; the unsubscribe link has its own function and route,
 * with its own throttle. A subscribe request only queues: the confirmation worker mails from the
 * queue within the hourly budget. A daily sweep deletes mailboxes that never confirmed. The site's
 * CloudFront serves all of it under `/subscriptions*`, adding the origin secret header the
 * functions require, so the API's own URL answers nothing useful.
 */
export class Subscriptions extends Construct {
  readonly function: AppFunction;
  readonly unsubscribeFunction: AppFunction;
  readonly confirmationFunction: AppFunction;
  readonly sweepFunction: AppFunction;
  readonly confirmationQueue: WorkQueue;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  /** The API's host name, for CloudFront's origin. */
  readonly domainName: string;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: SubscriptionsProps) {
    super(scope, id);
    const common = { reportTimeZone: props.reportTimeZone, logRetention: props.logRetention };
    const readSecret = (secret: ISecret) =>
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] });
    const subscribers = props.tables.get(subscribersTable);
    const limits = props.tables.get(limitsTable);

    this.confirmationQueue = new WorkQueue(this, 'ConfirmationQueue', {
      visibilityTimeout: Duration.seconds(QUEUES.confirmations.visibilityTimeoutSeconds),
      maxReceiveCount: QUEUES.confirmations.maxReceiveCount,
      deadLetterAlarmDescription:
        'Confirmation emails failed five times and were set aside: those readers got no confirmation. Look at the confirmation function’s logs (SES errors), then redrive.',
    });
    const queueUrl = this.confirmationQueue.queue.queueUrl;
    const sendToQueue = new PolicyStatement({
      actions: ['sqs:SendMessage'],
      resources: [this.confirmationQueue.queue.queueArn],
    });

    this.function = new AppFunction(this, 'Function', {
      ...common,
      settings: FUNCTIONS.subscriptions,
      description: 'Subscriptions: subscribe (queues a confirmation) and confirm; counts each source',
    })
      // Confirm: reads the subscriber and writes it back conditionally (a put on the version read).
      .bindTableAccess(subscribers, { table: ['GetItem', 'PutItem'] })
      // The source windows: read and written back conditionally.
      .bindTableAccess(limits, { table: ['GetItem', 'PutItem'] })
      .bind(QUEUES.confirmations.envVar, queueUrl, sendToQueue)
      .bind('SUBSCRIBE_SOURCE_LIMIT', String(props.sourceLimit))
      .bind(
        'SUBSCRIPTION_SECRET_ARN',
        props.subscriptionSecret.secretArn,
        readSecret(props.subscriptionSecret),
      )
      .bind('ORIGIN_SECRET_ARN', props.originSecret.secretArn, readSecret(props.originSecret));

    this.unsubscribeFunction = new AppFunction(this, 'UnsubscribeFunction', {
      ...common,
      settings: FUNCTIONS.unsubscribe,
      description: 'Unsubscribe links: the page and the one-click POST (never throttled by subscribes)',
    })
      .bindTableAccess(subscribers, { table: ['GetItem', 'PutItem'] })
      .bind(
        'SUBSCRIPTION_SECRET_ARN',
        props.subscriptionSecret.secretArn,
        readSecret(props.subscriptionSecret),
      )
      .bind('ORIGIN_SECRET_ARN', props.originSecret.secretArn, readSecret(props.originSecret));

    this.confirmationFunction = new AppFunction(this, 'ConfirmationFunction', {
      ...common,
      settings: FUNCTIONS.confirmations,
      description:
        'Confirmations: mails each queued subscribe request at most once an hour, within the budget',
    })
      .bindTableAccess(subscribers, { table: ['GetItem', 'PutItem'] })
      // The hourly budget: one conditional ADD per confirmation.
      .bindTableAccess(limits, { table: ['UpdateItem'] })
      // Its own queue: a request over the budget waits there, delayed, for the next hour.
      .bind(QUEUES.confirmations.envVar, queueUrl, sendToQueue)
      .bind('CONFIRMATION_HOURLY_BUDGET', String(props.hourlyBudget))
      .bind(
        'SUBSCRIPTION_SECRET_ARN',
        props.subscriptionSecret.secretArn,
        readSecret(props.subscriptionSecret),
      );
    props.mailer.grantSendEmail(this.confirmationFunction);
    this.confirmationFunction.addEventSource(
      new SqsEventSource(this.confirmationQueue.queue, {
        batchSize: QUEUES.confirmations.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: QUEUES.confirmations.maxConcurrency,
      }),
    );

    this.sweepFunction = new AppFunction(this, 'SweepFunction', {
      ...common,
      settings: FUNCTIONS.subscriptionSweep,
      description: 'Daily sweep: deletes mailboxes that never confirmed, 30 days after their last request',
    }).bindTableAccess(subscribers, { table: ['DeleteItem'], indexes: { byForgetAt: ['Query'] } });
    const sweepRole = schedulerRoleFor(this, 'SweepScheduleRole', this.sweepFunction, 'sweep');
    // A missed day is made good by the next: the sweep deletes everything past its time.
    new Schedule(this, 'SweepSchedule', {
      description: 'Deletes forgotten (never confirmed) subscribers, daily',
      schedule: ScheduleExpression.rate(Duration.millis(DEPLOYED_TIMING.sweepIntervalMs)),
      target: new LambdaInvoke(this.sweepFunction, { role: sweepRole, retryAttempts: 2 }),
    });

    this.api = new HttpApi(this, 'Api', {
      description: 'Declined Detainer Outcome Report: subscriptions (served through the site only)',
      defaultIntegration: new HttpLambdaIntegration('Subscriptions', this.function),
      createDefaultStage: false,
    });
    const unsubscribeMethods = [HttpMethod.GET, HttpMethod.POST];
    this.api.addRoutes({
      path: UNSUBSCRIBE_PATH,
      methods: unsubscribeMethods,
      integration: new HttpLambdaIntegration('Unsubscribe', this.unsubscribeFunction),
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Public by design (contract section 5): anyone may subscribe, and confirming or unsubscribing is authorized by the sealed token in the link, which the function checks. Every function refuses a request without the origin secret CloudFront adds.',
    });

    // Retained with the stack's removal (the default), like the intake API's access logs.
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: ACCESS_LOG_RETENTION });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: THROTTLE,
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });
    (this.stage.node.defaultChild as CfnStage).routeSettings = Object.fromEntries(
      unsubscribeMethods.map((method) => [
        `${method} ${UNSUBSCRIBE_PATH}`,
        {
          ThrottlingRateLimit: UNSUBSCRIBE_THROTTLE.rateLimit,
          ThrottlingBurstLimit: UNSUBSCRIBE_THROTTLE.burstLimit,
        },
      ]),
    );
    const stack = Stack.of(this);
    this.domainName = `${this.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;

    const dropped = new MetricFilter(this, 'ConfirmationsDropped', {
      logGroup: this.confirmationFunction.logGroup,
      filterPattern: FilterPattern.numberValue('$.dropped', '=', 1),
      metricNamespace: CONFIRMATIONS_DROPPED_METRIC.namespace,
      metricName: CONFIRMATIONS_DROPPED_METRIC.name,
      metricValue: '1',
    });
    const errors = (id: string, fn: AppFunction, what: string) => functionErrorsAlarm(this, id, fn, what);
    this.alarms = [
      errors(
        'FunctionErrors',
        this.function,
        'The subscribe and confirm function failed: a reader got a 5xx.',
      ),
      errors(
        'UnsubscribeErrors',
        this.unsubscribeFunction,
        'The unsubscribe function failed: a reader could not unsubscribe.',
      ),
      errors(
        'ConfirmationErrors',
        this.confirmationFunction,
        'The confirmation worker failed; SQS retries, then dead-letters the request.',
      ),
      errors(
        'SweepErrors',
        this.sweepFunction,
        'The daily sweep of forgotten subscribers failed; the next day tries again.',
      ),
      apiServerErrorsAlarm(this, 'ServerErrors', this.api, 'The subscriptions API answered 5xx.'),
      this.confirmationQueue.deadLetters.alarm,
      alarmAtLeast(
        this,
        'ConfirmationsDroppedAlarm',
        dropped.metric({ period: Duration.hours(1), statistic: 'Sum' }),
        'Confirmation requests waited 24 hours for the hourly budget and were dropped: a subscription flood, or a budget too small for real sign-ups.',
      ),
    ];

    new CfnOutput(this, 'ApiUrl', {
      value: this.stage.url,
      description: 'The subscriptions API, direct: it refuses requests that do not come through the site',
    });
  }
}
