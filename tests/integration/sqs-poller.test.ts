import { createHash } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Poller, type PollerOptions, type SqsFunction, startPoller } from '#local/sqs/poller';
import { type SqsServer, startSqsServer } from '#local/sqs/server';

let server: SqsServer;
let sqs: SQSClient;
let queues = 0;
const pollers: Poller[] = [];

beforeAll(async () => {
  server = await startSqsServer();
  sqs = new SQSClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  await Promise.all(pollers.map((poller) => poller.stop()));
  sqs.destroy();
  await server.close();
});

/** A new queue per test (with a dead-letter queue when `maxReceiveCount` is given). */
async function createQueue(
  options: { visibilityTimeout?: number; maxReceiveCount?: number } = {},
): Promise<{ name: string; url: string; dlqUrl?: string }> {
  queues += 1;
  const name = `poller-${queues}`;
  const attributes: Record<string, string> = { VisibilityTimeout: String(options.visibilityTimeout ?? 30) };
  let dlqUrl: string | undefined;
  if (options.maxReceiveCount !== undefined) {
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl;
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${name}-dlq`,
      maxReceiveCount: options.maxReceiveCount,
    });
  }
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return { name, url: QueueUrl ?? '', ...(dlqUrl === undefined ? {} : { dlqUrl }) };
}

async function sendAll(url: string, bodies: readonly string[]): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies
          .slice(start, start + 10)
          .map((body, index) => ({ Id: `m${start + index}`, MessageBody: body })),
      }),
    );
  }
}

async function counts(url: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

// Generous: a deadline only bounds how long a failing test takes, and CI's 2 cores are shared.
async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const isEmpty = (url: string) => async () => {
  const { visible, inFlight } = await counts(url);
  return visible === 0 && inFlight === 0;
};

/** A poller stopped after the file even when a test fails midway. */
async function poll(options: Omit<PollerOptions, 'client'>): Promise<Poller> {
  const poller = await startPoller({ client: sqs, ...options });
  pollers.push(poller);
  return poller;
}

/** A function that records each event it is given. */
function recording(result?: (event: SQSEvent) => SQSBatchResponse | undefined) {
  const events: SQSEvent[] = [];
  const handler: SqsFunction = async (event) => {
    events.push(event);
    return result?.(event);
  };
  return {
    events,
    handler,
    bodies: () => events.flatMap((event) => event.Records.map((record) => record.body)),
  };
}

describe('SQS poller', () => {
  it('invokes the function with records in the Lambda SQSEvent shape and deletes the batch on success', async () => {
    const queue = await createQueue();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: '{"edition":"2025-W01"}',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'digest' } },
      }),
    );
    const contexts: string[] = [];
    const { events, handler } = recording();
    const poller = await poll({
      queueUrl: queue.url,
      functionName: 'send',
      handler: async (event, context) => {
        contexts.push(context.functionName);
        return handler(event, context);
      },
    });
    await waitFor(isEmpty(queue.url));
    await poller.stop();

    expect(contexts).toEqual(['send']);
    const record = events[0]?.Records[0];
    expect(record).toEqual({
      messageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      receiptHandle: expect.any(String),
      body: '{"edition":"2025-W01"}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SenderId: expect.any(String),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
      },
      messageAttributes: {
        kind: { stringValue: 'digest', stringListValues: [], binaryListValues: [], dataType: 'String' },
      },
      md5OfBody: createHash('md5').update('{"edition":"2025-W01"}').digest('hex'),
      md5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue.name}`,
      awsRegion: 'us-east-1',
    });
  });

  it('gives at most batchSize records per invocation', async () => {
    const queue = await createQueue();
    await sendAll(
      queue.url,
      Array.from({ length: 7 }, (_, index) => `m${index}`),
    );
    const { events, handler, bodies } = recording();
    const poller = await poll({ queueUrl: queue.url, handler, batchSize: 3 });
    await waitFor(() => bodies().length === 7);
    await poller.stop();
    expect(events.every((event) => event.Records.length <= 3)).toBe(true);
    expect(bodies().sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  });

  it('gathers messages sent apart into one batch within the batching window', async () => {
    const queue = await createQueue();
    const { events, handler } = recording();
    // A window far longer than the gap between the sends, so a stall on a busy machine cannot split them.
    const poller = await poll({ queueUrl: queue.url, handler, maxBatchingWindowMs: 1_500 });
    await sendAll(queue.url, ['first']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await sendAll(queue.url, ['second']);
    await waitFor(isEmpty(queue.url));
    await poller.stop();
    expect(events.map((event) => event.Records.map((record) => record.body))).toEqual([['first', 'second']]);
  });

  it('fails the whole batch when batchItemFailures names an unknown message, and ignores it when not reporting', async () => {
    const queue = await createQueue();
    await sendAll(queue.url, ['a', 'b']);
    const logged: string[] = [];
    const invalid = recording(() => ({ batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] }));
    const first = await poll({
      queueUrl: queue.url,
      handler: invalid.handler,
      logError: (message) => logged.push(message),
    });
    await waitFor(() => invalid.events.length === 1);
    await first.stop();
    expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 2 });
    expect(logged).toEqual([expect.stringMatching(/invalid batchItemFailures/)]);

    const other = await createQueue();
    await sendAll(other.url, ['a', 'b']);
    const ignored = recording((event) => ({
      batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })),
    }));
    const second = await poll({
      queueUrl: other.url,
      handler: ignored.handler,
      reportBatchItemFailures: false,
    });
    await waitFor(isEmpty(other.url));
    await second.stop();
  });

  it('runs at most maxConcurrency invocations at once', async () => {
    const queue = await createQueue();
    await sendAll(
      queue.url,
      Array.from({ length: 9 }, (_, index) => `m${index}`),
    );
    let running = 0;
    let most = 0;
    let handled = 0;
    const poller = await poll({
      queueUrl: queue.url,
      batchSize: 1,
      maxConcurrency: 3,
      handler: async () => {
        running += 1;
        most = Math.max(most, running);
        // Long enough that three receives overlap it even when polling is slowed by a busy machine.
        await new Promise((resolve) => setTimeout(resolve, 400));
        running -= 1;
        handled += 1;
      },
    });
    await waitFor(() => handled === 9);
    await poller.stop();
    expect(most).toBe(3);
  });

  it('stop() waits for invocations in flight, deletes their messages, and takes no more', async () => {
    const queue = await createQueue();
    const events: string[] = [];
    const poller = await poll({
      queueUrl: queue.url,
      handler: async () => {
        events.push('started');
        await new Promise((resolve) => setTimeout(resolve, 300));
        events.push('finished');
      },
    });
    await sendAll(queue.url, ['slow']);
    await waitFor(() => events.length === 1);
    expect(poller.inFlight).toBe(1);
    await poller.stop();
    events.push('stopped');
    expect(events).toEqual(['started', 'finished', 'stopped']);
    expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 0 });

    await sendAll(queue.url, ['after stop']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await counts(queue.url)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('stop() returns at once when idle, without waiting out its long poll', async () => {
    const queue = await createQueue();
    const poller = await poll({ queueUrl: queue.url, handler: async () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await poller.stop();
    // Far below the 20-s long poll it would otherwise wait out; room for a busy machine.
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

// These wait out visibility timeouts (whole seconds in SQS). One after another: side by side,
// on a loaded machine, one test's redrive has been seen to miss its wait.
describe('SQS poller: failures', () => {
  it('deletes only the successful messages of a partial failure, and the failed one ends in the DLQ', async () => {
    const queue = await createQueue({ visibilityTimeout: 1, maxReceiveCount: 2 });
    await sendAll(queue.url, ['good', 'bad']);
    const receiveCounts: string[] = [];
    const { handler, bodies } = recording((event) => ({
      batchItemFailures: event.Records.filter((record) => {
        if (record.body === 'bad') receiveCounts.push(record.attributes.ApproximateReceiveCount);
        return record.body === 'bad';
      }).map((record) => ({ itemIdentifier: record.messageId })),
    }));
    const poller = await poll({ queueUrl: queue.url, handler });
    const dlqUrl = queue.dlqUrl ?? '';
    // Two visibility timeouts and a redrive, about 3 s alone; under a full `npm test` on two cores
    // it has taken more than 20 s, so the wait is a guard against a hang, not a budget.
    await waitFor(async () => (await counts(dlqUrl)).visible === 1, 50_000);
    await poller.stop();

    expect(bodies().filter((body) => body === 'good')).toHaveLength(1);
    expect(receiveCounts).toEqual(['1', '2']);
    expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 0 });
  }, 60_000);

  it('leaves the whole batch in the queue when the function throws', async () => {
    const queue = await createQueue({ visibilityTimeout: 1 });
    await sendAll(queue.url, ['a', 'b']);
    const logged: unknown[] = [];
    let calls = 0;
    const poller = await poll({
      queueUrl: queue.url,
      logError: (_message, error) => logged.push(error),
      handler: async () => {
        calls += 1;
        if (calls === 1) throw new Error('the first attempt fails');
      },
    });
    await waitFor(() => calls === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 2 });
    await waitFor(isEmpty(queue.url));
    await poller.stop();
    expect(calls).toBe(2);
    expect(String(logged[0])).toContain('the first attempt fails');
  });

  it('loses the answer of a call past its timeout, as Lambda ends it: the batch comes back', async () => {
    const queue = await createQueue({ visibilityTimeout: 1 });
    await sendAll(queue.url, ['slow']);
    const logged: string[] = [];
    let calls = 0;
    const poller = await poll({
      queueUrl: queue.url,
      // Room enough that a busy machine never stalls the prompt second call past it (CI's 2 cores).
      timeoutMs: 500,
      logError: (message) => logged.push(message),
      handler: async () => {
        calls += 1;
        // The first call answers "success" too late; the second in time.
        if (calls === 1) await new Promise((resolve) => setTimeout(resolve, 1_500));
        return { batchItemFailures: [] };
      },
    });
    await waitFor(isEmpty(queue.url), 15_000);
    await poller.stop();

    expect(calls).toBe(2);
    expect(logged.some((message) => message.includes('timed out after 0.5 s'))).toBe(true);
  });
});
