/**
 * npm run redrive [-- --queue NAME]
 * Moves the dead-lettered messages of every queue (or of one) back to their queue: safe, since
 * the weekly run, the publications and the send ledger make a repeated message harmless (a
 * reader already sent is never sent again). Acts with the operator role; finds the running local
 * stack through $DATA_DIR/stack.json, or with --deployed the queue URLs in the environment
 * (PUBLISH_QUEUE_URL and PUBLISH_DLQ_URL, SEND_QUEUE_URL and SEND_DLQ_URL).
 */
import { commandOptions, connect, fail, usage } from './stack-connection';

const USAGE = `usage:
  npm run redrive [-- --queue NAME] [--deployed]
    --queue  one queue only: publish or send (or its name, e.g. ddor-send); default every queue`;

/** The product's queues, by the env var of their URL. */
const QUEUES = { publish: 'PUBLISH_QUEUE_URL', send: 'SEND_QUEUE_URL' } as const;

async function main(): Promise<void> {
  const options = {
    queue: { type: 'string' },
    deployed: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
  const values = commandOptions(options, USAGE);
  if (values === undefined) return;
  const wanted = values.queue?.replace(/^ddor-/, '');
  if (wanted !== undefined && !(wanted in QUEUES)) {
    usage(`--queue must be publish or send, not "${values.queue}"\n${USAGE}`);
  }
  await connect(values.deployed).catch((error: unknown) =>
    fail(error instanceof Error ? error.message : String(error)),
  );
  const { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand } = await import(
    '@aws-sdk/client-sqs'
  );
  const { sqs } = await import('#adapters/sqs');
  const keys = (Object.keys(QUEUES) as (keyof typeof QUEUES)[]).filter(
    (key) => wanted === undefined || key === wanted,
  );
  for (const key of keys) {
    const envVar = QUEUES[key];
    const queueUrl = process.env[envVar];
    const dlqUrl = values.deployed
      ? process.env[envVar.replace('_QUEUE_URL', '_DLQ_URL')]
      : `${queueUrl}-dlq`;
    if (queueUrl === undefined || dlqUrl === undefined) {
      fail(`set ${envVar} and ${envVar.replace('_QUEUE_URL', '_DLQ_URL')} to the deployed queues' URLs`);
    }
    let moved = 0;
    for (;;) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: 60,
        }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) break;
      // Sent back first, deleted after: a crash in between repeats a message, which is harmless.
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((message, index) => ({ Id: String(index), MessageBody: message.Body ?? '' })),
        }),
      );
      if ((sent.Failed ?? []).length > 0)
        fail(`could not send ${sent.Failed?.length} message(s) back to ${queueUrl}`);
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle ?? '',
          })),
        }),
      );
      moved += messages.length;
    }
    console.log(`${key}: moved ${moved} dead-lettered message(s) back to ${queueUrl.split('/').pop()}`);
  }
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
