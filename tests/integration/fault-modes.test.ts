import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetAccountCommand, SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '#local/faults';
import { syntheticRecord } from '../support/api';
import { useLocalStack } from '../support/local-stack';

/**
 * The local stack's fault modes (contract §1): what AWS does on a bad day, made on purpose so
 * the tests of what it reveals can run. Each is seen here through the SDK, as a function sees it.
 */
const stack = useLocalStack();
const county = { id: 'XQFM0101', name: 'Synthetic Faultline County Sheriff’s Office', state: 'NV' };

afterEach(() => {
  Object.assign(stack().faults, NO_FAULTS);
});

async function declinesOfWeek(week: string): Promise<string[]> {
  const client = new DynamoDBClient({});
  try {
    const out = await client.send(
      new QueryCommand({
        TableName: stack().tables.OUTCOMES_TABLE,
        IndexName: 'byDeclinedWeek',
        KeyConditionExpression: 'declinedWeek = :w',
        ExpressionAttributeValues: { ':w': { S: week } },
      }),
    );
    return (out.Items ?? []).map((item) => item.detainerId?.S ?? '').sort();
  } finally {
    client.destroy();
  }
}

async function record(id: string, day: string): Promise<void> {
  const response = await stack().api(`/outcomes/${id}`, {
    method: 'PUT',
    body: syntheticRecord({ jurisdiction: county, issuedOn: day, declinedOn: day, learnedOn: day }),
  });
  expect(response.status).toBe(201);
}

describe('index lag', () => {
  it('shows a write to an index query only once the lag has passed', async () => {
    await record('FAULT-OLD', '2017-05-06');
    expect(await declinesOfWeek('2017-05-06')).toEqual(['FAULT-OLD']);
    stack().faults.indexLagMs = 1500;
    await record('FAULT-NEW', '2017-05-06');
    expect(await declinesOfWeek('2017-05-06')).toEqual(['FAULT-OLD']);
    await new Promise((resolve) => setTimeout(resolve, 1700));
    expect(await declinesOfWeek('2017-05-06')).toEqual(['FAULT-NEW', 'FAULT-OLD']);
  });

  it('keeps showing a moved item where it was until the lag has passed', async () => {
    await record('FAULT-MOVE', '2017-05-13');
    stack().faults.indexLagMs = 1500;
    // Its decline moves a week later: the index still lists it under the first week for a while.
    const response = await stack().api('/outcomes/FAULT-MOVE', {
      method: 'PUT',
      body: syntheticRecord({
        jurisdiction: county,
        issuedOn: '2017-05-13',
        declinedOn: '2017-05-20',
        learnedOn: '2017-05-20',
      }),
    });
    expect(response.status).toBe(200);
    expect(await declinesOfWeek('2017-05-13')).toEqual(['FAULT-MOVE']);
    expect(await declinesOfWeek('2017-05-20')).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1700));
    expect(await declinesOfWeek('2017-05-13')).toEqual([]);
    expect(await declinesOfWeek('2017-05-20')).toEqual(['FAULT-MOVE']);
  });
});

describe('SES faults', () => {
  const account = async () => {
    const client = new SESv2Client({ maxAttempts: 1 });
    try {
      return await client.send(new GetAccountCommand({}));
    } finally {
      client.destroy();
    }
  };
  const send = async () => {
    const client = new SESv2Client({ maxAttempts: 1 });
    const started = Date.now();
    try {
      await client.send(
        new SendEmailCommand({
          FromEmailAddress: 'reports@example.org',
          Destination: { ToAddresses: ['fault-reader@example.org'] },
          Content: { Simple: { Subject: { Data: 'synthetic' }, Body: { Text: { Data: 'synthetic' } } } },
        }),
      );
      return { ok: true as const, ms: Date.now() - started };
    } finally {
      client.destroy();
    }
  };

  it('throttles, refuses at the daily quota and when sending is paused, as SES answers each', async () => {
    await expect(send()).resolves.toMatchObject({ ok: true });
    stack().faults.sesRefusal = 'throttling';
    await expect(send()).rejects.toMatchObject({
      name: 'TooManyRequestsException',
      message: 'Maximum sending rate exceeded.',
    });
    stack().faults.sesRefusal = 'paused';
    await expect(send()).rejects.toMatchObject({ name: 'SendingPausedException' });
    await expect(account()).resolves.toMatchObject({ SendingEnabled: false });
  });

  it('keeps a 24-hour quota: counts accepted sends, refuses past it, and reports it in GetAccount', async () => {
    stack().faults.sesQuota = { max24HourSend: 2, sent: 0 };
    await expect(account()).resolves.toMatchObject({
      SendingEnabled: true,
      SendQuota: { Max24HourSend: 2, SentLast24Hours: 0 },
    });
    await expect(send()).resolves.toMatchObject({ ok: true });
    await expect(send()).resolves.toMatchObject({ ok: true });
    await expect(send()).rejects.toMatchObject({
      name: 'TooManyRequestsException',
      message: 'Daily message quota exceeded.',
    });
    await expect(account()).resolves.toMatchObject({ SendQuota: { Max24HourSend: 2, SentLast24Hours: 2 } });
    // The rolling 24 hours pass.
    stack().faults.sesQuota = { max24HourSend: 2, sent: 0 };
    await expect(send()).resolves.toMatchObject({ ok: true });
  });

  it('answers slowly', async () => {
    stack().faults.sesDelayMs = 600;
    const { ms } = await send();
    expect(ms).toBeGreaterThanOrEqual(600);
  });

  it('refuses a sender that is not a verified identity, as the SES sandbox does', async () => {
    const client = new SESv2Client({ maxAttempts: 1 });
    try {
      await expect(
        client.send(
          new SendEmailCommand({
            FromEmailAddress: 'someone@elsewhere.example',
            Destination: { ToAddresses: ['fault-reader@example.org'] },
            Content: { Simple: { Subject: { Data: 'x' }, Body: { Text: { Data: 'x' } } } },
          }),
        ),
      ).rejects.toMatchObject({ name: 'MessageRejected' });
    } finally {
      client.destroy();
    }
  });
});
