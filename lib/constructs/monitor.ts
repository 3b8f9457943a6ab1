import { Duration } from 'aws-cdk-lib';
import { type Alarm, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE } from '#adapters/observability';
import { disputesTable, editionsTable } from '#adapters/table-definitions';
import { FUNCTIONS } from '#config/runtime';
import { HEALTH_METRICS, PUBLISH_GRACE_HOURS, REVIEW_WINDOW_HOURS } from '#core/operations/health';
import { METRICS } from '#core/operations/metrics';
import type { DataTables } from '#lib/stateful-stack';
import { schedulerRoleFor } from './acknowledgements';
import { AppFunction } from './function';
import { alarmAtLeast, functionErrorsAlarm } from './queues';

export interface MonitorProps {
  readonly tables: DataTables;
  readonly reportTimeZone: string;
  readonly logRetention: RetentionDays;
}

/** A metric the functions publish in the embedded metric format (lambdas/adapters/observability.ts). */
export function productMetric(name: string, statistic: string, period: Duration): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: SERVICE },
    statistic,
    period,
  });
}

/** A dispute open longer than this is an alarm: the jurisdiction named is waiting for an answer. */
export const DISPUTE_ALARM_DAYS = 7;

/** A draft waiting this long for its editors is an alarm: under `window` it would have published long ago. */
export const DRAFT_ALARM_HOURS = 24;

/**
 * What a person must hear about the weekly cycle besides failures (issue 13): an hourly monitor
 * publishes whether the edition the last run was due to publish is missing (once the review window
 * and two hours more have passed, from the one schedule definition) and the age of the oldest open
 * dispute; alarms watch those and the sender's report that SES paused the account's sending.
 */
export class Monitor extends Construct {
  readonly function: AppFunction;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: MonitorProps) {
    super(scope, id);
    this.function = new AppFunction(this, 'Function', {
      settings: FUNCTIONS.monitor,
      description: 'Monitor: is the edition due by now published, how old is the oldest open dispute',
      reportTimeZone: props.reportTimeZone,
      logRetention: props.logRetention,
    })
      // One Query of the due week's revisions, one of the drafts under review (`_review`).
      .bindTableAccess(props.tables.get(editionsTable), { table: ['Query'] })
      // The oldest open dispute, from the status index.
      .bindTableAccess(props.tables.get(disputesTable), { indexes: { byStatus: ['Query'] } });

    const role = schedulerRoleFor(this, 'ScheduleRole', this.function, 'monitor');
    new Schedule(this, 'Schedule', {
      description: 'Operations monitor, hourly',
      schedule: ScheduleExpression.rate(Duration.hours(1)),
      target: new LambdaInvoke(this.function, { role, retryAttempts: 2 }),
    });

    const hour = Duration.hours(1);
    this.alarms = [
      functionErrorsAlarm(
        this,
        'FunctionErrors',
        this.function,
        'The monitor failed: the checks below are blind until it runs again.',
      ),
      alarmAtLeast(
        this,
        'EditionMissing',
        productMetric(HEALTH_METRICS.editionMissing, 'Maximum', hour),
        `No edition of the week due was published by the weekly run's time plus the ${REVIEW_WINDOW_HOURS}-hour review window plus ${PUBLISH_GRACE_HOURS} hours: look at the publish queue, its dead letters and the publisher's logs.`,
      ),
      alarmAtLeast(
        this,
        'DisputeWaiting',
        productMetric(HEALTH_METRICS.oldestOpenDisputeDays, 'Maximum', hour),
        `A dispute has been open for ${DISPUTE_ALARM_DAYS} days: the jurisdiction is waiting for an answer (GET /disputes?status=open).`,
        DISPUTE_ALARM_DAYS,
      ),
      alarmAtLeast(
        this,
        'DraftWaiting',
        productMetric(HEALTH_METRICS.oldestDraftHours, 'Maximum', hour),
        `A draft has waited ${DRAFT_ALARM_HOURS} hours for its editors (held, or awaiting an approval under REVIEW_MODE=required): npm run review, then approve or publish it.`,
        DRAFT_ALARM_HOURS,
      ),
      // Failures a handler catches and reports as batch item failures never raise Lambda's Errors.
      ...(
        [
          [
            METRICS.publicationFailures,
            'A week failed to publish (the publisher caught it; SQS retries it).',
          ],
          [
            METRICS.sendBatchFailures,
            'A batch of edition mail failed (the sender caught it; SQS retries it).',
          ],
          [
            METRICS.confirmationFailures,
            'A confirmation failed to send (the worker caught it; SQS retries it).',
          ],
        ] as const
      ).map(([metric, description]) =>
        alarmAtLeast(this, metric, productMetric(metric, 'Sum', Duration.minutes(5)), description),
      ),
      alarmAtLeast(
        this,
        METRICS.sendingPaused,
        productMetric(METRICS.sendingPaused, 'Sum', Duration.minutes(15)),
        'SES says sending is paused for the account: edition mail waits, every reader keeps their place. Look at the account’s reputation in the SES console and ask AWS to resume sending.',
      ),
    ];
  }
}
