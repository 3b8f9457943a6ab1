import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppFunction } from '#lib/constructs/function';
import { logicalId, resourcesOf, type Synthesized, synthesize } from './synthesize';

/** Alarms that reach a person (issue 13): every alarm has the topic as its action. */
describe('alarms', () => {
  let synthesized: Synthesized;
  let template: Template;

  beforeAll(() => {
    synthesized = synthesize({ alarmEmail: 'Ops@Example.org' });
    template = Template.fromStack(synthesized.stateless);
  });
  afterAll(() => synthesized.cleanUp());

  function alarms() {
    return Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
  }
  const topic = () => ({ Ref: logicalId(synthesized.stateless.alarms.topic) });

  it('each tell the alarm topic when they fire and when they clear', () => {
    expect(alarms().length).toBeGreaterThan(20);
    for (const alarm of alarms()) {
      expect(alarm.AlarmActions, String(alarm.AlarmDescription)).toEqual([topic()]);
      expect(alarm.OKActions, String(alarm.AlarmDescription)).toEqual([topic()]);
      expect(String(alarm.AlarmDescription).length).toBeGreaterThan(20);
    }
  });

  it('reach the alarmEmail address through an encrypted, TLS-only topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.org',
      TopicArn: topic(),
    });
    const [topicResource] = Object.values(resourcesOf(template, 'AWS::SNS::Topic')).filter(
      (resource) => resource.Properties.DisplayName === 'ddor alarms',
    );
    expect(topicResource?.Properties.KmsMasterKeyId).toBeDefined();
  });

  it('watch every function for errors and throttles', () => {
    const functions = synthesized.app.node
      .findAll()
      .filter((c): c is AppFunction => c instanceof AppFunction);
    for (const fn of functions) {
      const ref = { Ref: logicalId(fn) };
      const on = (metric: string) =>
        alarms().filter(
          (alarm) =>
            alarm.MetricName === metric &&
            JSON.stringify(alarm.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: ref }]),
        );
      expect(on('Errors'), `${fn.node.path} errors`).toHaveLength(1);
      expect(on('Throttles'), `${fn.node.path} throttles`).toHaveLength(1);
    }
  });

  it('watch both APIs for 5xx and the work queues for messages that wait too long', () => {
    const serverErrors = alarms().filter((alarm) => alarm.MetricName === '5xx');
    expect(serverErrors).toHaveLength(2);
    const ages = alarms().filter((alarm) => alarm.MetricName === 'ApproximateAgeOfOldestMessage');
    expect(ages.map((alarm) => alarm.Threshold).sort()).toEqual([1800, 3600]);
  });

  it('hear of a missing edition, a dispute waiting 7 days and SES pausing the account, from the product’s metrics', () => {
    for (const [metric, threshold] of [
      ['EditionMissing', 1],
      ['OldestOpenDisputeDays', 7],
      ['SendingPaused', 1],
      ['PublicationFailures', 1],
      ['SendBatchFailures', 1],
      ['ConfirmationFailures', 1],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'ddor',
        MetricName: metric,
        Dimensions: [{ Name: 'service', Value: 'ddor' }],
        Threshold: threshold,
      });
    }
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      Target: { Arn: { 'Fn::GetAtt': [logicalId(synthesized.stateless.monitor.function), 'Arn'] } },
    });
  });
});
