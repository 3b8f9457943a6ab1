import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type * as z from 'zod/mini';

/** The one SQS client (locally AWS_ENDPOINT_URL_SQS points at the local SQS-compatible server). */
export const sqs = new SQSClient({});

/**
 * Queues messages in batches of ten, retrying entries SQS reports as failed. Each message is
 * checked against the schema its consumer parses it with, so a producer cannot queue what the
 * consumer would refuse.
 */
export async function enqueue<T>(
  queueUrl: string,
  schema: z.ZodMiniType<T>,
  messages: readonly T[],
  /** `delaySeconds`: each message becomes visible only after this long (0–900). */
  options: { delaySeconds?: number } = {},
): Promise<void> {
  const bodies = messages.map((message) => JSON.stringify(schema.parse(message)));
  for (let i = 0; i < bodies.length; i += 10) {
    let entries = bodies.slice(i, i + 10).map((body, n) => ({
      Id: String(n),
      MessageBody: body,
      ...(options.delaySeconds === undefined ? {} : { DelaySeconds: options.delaySeconds }),
    }));
    for (let attempt = 0; entries.length > 0; attempt++) {
      const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      const failed = new Set((out.Failed ?? []).map((f) => f.Id));
      entries = entries.filter((e) => failed.has(e.Id));
      if (entries.length > 0 && attempt >= 5) throw new Error(`could not queue ${entries.length} messages`);
      if (entries.length > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}
