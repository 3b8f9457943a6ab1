import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchEntryIdsNotDistinct,
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  EmptyBatchRequest,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  InvalidAttributeName,
  InvalidAttributeValue,
  ListQueuesCommand,
  MessageNotInflight,
  PurgeQueueCommand,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  TooManyEntriesInBatchRequest,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsServer, startSqsServer } from '#local/sqs/server';

function clientFor(server: SqsServer): SQSClient {
  return new SQSClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // A retried call would hide what the server answered the first time.
    maxAttempts: 1,
  });
}

let server: SqsServer;
let sqs: SQSClient;
let queues = 0;

/** A new queue per test, so tests can run side by side. */
async function createQueue(attributes: Record<string, string> = {}): Promise<{ name: string; url: string }> {
  queues += 1;
  const name = `test-${queues}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return { name, url: QueueUrl ?? '' };
}

async function counts(url: string): Promise<Record<string, string | undefined>> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    visible: Attributes?.ApproximateNumberOfMessages,
    inFlight: Attributes?.ApproximateNumberOfMessagesNotVisible,
    delayed: Attributes?.ApproximateNumberOfMessagesDelayed,
  };
}

beforeAll(async () => {
  server = await startSqsServer();
  sqs = clientFor(server);
});
afterAll(async () => {
  sqs.destroy();
  await server.close();
});

describe('SQS server: queues', () => {
  it('creates a queue once, finds it by name, and lists queues by prefix', async () => {
    const { name, url } = await createQueue({ VisibilityTimeout: '45' });
    expect(url).toBe(`http://127.0.0.1:${server.port}/000000000000/${name}`);
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl).toBe(url);

    const again = await sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '45' } }),
    );
    expect(again.QueueUrl).toBe(url);
    await expect(
      sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '10' } })),
    ).rejects.toBeInstanceOf(QueueNameExists);

    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: name }));
    expect(listed.QueueUrls).toEqual([url]);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
    );
    expect(Attributes).toMatchObject({
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
      VisibilityTimeout: '45',
      MessageRetentionPeriod: '345600',
      ApproximateNumberOfMessages: '0',
    });
  });

  it('validates attributes, and SetQueueAttributes changes them', async () => {
    const { url } = await createQueue();
    await expect(
      sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '-1' } })),
    ).rejects.toBeInstanceOf(InvalidAttributeValue);
    await expect(
      sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Nonsense' as 'All'] })),
    ).rejects.toBeInstanceOf(InvalidAttributeName);
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '7' } }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout'] }),
    );
    expect(Attributes).toEqual({ VisibilityTimeout: '7' });
  });

  it('purges and deletes queues', async () => {
    const { name, url } = await createQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'gone soon' }));
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect(await counts(url)).toEqual({ visible: '0', inFlight: '0', delayed: '0' });

    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: name }))).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );
  });

  it('raises the SDK exception classes with the status codes SQS uses', async () => {
    const { url } = await createQueue();
    const missing = sqs.send(new SendMessageCommand({ QueueUrl: `${url}-missing`, MessageBody: 'x' }));
    await expect(missing).rejects.toBeInstanceOf(QueueDoesNotExist);
    await expect(missing).rejects.toMatchObject({
      $metadata: { httpStatusCode: 400 },
      message: 'The specified queue does not exist.',
    });

    const badHandle = sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'not-a-handle' }));
    await expect(badHandle).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
    await expect(badHandle).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });

    // Not modelled by the SDK: a generic SQSServiceException carrying SQS's code as its name.
    await expect(
      sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
    await expect(sqs.send(new CreateQueueCommand({ QueueName: 'no spaces allowed' }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(
      sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: url,
          Attributes: {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:nowhere',
              maxReceiveCount: 3,
            }),
          },
        }),
      ),
    ).rejects.toThrow(/Dead letter target does not exist/);
  });
});

