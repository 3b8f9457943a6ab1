import { describe, expect, it } from 'vitest';
import { parseMailEvent } from '#core/subscriptions/mail-events';
import { sesEventFor, simulatedEvents, simulatedOutcome } from '#local/ses-simulator';

const mail = {
  messageId: 'm-1',
  from: 'reports@ddor.local',
  destination: { to: ['bounce+x@simulator.amazonses.com'] },
  subject: 'Confirm',
  at: 1_700_000_000,
};

describe('SES events', () => {
  it('suppresses the recipients of a permanent bounce', () => {
    const event = {
      eventType: 'Bounce',
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [
          { emailAddress: 'Reader@Example.org' },
          { emailAddress: 'Other <o@example.org>' },
        ],
      },
      mail: {},
    };
    expect(parseMailEvent(JSON.stringify(event))).toEqual({
      ok: true,
      type: 'Bounce',
      suppressions: [
        { address: 'Reader@Example.org', reason: 'bounce' },
        { address: 'o@example.org', reason: 'bounce' },
      ],
    });
  });

  it('ignores transient and undetermined bounces, deliveries and opens', () => {
    for (const bounceType of ['Transient', 'Undetermined']) {
      const event = {
        eventType: 'Bounce',
        bounce: { bounceType, bouncedRecipients: [{ emailAddress: 'a@b.org' }] },
      };
      expect(parseMailEvent(JSON.stringify(event))).toMatchObject({ ok: true, suppressions: [] });
    }
    expect(parseMailEvent(JSON.stringify({ eventType: 'Delivery', delivery: {} }))).toMatchObject({
      ok: true,
      suppressions: [],
    });
  });

  it('suppresses complainers, from configuration-set events and identity notifications alike', () => {
    for (const field of ['eventType', 'notificationType']) {
      const event = {
        [field]: 'Complaint',
        complaint: { complainedRecipients: [{ emailAddress: 'c@example.org' }] },
      };
      expect(parseMailEvent(JSON.stringify(event))).toEqual({
        ok: true,
        type: 'Complaint',
        suppressions: [{ address: 'c@example.org', reason: 'complaint' }],
      });
    }
  });

  it('reports, without throwing, a message that is not an SES event', () => {
    expect(parseMailEvent('not json')).toMatchObject({ ok: false });
    expect(parseMailEvent('{"hello": 1}')).toMatchObject({ ok: false });
    expect(parseMailEvent('{"eventType": "Bounce"}')).toMatchObject({ ok: false });
  });
});

describe('the local SES mailbox simulator', () => {
  it('knows the simulator addresses, with or without a label', () => {
    expect(simulatedOutcome('bounce@simulator.amazonses.com')).toBe('bounce');
    expect(simulatedOutcome('Complaint+t7@Simulator.AmazonSES.com')).toBe('complaint');
    expect(simulatedOutcome('suppressionlist@simulator.amazonses.com')).toBe('suppressionlist');
    expect(simulatedOutcome('success@simulator.amazonses.com')).toBeUndefined();
    expect(simulatedOutcome('bounce@example.org')).toBeUndefined();
  });

  it('wraps the SES event in an SNS notification that the mail-events parser reads', () => {
    const [send, event, ...more] = simulatedEvents(mail, { 'ddor-edition': ['2017-03-04_r1'] });
    expect(more).toEqual([]);
    expect(parseMailEvent(send?.Records[0]?.Sns.Message ?? '')).toMatchObject({
      ok: true,
      type: 'Send',
      send: { messageId: mail.messageId, tags: { 'ddor-edition': ['2017-03-04_r1'] } },
    });
    const record = event?.Records[0];
    expect(record?.EventSource).toBe('aws:sns');
    expect(record?.Sns.Type).toBe('Notification');
    expect(parseMailEvent(record?.Sns.Message ?? '')).toEqual({
      ok: true,
      type: 'Bounce',
      suppressions: [{ address: 'bounce+x@simulator.amazonses.com', reason: 'bounce' }],
    });
  });

  it('describes the original message as SES does', () => {
    const event = sesEventFor(mail, 'complaint', ['bounce+x@simulator.amazonses.com']);
    expect(event).toMatchObject({
      eventType: 'Complaint',
      complaint: { complainedRecipients: [{ emailAddress: 'bounce+x@simulator.amazonses.com' }] },
      mail: {
        messageId: 'm-1',
        source: 'reports@ddor.local',
        destination: ['bounce+x@simulator.amazonses.com'],
      },
    });
  });

  it('produces only the Send event for ordinary recipients', () => {
    const events = simulatedEvents({ ...mail, destination: { to: ['reader@example.org'] } });
    expect(events.map((event) => parseMailEvent(event.Records[0]?.Sns.Message ?? ''))).toMatchObject([
      { ok: true, type: 'Send', suppressions: [] },
    ]);
  });
});
