import { Duration, TimeZone } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { editionsTable } from '#adapters/table-definitions';
import { FUNCTIONS } from '#config/runtime';
import { awsCronFields, scheduleFor } from '#config/schedule';
import type { DataTables } from '#lib/stateful-stack';
import { schedulerRoleFor } from './acknowledgements';
import { AppFunction } from './function';
import { DeadLetterQueue, functionErrorsAlarm } from './queues';

export interface WeeklyReportProps {
  readonly tables: DataTables;
  /** The report's IANA time zone: the schedule runs in it and the function's "today" is in it. */
  readonly reportTimeZone: string;
  readonly logRetention: RetentionDays;
  /** Where the function puts one message per week to publish. */
  readonly publishQueue: IQueue;
}

/** Scheduler and Lambda each retry twice; past this age a missed run waits for an operator. */
const MAX_EVENT_AGE = Duration.hours(6);
const RETRY_ATTEMPTS = 2;

/**
 * The weekly run: EventBridge Scheduler invokes the report function at the time of the one
 * schedule definition (`lambdas/config/schedule.ts`), in the report's time zone, with the time it
 * was scheduled for, so a retried or redriven run still picks the week it was meant for. The
 * function decides which weeks to publish (the latest complete week and those marked for
 * re-issue) and enqueues one publish message per week.
 *
 * A run that never reaches the function (Scheduler gave up) or fails after Lambda's own retries
 * lands in the failed-runs queue; both that and any function error raise an alarm.
 */
export class WeeklyReport extends Construct {
  readonly function: AppFunction;
  readonly schedule: Schedule;
  /** The role Scheduler assumes to invoke the function and write dead letters. */
  readonly scheduleRole: Role;
  /** Failed runs: Scheduler's dead letters and Lambda's failed asynchronous invocations. */
  readonly failedRuns: DeadLetterQueue;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: WeeklyReportProps) {
    super(scope, id);

    this.failedRuns = new DeadLetterQueue(this, 'FailedRuns', {
      alarmDescription:
        'A weekly report run failed after every retry (Scheduler could not invoke the function, or it failed three times): no edition was queued for that run.',
      notRedriveTargetReason:
        'The dead-letter queue of the weekly schedule and of the report function’s asynchronous invocations: a terminal queue that an operator inspects and redrives.',
    });

    this.function = new AppFunction(this, 'Function', {
      settings: FUNCTIONS.report,
      description: 'Weekly report: queues the latest complete week and the weeks marked for re-issue',
      reportTimeZone: props.reportTimeZone,
      logRetention: props.logRetention,
    })
      // Reads the re-issue marks (a Query of the control partition) and the published weeks (the
      // archive index); turns the "every week" mark into a mark per week (PutItem), then deletes it.
      .bindTableAccess(props.tables.get(editionsTable), {
        table: ['Query', 'PutItem', 'DeleteItem'],
        indexes: { archive: ['Query'] },
      })
      .bind(
        'PUBLISH_QUEUE_URL',
        props.publishQueue.queueUrl,
        new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.publishQueue.queueArn] }),
      );
    this.function.configureAsyncInvoke({
      retryAttempts: RETRY_ATTEMPTS,
      maxEventAge: MAX_EVENT_AGE,
      onFailure: this.failedRuns.asFailureDestination(),
    });

    this.scheduleRole = schedulerRoleFor(this, 'ScheduleRole', this.function, 'report');

    const schedule = scheduleFor(props.reportTimeZone);
    this.schedule = new Schedule(this, 'Schedule', {
      description: `Weekly report: ${schedule.weekday} ${String(schedule.hour).padStart(2, '0')}:${String(schedule.minute).padStart(2, '0')} ${schedule.timeZone}`,
      schedule: ScheduleExpression.cron({
        ...awsCronFields(schedule),
        timeZone: TimeZone.of(schedule.timeZone),
      }),
      target: new LambdaInvoke(this.function, {
        role: this.scheduleRole,
        input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime }),
        retryAttempts: RETRY_ATTEMPTS,
        maxEventAge: MAX_EVENT_AGE,
        deadLetterQueue: this.failedRuns.queue,
      }),
    });

    this.alarms = [
      this.failedRuns.alarm,
      functionErrorsAlarm(
        this,
        'FunctionErrors',
        this.function,
        'The weekly report function failed; Lambda retries it, and the failed-runs queue alarms if every retry fails.',
      ),
    ];
  }
}