describe('SQS server: messages', () => {
  it('sends, receives and deletes a message with its attributes and checksums', async () => {
    const { url } = await createQueue();
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: '{"week":"2025-W01"}',
        MessageAttributes: {
          // The digest SQS gives this attribute (pinned by moto's tests).
          timestamp: { DataType: 'Number', StringValue: '1493147359900' },
        },
      }),
    );
    expect(sent.MD5OfMessageAttributes).toBe('235c5c510d26fb653d073faed50ae77c');
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'second',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'digest' },
          raw: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 255]) },
        },
      }),
    );

    const before = Date.now();
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    expect(Messages.map((message) => message.Body)).toEqual(['{"week":"2025-W01"}', 'second']);
    const [first, second] = Messages;
    expect(first?.MessageId).toBe(sent.MessageId);
    expect(first?.MD5OfBody).toBe(sent.MD5OfMessageBody);
    expect(first?.MD5OfMessageAttributes).toBe('235c5c510d26fb653d073faed50ae77c');
    expect(first?.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: expect.any(String) });
    expect(Math.abs(Number(first?.Attributes?.SentTimestamp) - before)).toBeLessThan(5_000);
    expect(second?.MessageAttributes?.kind).toEqual({ DataType: 'String', StringValue: 'digest' });
    expect([...(second?.MessageAttributes?.raw?.BinaryValue ?? [])]).toEqual([0, 1, 255]);
    expect(await counts(url)).toEqual({ visible: '0', inFlight: '2', delayed: '0' });

    for (const message of Messages) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
    }
    expect(await counts(url)).toEqual({ visible: '0', inFlight: '0', delayed: '0' });
  });

  it('returns only the attributes asked for', async () => {
    const { url } = await createQueue();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'x',
        MessageAttributes: {
          'mail.kind': { DataType: 'String', StringValue: 'digest' },
          other: { DataType: 'String', StringValue: 'y' },
        },
      }),
    );
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        MessageAttributeNames: ['mail.*'],
      }),
    );
    expect(Messages[0]?.Attributes).toEqual({ ApproximateReceiveCount: '1' });
    expect(Object.keys(Messages[0]?.MessageAttributes ?? {})).toEqual(['mail.kind']);
  });

  it('receives at most MaxNumberOfMessages, oldest first', async () => {
    const { url } = await createQueue();
    for (const start of [0, 10]) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: Array.from({ length: start === 0 ? 10 : 2 }, (_, index) => ({
            Id: `m${start + index}`,
            MessageBody: `message ${start + index}`,
          })),
        }),
      );
    }
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(first.Messages?.map((message) => message.Body)).toEqual(
      Array.from({ length: 10 }, (_, index) => `message ${index}`),
    );
    const rest = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(rest.Messages?.map((message) => message.Body)).toEqual(['message 10', 'message 11']);
    const none = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(none.Messages).toBeUndefined();
  });

  it('reports each batch entry on its own and refuses malformed batches whole', async () => {
    const { url } = await createQueue({ MaximumMessageSize: '1024' });
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'small', MessageBody: 'fits' },
          { Id: 'large', MessageBody: 'x'.repeat(2_000) },
        ],
      }),
    );
    expect(sent.Successful?.map((entry) => entry.Id)).toEqual(['small']);
    expect(sent.Failed).toEqual([
      {
        Id: 'large',
        SenderFault: true,
        Code: 'InvalidParameterValue',
        Message: expect.stringMatching(/1024 bytes/),
      },
    ]);

    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    const changed = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'good', ReceiptHandle: Messages[0]?.ReceiptHandle, VisibilityTimeout: 60 },
          { Id: 'bad', ReceiptHandle: 'garbage', VisibilityTimeout: 60 },
        ],
      }),
    );
    expect(changed.Successful).toEqual([{ Id: 'good' }]);
    expect(changed.Failed).toMatchObject([{ Id: 'bad', SenderFault: true, Code: 'ReceiptHandleIsInvalid' }]);
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'good', ReceiptHandle: Messages[0]?.ReceiptHandle },
          { Id: 'bad', ReceiptHandle: 'garbage' },
        ],
      }),
    );
    expect(deleted.Successful).toEqual([{ Id: 'good' }]);
    expect(deleted.Failed).toMatchObject([{ Id: 'bad', Code: 'ReceiptHandleIsInvalid' }]);
    expect(await counts(url)).toEqual({ visible: '0', inFlight: '0', delayed: '0' });

    const entries = (count: number) =>
      Array.from({ length: count }, (_, index) => ({ Id: `e${index}`, MessageBody: 'x' }));
    await expect(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries(11) })),
    ).rejects.toBeInstanceOf(TooManyEntriesInBatchRequest);
    await expect(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [] })),
    ).rejects.toBeInstanceOf(EmptyBatchRequest);
    await expect(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'same', MessageBody: 'a' },
            { Id: 'same', MessageBody: 'b' },
          ],
        }),
      ),
    ).rejects.toBeInstanceOf(BatchEntryIdsNotDistinct);
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
    const dlq = await createQueue();
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.url, AttributeNames: ['QueueArn'] }),
    );
    const redrivePolicy = { deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 2 };
    const source = await createQueue({ RedrivePolicy: JSON.stringify(redrivePolicy) });
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: 'poison' }));

    // VisibilityTimeout 0 makes each receive count without waiting for a timeout.
    const receive = () =>
      sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: source.url,
          VisibilityTimeout: 0,
          MessageSystemAttributeNames: ['All'],
        }),
      );
    expect((await receive()).Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    const second = (await receive()).Messages?.[0];
    expect(second?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect((await receive()).Messages).toBeUndefined();

    const moved = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq.url, MessageSystemAttributeNames: ['All'] }),
    );
    expect(moved.Messages).toHaveLength(1);
    expect(moved.Messages?.[0]).toMatchObject({ MessageId: sent.MessageId, Body: 'poison' });
    expect(moved.Messages?.[0]?.Attributes).toMatchObject({
      SentTimestamp: second?.Attributes?.SentTimestamp,
      DeadLetterQueueSourceArn: `arn:aws:sqs:us-east-1:000000000000:${source.name}`,
    });
    expect(await counts(source.url)).toEqual({ visible: '0', inFlight: '0', delayed: '0' });
    const policy = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: source.url, AttributeNames: ['RedrivePolicy'] }),
    );
    expect(JSON.parse(policy.Attributes?.RedrivePolicy ?? '{}')).toEqual(redrivePolicy);
  });

  it('refuses visibility changes on stale handles and on messages not in flight', async () => {
    const { url } = await createQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    const first = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages?.[0];
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: first?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    await expect(
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: first?.ReceiptHandle,
          VisibilityTimeout: 5,
        }),
      ),
    ).rejects.toBeInstanceOf(MessageNotInflight);

    const second = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages?.[0];
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
    await expect(
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: first?.ReceiptHandle,
          VisibilityTimeout: 5,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: /Message does not exist or is not available/,
    });
  });
});

