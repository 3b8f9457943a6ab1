import { Aspects, Stack, type StackProps } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IEmailIdentity } from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import { QUEUES } from '#config/runtime';
import type { AppConfig } from './config';
import { AlarmNotifications } from './constructs/alarm-notifications';
import { WeeklyCycleDashboard } from './constructs/dashboard';
import { AppFunction } from './constructs/function';
import { IntakeApi } from './constructs/intake-api';
import { Mailer } from './constructs/mailer';
import { Monitor } from './constructs/monitor';
import { Operator } from './constructs/operator';
import { editorEmailsValue, Publisher } from './constructs/publisher';
import { functionThrottlesAlarm } from './constructs/queues';
import { Site } from './constructs/site';
import { Subscriptions } from './constructs/subscriptions';
import { WeeklyReport } from './constructs/weekly-report';
import type { DataTables } from './stateful-stack';

/** What the stateless stack uses from the stateful one. */
export interface StatefulResources {
  readonly tables: DataTables;
  readonly siteBucket: IBucket;
  readonly dataBucket: IBucket;
  readonly subscriptionSecret: ISecret;
  readonly originSecret: ISecret;
  readonly mailIdentity: IEmailIdentity;
}

export interface StatelessStackProps extends StackProps {
  readonly config: AppConfig;
  /** The tables, buckets, secret and mail identity of the stateful stack. */
  readonly stateful: StatefulResources;
  /** The SSM parameter in us-east-1 where the edge stack leaves the site's web ACL ARN. */
  readonly webAclParameter: string;
}

/**
 * What can be replaced at will: functions, APIs, the schedule, queues, the mailer and the site's
 * distribution. It holds no data; everything it needs from the stateful stack comes in through
 * its props.
 *
 * The flow: the schedule runs the weekly report → the publish queue → the publisher (site bucket,
 * invalidation) → the send queue → the sender (SES). SES bounce and complaint events come back to
 * the mail-events function; subscriptions are served under the site's own domain.
 */
export class StatelessStack extends Stack {
  readonly intake: IntakeApi;
  readonly mailer: Mailer;
  readonly subscriptions: Subscriptions;
  readonly site: Site;
  readonly publisher: Publisher;
  readonly weeklyReport: WeeklyReport;
  readonly operator: Operator;
  readonly alarms: AlarmNotifications;
  readonly dashboard: WeeklyCycleDashboard;
  readonly monitor: Monitor;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    const { tables } = stateful;
    const common = { tables, reportTimeZone: config.reportTimeZone, logRetention: config.logRetention };

    this.intake = new IntakeApi(this, 'Intake', {
      ...common,
      rateLimit: config.throttling.rateLimit,
      burstLimit: config.throttling.burstLimit,
    });

    this.mailer = new Mailer(this, 'Mailer', {
      ...common,
      mail: config.mail,
      identity: stateful.mailIdentity,
      dataBucket: stateful.dataBucket,
      subscriptionSecret: stateful.subscriptionSecret,
    });

    this.subscriptions = new Subscriptions(this, 'Subscriptions', {
      ...common,
      subscriptionSecret: stateful.subscriptionSecret,
      originSecret: stateful.originSecret,
      mailer: this.mailer,
      sourceLimit: config.subscriptions.sourceLimit,
      hourlyBudget: config.subscriptions.hourlyBudget,
    });

    this.site = new Site(this, 'Site', {
      siteBucket: stateful.siteBucket,
      subscriptionsDomainName: this.subscriptions.domainName,
      originSecret: stateful.originSecret,
      webAclParameter: props.webAclParameter,
    });
    // Links in mail and pages point at the site, which exists only once its origins do.
    this.subscriptions.confirmationFunction.bind('SITE_URL', this.site.url);
    this.mailer.sendFunction.bind('SITE_URL', this.site.url);

    // One value for both: the publisher emails each run's drafts, the intake each dispute opened.
    const editorEmails = editorEmailsValue(this, config);
    this.publisher = new Publisher(this, 'Publisher', {
      ...common,
      siteBucket: stateful.siteBucket,
      dataBucket: stateful.dataBucket,
      distribution: this.site.distribution,
      siteUrl: this.site.url,
      apiUrl: this.intake.url,
      contactLine: config.contactLine,
      sendQueue: this.mailer.sendQueue.queue,
      review: config.review,
      editorEmails,
    });

    // The editors' email of each run (contract §3), from the product's own address.
    this.mailer.grantSendEmail(this.publisher.function);
    if (editorEmails !== undefined)
      this.intake.emailEditors(editorEmails, (fn) => this.mailer.grantSendEmail(fn));
    this.intake.serveDrafts({
      siteUrl: this.site.url,
      dataBucket: stateful.dataBucket,
      publishQueue: this.publisher.queue.queue,
    });

    this.weeklyReport = new WeeklyReport(this, 'WeeklyReport', {
      ...common,
      publishQueue: this.publisher.queue.queue,
    });

    this.monitor = new Monitor(this, 'Monitor', common);

    // Every function: throttled at all is an alarm (its errors are alarmed by its construct).
    for (const fn of this.node.findAll().filter((node): node is AppFunction => node instanceof AppFunction)) {
      functionThrottlesAlarm(fn, 'Throttles', fn);
    }
    // One page of the weekly cycle, with every alarm of the stack at its top.
    this.dashboard = new WeeklyCycleDashboard(this, 'Dashboard', {
      dashboardName: `ddor-${config.stage}-weekly-cycle`,
      report: this.weeklyReport.function,
      publisher: this.publisher.function,
      sender: this.mailer.sendFunction,
      intake: this.intake,
      subscriptions: this.subscriptions,
      queues: {
        publish: this.publisher.queue,
        send: this.mailer.sendQueue,
        confirmations: this.subscriptions.confirmationQueue,
      },
      alarms: this.node.findAll().filter((node): node is Alarm => node instanceof Alarm),
    });
    // Last: every alarm of the stack, whichever construct made it, reaches a person.
    this.alarms = new AlarmNotifications(this, 'Alarms', {
      ...(config.alarmEmail === undefined ? {} : { email: config.alarmEmail }),
    });
    Aspects.of(this).add(this.alarms.notifyEveryAlarm());

    this.operator = new Operator(this, 'Operator', {
      tables,
      publisher: this.publisher.function,
      weeklyReport: this.weeklyReport.function,
      publishQueue: this.publisher.queue.queue,
      workQueues: [
        { envVar: QUEUES.publish.envVar, work: this.publisher.queue },
        { envVar: QUEUES.send.envVar, work: this.mailer.sendQueue },
        { envVar: QUEUES.confirmations.envVar, work: this.subscriptions.confirmationQueue },
      ],
      // What a preview reads as the publisher does, and the links status prints.
      environment: {
        REPORT_TIME_ZONE: config.reportTimeZone,
        SITE_URL: this.site.url,
        API_URL: this.intake.url,
        SITE_BUCKET: stateful.siteBucket.bucketName,
        DATA_BUCKET: stateful.dataBucket.bucketName,
      },
    });
  }
}
