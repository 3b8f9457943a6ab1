import { type IAspect, Stack } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';
import { topicKey } from './topic-key';

export interface AlarmNotificationsProps {
  /** Who is told: an email subscription (it must be confirmed from the first message). */
  readonly email?: string;
}

/**
 * Where every alarm goes (issue 13): one encrypted, TLS-only SNS topic with an email
 * subscription from context `alarmEmail`. CloudWatch can publish to an encrypted topic only with
 * a customer managed key whose policy lets it (the AWS managed SNS key's cannot be changed).
 */
export class AlarmNotifications extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlarmNotificationsProps) {
    super(scope, id);
    const key = topicKey(this, 'Key', 'Encrypts alarm notifications', 'cloudwatch.amazonaws.com', {
      StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
    });
    this.topic = new Topic(this, 'Topic', {
      displayName: 'ddor alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.email !== undefined) this.topic.addSubscription(new EmailSubscription(props.email));
  }

  /** An aspect that gives every alarm of a scope this topic as its alarm and OK action. */
  notifyEveryAlarm(): IAspect {
    const action = new SnsAction(this.topic);
    return {
      visit(node: IConstruct): void {
        if (node instanceof Alarm) {
          node.addAlarmAction(action);
          node.addOkAction(action);
        }
      },
    };
  }
}