// Each waits on the clock, so they run side by side (each on its own queue).
describe.concurrent('SQS server: timing', () => {
  it('hides a received message for the visibility timeout, then gives it again with a new handle', async () => {
    const { url } = await createQueue({ VisibilityTimeout: '1' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
    const first = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages?.[0];
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();

    const second = (
      await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          WaitTimeSeconds: 3,
          MessageSystemAttributeNames: ['All'],
        }),
      )
    ).Messages?.[0];
    expect(second?.MessageId).toBe(first?.MessageId);
    expect(second?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);

    // As on SQS: a stale handle's delete succeeds but deletes nothing.
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first?.ReceiptHandle }));
    expect(await counts(url)).toMatchObject({ inFlight: '1' });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second?.ReceiptHandle }));
    expect(await counts(url)).toMatchObject({ visible: '0', inFlight: '0' });
  });

  it('answers a long poll as soon as a message arrives', async () => {
    const { url } = await createQueue();
    const started = Date.now();
    const waiting = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'arrived' }));
    const { Messages } = await waiting;
    expect(Messages?.[0]?.Body).toBe('arrived');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('waits the whole WaitTimeSeconds when nothing arrives, and sees delayed messages once due', async () => {
    const { url } = await createQueue();
    let started = Date.now();
    const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    expect(empty.Messages).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);

    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 1 }));
    expect(await counts(url)).toEqual({ visible: '0', inFlight: '0', delayed: '1' });
    started = Date.now();
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
    expect(Messages?.[0]?.Body).toBe('later');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('SQS server: lifecycle', () => {
  it('keeps queues and messages in dataDir across close and start', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ddor-sqs-'));
    try {
      const first = await startSqsServer({ dataDir });
      const client = clientFor(first);
      await client.send(new CreateQueueCommand({ QueueName: 'kept-dlq' }));
      const redrive = JSON.stringify({
        deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:kept-dlq',
        maxReceiveCount: 3,
      });
      const { QueueUrl } = await client.send(
        new CreateQueueCommand({ QueueName: 'kept', Attributes: { RedrivePolicy: redrive } }),
      );
      await client.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: [
            { Id: 'a', MessageBody: 'in flight at close' },
            {
              Id: 'b',
              MessageBody: 'waiting at close',
              MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
            },
          ],
        }),
      );
      await client.send(new ReceiveMessageCommand({ QueueUrl }));
      client.destroy();
      await first.close();
      expect(JSON.parse(await readFile(join(dataDir, 'queues.json'), 'utf8'))).toMatchObject({ version: 1 });

      const second = await startSqsServer({ dataDir });
      const again = clientFor(second);
      try {
        const url = (await again.send(new GetQueueUrlCommand({ QueueName: 'kept' }))).QueueUrl;
        const { Attributes } = await again.send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
              'RedrivePolicy',
            ],
          }),
        );
        expect(Attributes).toEqual({
          ApproximateNumberOfMessages: '1',
          ApproximateNumberOfMessagesNotVisible: '1',
          RedrivePolicy: redrive,
        });
        const { Messages } = await again.send(
          new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['All'] }),
        );
        expect(Messages?.[0]?.Body).toBe('waiting at close');
        expect(Messages?.[0]?.MessageAttributes?.k?.StringValue).toBe('v');
      } finally {
        again.destroy();
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps every message it acknowledged when the process is killed right after the answer', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ddor-sqs-kill-'));
    const root = join(import.meta.dirname, '..', '..');
    /** Starts the server in a child process (Node with tsx as a loader, so SIGKILL reaches it). */
    const startChild = () =>
      new Promise<{ child: ChildProcess; url: string }>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', join('tests', 'support', 'sqs-child.ts'), dataDir],
          {
            cwd: root,
            env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
            stdio: ['ignore', 'pipe', 'inherit'],
          },
        );
        let out = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const port = /port (\d+)/.exec(out)?.[1];
          if (port !== undefined) resolve({ child, url: `http://127.0.0.1:${port}` });
        });
        child.on('exit', (code) => reject(new Error(`sqs-child exited ${code} before listening`)));
      });
    const clientAt = (url: string) =>
      new SQSClient({
        endpoint: url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      });
    try {
      const first = await startChild();
      const client = clientAt(first.url);
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'killed' }));
      const bodies = Array.from({ length: 30 }, (_, i) => `job ${i}`);
      for (let i = 0; i < bodies.length; i += 10) {
        await client.send(
          new SendMessageBatchCommand({
            QueueUrl,
            Entries: bodies.slice(i, i + 10).map((body, n) => ({ Id: String(n), MessageBody: body })),
          }),
        );
      }
      // At once after the last answer: no close, no flush, no timer gets to run.
      first.child.kill('SIGKILL');
      await new Promise((resolve) => first.child.once('exit', resolve));
      client.destroy();

      const second = await startChild();
      const again = clientAt(second.url);
      try {
        const url = (await again.send(new GetQueueUrlCommand({ QueueName: 'killed' }))).QueueUrl;
        const received: string[] = [];
        for (let round = 0; round < 10 && received.length < bodies.length; round++) {
          const { Messages } = await again.send(
            new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
          );
          for (const message of Messages ?? []) received.push(message.Body ?? '');
        }
        expect(received.sort()).toEqual([...bodies].sort());
      } finally {
        again.destroy();
        second.child.kill('SIGKILL');
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('answers waiting long polls at close instead of holding it up', async () => {
    const own = await startSqsServer();
    const client = clientFor(own);
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'closing' }));
    const waiting = client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await own.close();
    expect((await waiting).Messages).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
    client.destroy();
  });
});
