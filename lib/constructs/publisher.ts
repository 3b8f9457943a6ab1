import { Duration } from 'aws-cdk-lib';
import type { Distribution } from 'aws-cdk-lib/aws-cloudfront';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
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
import { FUNCTIONS, QUEUES } from '#config/runtime';
import { type AppConfig, CONFIG_DEFAULTS } from '#lib/config';
import { type DataTables, EDITIONS_PREFIX } from '#lib/stateful-stack';
import { AppFunction } from './function';
import { functionErrorsAlarm, oldestMessageAlarm, WorkQueue } from './queues';

/** The dev stage's editors: fictional, so nobody real gets a draft (contract §1's local default). */
export const DEV_EDITOR_EMAILS = 'editors@example.org';

/**
 * EDITOR_EMAILS as the functions get it: the SSM parameter `editorEmails` names, resolved at
 * deploy time (a dynamic reference; the addresses are in no template), or in the dev stage its
 * fictional desk. Undefined outside dev without the parameter (review off): nobody is emailed,
 * rather than a placeholder address that would bounce.
 */
export function editorEmailsValue(
  scope: Construct,
  config: Pick<AppConfig, 'stage' | 'review'>,
): string | undefined {
  if (config.review.editorEmailsParameter !== undefined)
    return StringParameter.valueForStringParameter(scope, config.review.editorEmailsParameter);
  return config.stage === CONFIG_DEFAULTS.stage ? DEV_EDITOR_EMAILS : undefined;
}

export interface PublisherProps {
  readonly tables: DataTables;
  readonly reportTimeZone: string;
  readonly logRetention: RetentionDays;
  /** The hosted site's files. */
  readonly siteBucket: IBucket;
  /** Each edition's full data and rendered mail, under `editions/`. */
  readonly dataBucket: IBucket;
  /** The site's distribution: its URL goes in links, and a publication invalidates what it replaced. */
  readonly distribution: Distribution;
  /** `https://<distribution domain>`. */
  readonly siteUrl: string;
  /** The intake API's base URL: pages tell readers to file disputes there. */
  readonly apiUrl: string;
  /** The publisher's contact line (config `contactLine`), in every page and email. */
  readonly contactLine: string;
  /** Where recipient batches of an emailed edition go. */
  readonly sendQueue: IQueue;
  /** Editorial review (config `review`): the schedule's editions are drafts first unless `off`. */
  readonly review: AppConfig['review'];
  /** EDITOR_EMAILS (`editorEmails`): who gets each run's drafts; absent only when review is off. */
  readonly editorEmails: string | undefined;
}

/**
 * Publishing one week: the publish queue holds one message per week to publish (from the weekly
 * report, or a re-issue); the publish function assembles the edition, writes a new revision
 * when its own content changed, updates the site, invalidates the replaced paths and, for a
 * first revision that is to be emailed, queues the recipients in batches for the sender.
 */
export class Publisher extends Construct {
  readonly queue: WorkQueue;
  readonly function: AppFunction;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: PublisherProps) {
    super(scope, id);
    const { tables } = props;

    this.queue = new WorkQueue(this, 'Queue', {
      visibilityTimeout: Duration.seconds(QUEUES.publish.visibilityTimeoutSeconds),
      maxReceiveCount: QUEUES.publish.maxReceiveCount,
      deadLetterAlarmDescription:
        'A week failed to publish three times and was set aside: its edition is not (fully) published. Look at the publish function’s logs, then redrive.',
    });

    this.function = new AppFunction(this, 'Function', {
      settings: FUNCTIONS.publish,
      description: 'Publisher: assembles, publishes and (once) queues the mail of one week’s edition',
      reportTimeZone: props.reportTimeZone,
      logRetention: props.logRetention,
    })
      // The week's records come from the week indexes; single records by key.
      .bindTableAccess(tables.get(outcomesTable), {
        table: ['GetItem'],
        indexes: { byIssuedWeek: ['Query'], byDeclinedWeek: ['Query'] },
      })
      .bindTableAccess(tables.get(historyTable), { table: ['Query'] })
      // A re-issue's corrections log replays a jurisdiction's changes since the last revision.
      .bindTableAccess(tables.get(jurisdictionHistoryTable), { table: ['Query'] })
      .bindTableAccess(tables.get(jurisdictionsTable), {
        table: ['GetItem', 'BatchGetItem'],
        indexes: { byPolicy: ['Query'] },
      })
      // Open disputes, a live figure of the edition.
      .bindTableAccess(tables.get(disputesTable), { indexes: { byStatus: ['Query'] } })
      .bindTableAccess(tables.get(editionsTable), {
        table: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
        indexes: { archive: ['Query'] },
      })
      // The recipients of an emailed edition, page by page from the confirmed index only.
      .bindTableAccess(tables.get(subscribersTable), { indexes: { byConfirmedShard: ['Query'] } })
      // The fan-out's progress item (queueing, queued, totals), so a rerun resumes it; an
      // operator's rerun reads which readers the edition has settled (Query, one partition).
      .bindTableAccess(tables.get(sendLedgerTable), { table: ['GetItem', 'Query', 'UpdateItem'] })
      // `list`: the publisher reads earlier files, and a missing one must answer 404, not 403.
      .bindBucket('SITE_BUCKET', props.siteBucket, { objects: ['GetObject', 'PutObject'], list: true })
      .bindBucket('DATA_BUCKET', props.dataBucket, {
        objects: ['GetObject', 'PutObject'],
        keys: `${EDITIONS_PREFIX}*`,
        list: true,
      })
      .bind(
        'SEND_QUEUE_URL',
        props.sendQueue.queueUrl,
        new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.sendQueue.queueArn] }),
      )
      // Its own queue: the week to email is queued again, delayed, while the run's re-issues go first.
      .bind(
        'PUBLISH_QUEUE_URL',
        this.queue.queue.queueUrl,
        new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queue.queueArn] }),
      )
      .bind('SITE_URL', props.siteUrl)
      // Disputes go to the intake API, which keeps its own domain.
      .bind('API_URL', props.apiUrl)
      .bind('CONTACT_LINE', props.contactLine)
      .bind('REVIEW_MODE', props.review.mode)
      .bind('REVIEW_WINDOW_HOURS', String(props.review.windowHours))
      // The editors: resolved from SSM at deploy time (a dynamic reference, no secret), or the
      // dev stage's fictional desk; the publisher refuses to start under review without them.
      // Deployed data is real: never mark it synthetic (the demo sets this locally).
      .bind('SYNTHETIC_DATA', 'false')
      .bind(
        'DISTRIBUTION_ID',
        props.distribution.distributionId,
        new PolicyStatement({
          actions: ['cloudfront:CreateInvalidation'],
          resources: [props.distribution.distributionArn],
        }),
      );
    if (props.editorEmails !== undefined) this.function.bind('EDITOR_EMAILS', props.editorEmails);
    this.function.addEventSource(
      new SqsEventSource(this.queue.queue, {
        batchSize: QUEUES.publish.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: QUEUES.publish.maxConcurrency,
      }),
    );

    this.alarms = [
      this.queue.deadLetters.alarm,
      functionErrorsAlarm(
        this,
        'FunctionErrors',
        this.function,
        'The publish function failed; SQS retries the week, and its dead-letter queue alarms after three failures.',
      ),
      // A publication takes minutes; a week still queued after half an hour is stuck.
      oldestMessageAlarm(
        this,
        'QueueAge',
        this.queue.queue,
        30,
        'A week has waited 30 minutes on the publish queue: the publisher is failing, disabled or far behind.',
      ),
    ];
  }
}
