import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  PeriodOverride,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { HEALTH_METRICS } from '#core/operations/health';
import { METRICS, RECORD_METRICS } from '#core/operations/metrics';
import { REPUTATION_ALARMS } from './mailer';
import { productMetric } from './monitor';
import type { WorkQueue } from './queues';

export interface WeeklyCycleDashboardProps {
  readonly dashboardName: string;
  /** The weekly report, publisher and sender, in the order the week flows through them. */
  readonly report: IFunction;
  readonly publisher: IFunction;
  readonly sender: IFunction;
  readonly intake: { readonly function: IFunction; readonly api: HttpApi };
  readonly subscriptions: { readonly api: HttpApi };
  /** By the name status and redrive use (publish, send, confirmations). */
  readonly queues: Readonly<Record<string, WorkQueue>>;
  /** Every alarm of the stack, shown as one status grid at the top. */
  readonly alarms: readonly Alarm[];
}

const HOUR = Duration.hours(1);
const sum = (name: string, label: string): IMetric => productMetric(name, 'Sum', HOUR).with({ label });

/**
 * One page for the weekly cycle (issue 13), read top to bottom as the week flows: what is alarming
 * now; the run and its publications; the send, its rate and what SES says back; the intake and
 * the subscription endpoints; and every queue with its dead letters. A week of hourly points, so
 * Monday's run and the send after it are on screen with the week's intake before them.
 */
export class WeeklyCycleDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: WeeklyCycleDashboardProps) {
    super(scope, id);
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) =>
      new GraphWidget({ title, left, right, width: 12, height: 6, period: HOUR });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(7),
      periodOverride: PeriodOverride.INHERIT,
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# The weekly cycle\nIntake through the week → the Monday run queues each week → the publisher writes the site and queues the email → the sender mails each reader once. `npm run status` says the same from the command line.',
        width: 24,
        height: 2,
      }),
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 4 }),
    );
    this.dashboard.addWidgets(
      graph(
        'Weekly run and publications',
        [
          sum(METRICS.weeksQueued, 'weeks queued'),
          sum(METRICS.editionsPublished, 'published'),
          sum(METRICS.editionsReissued, 're-issued'),
          sum(METRICS.editionsUnchanged, 'unchanged'),
        ],
        [
          sum(METRICS.publicationFailures, 'publication failures'),
          props.report.metricErrors({ label: 'run errors' }),
        ],
      ),
      graph(
        'Is the week published? Disputes waiting',
        [
          productMetric(HEALTH_METRICS.editionMissing, 'Maximum', HOUR).with({
            label: 'edition missing (1 = yes)',
          }),
        ],
        [
          productMetric(HEALTH_METRICS.oldestOpenDisputeDays, 'Maximum', HOUR).with({
            label: 'oldest open dispute (days)',
          }),
        ],
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Email sent',
        [
          sum(METRICS.emailsSent, 'sent'),
          sum(METRICS.emailsSkipped, 'skipped'),
          sum(METRICS.emailsRejected, 'refused by SES'),
          sum(METRICS.emailsUnknown, 'answer lost (reconciled)'),
        ],
        [
          sum(METRICS.emailsThrottled, 'throttled batches'),
          sum(METRICS.dailyQuotaReached, 'at the daily quota'),
          sum(METRICS.sendingPaused, 'sending paused'),
          sum(METRICS.sendBatchFailures, 'batch failures'),
        ],
      ),
      graph(
        'What SES says back',
        [sum(METRICS.bounces, 'bounces'), sum(METRICS.complaints, 'complaints')],
        Object.values(REPUTATION_ALARMS).map(
          ({ metric }) =>
            new Metric({ namespace: 'AWS/SES', metricName: metric, statistic: 'Maximum', period: HOUR }),
        ),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Intake: records written',
        Object.entries(RECORD_METRICS).map(([result, metric]) => sum(metric, result)),
        [
          props.intake.api.metricServerError({ period: HOUR, statistic: 'Sum', label: 'API 5xx' }),
          props.intake.api.metricClientError({ period: HOUR, statistic: 'Sum', label: 'API 4xx' }),
        ],
      ),
      graph(
        'Subscriptions',
        [
          sum(METRICS.subscriptionRequests, 'requests'),
          sum(METRICS.subscriptionRequestsLimited, 'answered 429'),
          sum(METRICS.confirmationFailures, 'confirmation failures'),
        ],
        [props.subscriptions.api.metricServerError({ period: HOUR, statistic: 'Sum', label: 'API 5xx' })],
      ),
    );
    const queues = Object.entries(props.queues);
    this.dashboard.addWidgets(
      graph(
        'Queues: oldest message (s)',
        queues.map(([name, work]) =>
          work.queue.metricApproximateAgeOfOldestMessage({ period: HOUR, statistic: 'Maximum', label: name }),
        ),
      ),
      graph(
        'Dead-lettered messages (npm run redrive)',
        queues.map(([name, work]) =>
          work.deadLetters.queue.metricApproximateNumberOfMessagesVisible({
            period: HOUR,
            statistic: 'Maximum',
            label: name,
          }),
        ),
        [
          props.publisher.metricDuration({ period: HOUR, statistic: 'Maximum', label: 'publisher duration' }),
          props.sender.metricDuration({ period: HOUR, statistic: 'Maximum', label: 'sender duration' }),
        ],
      ),
    );
  }
}
