import { Duration, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { DestinationConfig, IDestination, IFunction } from 'aws-cdk-lib/aws-lambda';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Dead letters wait the longest SQS allows, so a holiday does not lose a failed edition. */
const DEAD_LETTER_RETENTION = Duration.days(14);

/** An SQS queue with SQS-managed encryption that refuses any request not made over TLS. */
function encryptedQueue(scope: Construct, id: string, props: ConstructorParameters<typeof Queue>[2]): Queue {
  return new Queue(scope, id, { ...props, encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true });
}

/** One alarm: `metric` at or over `threshold` in one five-minute period; no data is not a breach. */
export function alarmAtLeast(
  scope: Construct,
  id: string,
  metric: IMetric,
  description: string,
  threshold = 1,
): Alarm {
  return new Alarm(scope, id, {
    metric,
    threshold,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
    alarmDescription: description,
  });
}

/** Alarms as soon as a message waits in `queue`: for dead-letter queues, where any message is a failure. */
export function messagesWaitingAlarm(
  scope: Construct,
  id: string,
  queue: IQueue,
  description: string,
): Alarm {
  return alarmAtLeast(
    scope,
    id,
    queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    description,
  );
}

/** Alarms on any error of `fn` in five minutes. */
export function functionErrorsAlarm(scope: Construct, id: string, fn: IFunction, description: string): Alarm {
  return alarmAtLeast(
    scope,
    id,
    fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
    description,
  );
}

/** Alarms on any 5xx answer of an HTTP API in five minutes (a function failure or a timeout). */
export function apiServerErrorsAlarm(scope: Construct, id: string, api: HttpApi, description: string): Alarm {
  return alarmAtLeast(
    scope,
    id,
    api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
    description,
  );
}

/** Alarms when `fn` is throttled at all in five minutes (the account's concurrency, or its own). */
export function functionThrottlesAlarm(scope: Construct, id: string, fn: IFunction): Alarm {
  return alarmAtLeast(
    scope,
    id,
    fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
    `${fn.node.path} was throttled: invocations were refused for want of concurrency.`,
  );
}

/**
 * Alarms when the oldest message of `queue` has waited `minutes` or more: work is stuck (a
 * consumer failing, disabled or far behind).
 */
export function oldestMessageAlarm(
  scope: Construct,
  id: string,
  queue: IQueue,
  minutes: number,
  description: string,
): Alarm {
  return alarmAtLeast(
    scope,
    id,
    queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
    description,
    minutes * 60,
  );
}

export interface DeadLetterQueueProps {
  /** Who sends its dead letters and what a message in it means, for the alarm. */
  readonly alarmDescription: string;
  /**
   * Why it has no dead-letter queue of its own (cdk-nag SQS3), for a queue that receives failures
   * from a service rather than from another queue's redrive policy.
   * @default - it is some queue's redrive target, which the check recognises
   */
  readonly notRedriveTargetReason?: string;
}

/** A dead-letter queue (encrypted, TLS only, kept 14 days) with an alarm on its first message. */
export class DeadLetterQueue extends Construct {
  readonly queue: Queue;
  readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = encryptedQueue(this, 'Queue', { retentionPeriod: DEAD_LETTER_RETENTION });
    this.alarm = messagesWaitingAlarm(this, 'MessagesWaiting', this.queue, props.alarmDescription);
    if (props.notRedriveTargetReason !== undefined) {
      Validations.of(this.queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: props.notRedriveTargetReason,
      });
    }
  }

  /**
   * The queue as a Lambda asynchronous-invocation failure destination, granting the function
   * `sqs:SendMessage` on it and nothing else (the CDK destination grants queue reads too).
   */
  asFailureDestination(): IDestination {
    const queue = this.queue;
    return {
      bind(_scope: Construct, fn: IFunction): DestinationConfig {
        fn.addToRolePolicy(
          new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
        );
        return { destination: queue.queueArn };
      },
    };
  }
}

export interface WorkQueueProps {
  /**
   * How long a received message stays hidden: at least six times the consumer's timeout, as AWS
   * advises for Lambda event sources, so a retried batch is not handed out while still running.
   */
  readonly visibilityTimeout: Duration;
  /** Receives before a message goes to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** What a message in the dead-letter queue means, for its alarm. */
  readonly deadLetterAlarmDescription: string;
}

/** A work queue and its dead-letter queue: both encrypted and TLS only, the dead letters alarmed. */
export class WorkQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      alarmDescription: props.deadLetterAlarmDescription,
    });
    this.queue = encryptedQueue(this, 'Queue', {
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetters.queue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
