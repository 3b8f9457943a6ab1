import { CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PREVIEW_KEY_PATTERN } from '#adapters/edition-data';
import {
  clientsTable,
  disputesTable,
  editionsTable,
  historyTable,
  jurisdictionHistoryTable,
  jurisdictionsTable,
  outcomesTable,
} from '#adapters/table-definitions';
import { FUNCTIONS } from '#config/runtime';
import { METRICS } from '#core/operations/metrics';
import type { DataTables } from '#lib/stateful-stack';
import { ACCESS_LOG_FORMAT, ACCESS_LOG_RETENTION } from './access-log-format';
import { AppFunction } from './function';
import { productMetric } from './monitor';
import { alarmAtLeast, apiServerErrorsAlarm, functionErrorsAlarm } from './queues';

export interface IntakeApiProps {
  readonly tables: DataTables;
  /** The report's IANA time zone (a defaulted `learnedOn` is "today" there). */
  readonly reportTimeZone: string;
  /** Steady-state requests per second for the whole stage; over it the gateway answers 429. */
  readonly rateLimit: number;
  /** Requests the stage absorbs in a burst above `rateLimit`. */
  readonly burstLimit: number;
  /** How long the function's and the access logs are kept. */
  readonly logRetention: RetentionDays;
}

/**
 * The intake API: one function behind an HTTP API whose only route is `$default`, so every path,
 * and every unmatched one, gets the function's own answer (contract section 2). The function
 * checks the bearer token itself; the gateway adds only stage throttling and access logs.
 */
export class IntakeApi extends Construct {
  readonly function: AppFunction;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly alarms: readonly Alarm[];
  /** The API's base URL, ending in `/`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: IntakeApiProps) {
    super(scope, id);
    const { tables } = props;

    this.function = new AppFunction(this, 'Function', {
      settings: FUNCTIONS.intake,
      description: 'Intake API: outcomes, jurisdictions, disputes and clients',
      reportTimeZone: props.reportTimeZone,
      logRetention: props.logRetention,
    })
      .bindTable(
        tables.get(outcomesTable),
        ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'Query'],
        ['byRef'],
      )
      .bindTable(tables.get(historyTable), ['GetItem', 'PutItem', 'Query'])
      .bindTable(tables.get(jurisdictionsTable), ['GetItem', 'PutItem', 'UpdateItem'])
      // Each PUT's change, one item per revision (deterministic: a repeat is harmless); read back
      // by GET /jurisdictions/{id}, which answers the history (one partition).
      .bindTableAccess(tables.get(jurisdictionHistoryTable), { table: ['PutItem', 'Query'] })
      .bindTable(tables.get(disputesTable), ['GetItem', 'PutItem', 'UpdateItem', 'Query'])
      // Token lookups, creating and revoking clients; listing them is a small Scan of this table only.
      .bindTable(tables.get(clientsTable), ['GetItem', 'PutItem', 'UpdateItem', 'Scan'])
      // Marks the weeks a change touched for re-issue (never reading or removing one; a batch's
      // marks go together in BatchWriteItem calls), and reads and writes back the drafts under
      // review (`_review` items, conditional on their version).
      .bindTableAccess(tables.get(editionsTable), { table: ['GetItem', 'PutItem', 'BatchWriteItem'] });

    this.api = new HttpApi(this, 'Api', {
      description: 'Declined Detainer Outcome Report: intake API',
      defaultIntegration: new HttpLambdaIntegration('Intake', this.function),
      // The stage is declared below, with throttling and access logs.
      createDefaultStage: false,
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'The function authenticates each bearer token (a middleware): the contract needs 401 with its own error body, which an HTTP API authorizer (403 {"message":"Forbidden"}) cannot give.',
    });

    // Retained with the stack's removal (the default): the record of who called the API.
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: ACCESS_LOG_RETENTION });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });
    this.url = this.stage.url;

    this.alarms = [
      functionErrorsAlarm(
        this,
        'FunctionErrors',
        this.function,
        'The intake function failed (an unhandled error or a timeout): a client got a 5xx.',
      ),
      apiServerErrorsAlarm(this, 'ServerErrors', this.api, 'The intake API answered 5xx.'),
    ];

    new CfnOutput(this, 'Url', { value: this.url, description: 'The intake API base URL' });
  }

  /**
   * The editors' desk (contract §3): draft pages link the site, their files are read from the
   * data bucket (the drafts' keys only, no list: the publisher writes them before a draft names
   * them), and an approval queues the week on the publisher's queue. Bound once the site and
   * the publisher exist.
   */
  /**
   * The editors are emailed each dispute as it is opened (contract §2): their addresses and a
   * send grant (`grantSendEmail`, the mailer's). A failed send is counted, and alarmed at once.
   */
  emailEditors(editorEmails: string, grantSendEmail: (fn: AppFunction) => void): void {
    this.function.bind('EDITOR_EMAILS', editorEmails);
    grantSendEmail(this.function);
    alarmAtLeast(
      this,
      'DisputeNoticeFailures',
      productMetric(METRICS.disputeNoticeFailures, 'Sum', Duration.minutes(5)),
      'The editors were not emailed about a dispute that was opened (SES refused or timed out): read GET /disputes; the intake function’s logs name the dispute.',
    );
  }

  serveDrafts(props: { siteUrl: string; dataBucket: IBucket; publishQueue: IQueue }): void {
    this.function
      .bind('SITE_URL', props.siteUrl)
      .bindBucket('DATA_BUCKET', props.dataBucket, { objects: ['GetObject'], keys: PREVIEW_KEY_PATTERN })
      .bind(
        'PUBLISH_QUEUE_URL',
        props.publishQueue.queueUrl,
        new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.publishQueue.queueArn] }),
      );
  }
}
