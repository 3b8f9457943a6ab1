import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logicalId, resourcesOf, type Synthesized, synthesize } from './synthesize';

/** The dashboard of the weekly cycle (issue 13): every stage of the week, every alarm, every queue. */
describe('weekly cycle dashboard', () => {
  let synthesized: Synthesized;
  let template: Template;
  let body: string;

  beforeAll(() => {
    synthesized = synthesize();
    template = Template.fromStack(synthesized.stateless);
    const [dashboard] = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    // The body is a Fn::Join of literal JSON and tokens: its text, tokens as their JSON.
    body = JSON.stringify(dashboard?.Properties.DashboardBody);
  });
  afterAll(() => synthesized.cleanUp());

  it('is one dashboard, named by the stage', () => {
    const dashboards = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]?.Properties.DashboardName).toBe('ddor-dev-weekly-cycle');
  });

  it.each([
    'WeeksQueued',
    'EditionsPublished',
    'EditionsReissued',
    'PublicationFailures',
    'EditionMissing',
    'OldestOpenDisputeDays',
    'EmailsSent',
    'EmailsSkipped',
    'EmailsRejected',
    'EmailsThrottled',
    'SendingPaused',
    'DailyQuotaReached',
    'Bounces',
    'Complaints',
    'Reputation.BounceRate',
    'Reputation.ComplaintRate',
    'RecordsCreated',
    'RecordsConflict',
    'SubscriptionRequests',
    'SubscriptionRequestsLimited',
    'ApproximateAgeOfOldestMessage',
    'ApproximateNumberOfMessagesVisible',
  ])('graphs %s', (metric) => {
    expect(body).toContain(`\\"${metric}\\"`);
  });

  it('shows the state of every alarm of the stack', () => {
    for (const id of Object.keys(resourcesOf(template, 'AWS::CloudWatch::Alarm')))
      expect(body, id).toContain(`"${id}"`);
  });

  it("graphs each queue's dead letters", () => {
    const { publisher, mailer, subscriptions } = synthesized.stateless;
    for (const work of [publisher.queue, mailer.sendQueue, subscriptions.confirmationQueue])
      expect(body).toContain(logicalId(work.deadLetters.queue));
  });
});
