import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import type { HttpFunction } from '#local/gateway';
import type { SqsFunction } from '#local/sqs/poller';
import type { LocalQueue } from '#local/stack';
import { readStackFile } from '#local/stack-file';
import { startTestStack } from '../support/local-stack';

const standIns = {
  intake: (async () => ({ statusCode: 200, body: 'intake' })) satisfies HttpFunction,
  ensureBootstrapClient: async () => undefined,
};

const temporaryDirs: string[] = [];
afterAll(async () => {
  await Promise.all(temporaryDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

// Generous: a deadline only bounds how long a failing test takes, and CI's 2 cores are shared.
async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('local stack: queues', () => {
  it('creates the queues, gives their URLs to the functions before loading them, and runs a poller for each', async () => {
    const events: SQSEvent[] = [];
    let urlAtLoad: string | undefined;
    const queue: LocalQueue = {
      name: 'ddor-test-send',
      envVar: 'TEST_SEND_QUEUE_URL',
      dlqName: 'ddor-test-send-dlq',
      maxReceiveCount: 3,
      visibilityTimeout: 60,
      batchSize: 5,
      loadHandler: async () => {
        urlAtLoad = process.env.TEST_SEND_QUEUE_URL;
        const handler: SqsFunction = async (event) => {
          events.push(event);
        };
        return handler;
      },
    };
    const stack = await startTestStack({ ...standIns, queues: [queue] });
    try {
      const url = stack.queues.TEST_SEND_QUEUE_URL;
      expect(url).toBe(`${stack.urls.sqs}/000000000000/ddor-test-send`);
      expect(urlAtLoad).toBe(url);
      expect(process.env.AWS_ENDPOINT_URL_SQS).toBe(stack.urls.sqs);
      expect(stack.environment).toMatchObject({ TEST_SEND_QUEUE_URL: url });
      expect(await readStackFile(stack.dataDir)).toMatchObject({
        ports: { sqs: stack.ports.sqs },
        urls: { sqs: stack.urls.sqs },
        queues: { TEST_SEND_QUEUE_URL: url },
      });

      // Through the environment alone, as a function sends.
      const sqs = new SQSClient({});
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'],
        }),
      );
      expect(Attributes?.VisibilityTimeout).toBe('60');
      expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toEqual({
        deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:ddor-test-send-dlq',
        maxReceiveCount: 3,
      });
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'edition 2025-W01' }));
      sqs.destroy();
      await waitFor(() => events.length === 1);
      expect(events[0]?.Records[0]?.body).toBe('edition 2025-W01');
    } finally {
      await stack.stop();
    }
  });

  it('stops the pollers before the stores, so a function in flight finishes its writes', async () => {
    const outcomes: string[] = [];
    const stack = await startTestStack({
      ...standIns,
      queues: [
        {
          name: 'ddor-test-slow',
          envVar: 'TEST_SLOW_QUEUE_URL',
          loadHandler: async () => async () => {
            outcomes.push('started');
            await new Promise((resolve) => setTimeout(resolve, 300));
            const dynamodb = new DynamoDBClient({});
            try {
              await dynamodb.send(
                new PutItemCommand({
                  TableName: stack.tables.JURISDICTIONS_TABLE,
                  Item: { id: { S: 'ZZ-SLOW' }, name: { S: 'Synthetic Slow County' } },
                }),
              );
              outcomes.push('written');
            } catch (error) {
              outcomes.push(`failed: ${String(error)}`);
            } finally {
              dynamodb.destroy();
            }
          },
        },
      ],
    });
    const sqs = new SQSClient({});
    await sqs.send(
      new SendMessageCommand({ QueueUrl: stack.queues.TEST_SLOW_QUEUE_URL, MessageBody: 'slow' }),
    );
    sqs.destroy();
    await waitFor(() => outcomes.length === 1);
    await stack.stop();
    expect(outcomes).toEqual(['started', 'written']);
  });

  it('keeps queued messages under DATA_DIR/sqs across stop and start', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ddor-sqs-stack-'));
    temporaryDirs.push(dataDir);
    const queue: LocalQueue = {
      name: 'ddor-test-kept',
      envVar: 'TEST_KEPT_QUEUE_URL',
      loadHandler: async () => async () => undefined,
    };
    const first = await startTestStack({ ...standIns, dataDir, inMemory: false, queues: [queue] });
    const sqs = new SQSClient({});
    // Delayed, so the poller leaves it in the queue.
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: first.queues.TEST_KEPT_QUEUE_URL,
        MessageBody: 'kept',
        DelaySeconds: 900,
      }),
    );
    sqs.destroy();
    await first.stop();
    expect(await readFile(join(dataDir, 'sqs', 'queues.json'), 'utf8')).toContain('"body":"kept"');

    const second = await startTestStack({ ...standIns, dataDir, inMemory: false, queues: [queue] });
    try {
      const again = new SQSClient({});
      const { Attributes } = await again.send(
        new GetQueueAttributesCommand({
          QueueUrl: second.queues.TEST_KEPT_QUEUE_URL,
          AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
        }),
      );
      again.destroy();
      expect(Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');
    } finally {
      await second.stop();
    }
  });
});
