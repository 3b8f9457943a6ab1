/**
 * npm run redrive [-- --queue NAME]
 * Moves the dead-lettered messages of every queue (or of one) back to their queue: safe, since
 * the weekly run, the publications and the send ledger make a repeated message harmless (a
 * reader already sent is never sent again; a repeated confirmation request mails one more link,
 * as asking again would, within the hourly budget). Acts with the operator role; finds the running local stack through
 * $DATA_DIR/stack.json, or with --deployed --stage S the deployment's queues from its outputs.
 */
import { deadLetterEnvVar, QUEUES } from '#config/runtime';
import {
  commandOptions,
  connect,
  fail,
  failWith,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetOf,
  usage,
} from './stack-connection';

const NAMES = Object.keys(QUEUES) as (keyof typeof QUEUES)[];

const USAGE = `usage:
  npm run redrive [-- --queue NAME] [--deployed --stage NAME]
    --queue       one queue only: ${NAMES.join(', ')} (or its name, e.g. ddor-send); default every queue
${TARGET_USAGE}`;

async function main(): Promise<void> {
  const options = {
    queue: { type: 'string' },
    ...TARGET_OPTIONS,
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
  const values = commandOptions(options, USAGE);
  if (values === undefined) return;
  const wanted = values.queue?.replace(/^ddor-/, '');
  if (wanted !== undefined && !(wanted in QUEUES)) {
    usage(`--queue must be one of ${NAMES.join(', ')}, not "${values.queue}"\n${USAGE}`);
  }
  await connect(targetOf(values, USAGE));
  const { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand } = await import(
    '@aws-sdk/client-sqs'
  );
  const { sqs } = await import('#adapters/sqs');
  const keys = NAMES.filter((key) => wanted === undefined || key === wanted);
  for (const key of keys) {
    const { envVar } = QUEUES[key];
    const queueUrl = process.env[envVar];
    const dlqUrl = process.env[deadLetterEnvVar(envVar)];
    if (queueUrl === undefined || dlqUrl === undefined) {
      fail(
        `the stack names no ${key} queue or no dead-letter queue of it: deploy (or npm start) this version`,
      );
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

main().catch(failWith);
