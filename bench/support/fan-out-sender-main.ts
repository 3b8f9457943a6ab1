/**
 * Child process of the fan-out benchmark: one sender "container". It polls the send queue as the
 * local stack's event source mapping does (startPoller, with the send queue's batch size and
 * concurrency from local/product.ts) and hands each batch to
 *
 * - `ses`: the real sender, `lambdas/mail/send/handler`, which sends through SES v2 to the local SES
 *   server; sends are timed by a middleware on its SES client;
 * - `fake`: `sendBatch` with the handler's own adapters (DynamoDB ledger and subscribers, stored
 *   email from S3, HMAC unsubscribe links, the RateLimiter) but a `send` that answers at once.
 *
 * It samples its own memory, and on "stop" reports the send times and memory to its parent.
 * The environment (endpoints, tables, queue URL, SEND_RATE_PER_SECOND) comes from the parent.
 */
import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { productQueues, SEND_QUEUE } from '#local/product';
import { startPoller } from '#local/sqs/poller';
import { childEvent, childLog, onParentMessage, runAsChild } from './child-process';
import { peakInWindow } from './windows';

export type SenderMode = 'ses' | 'fake';

export interface MemorySample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export interface SenderReport {
  readonly mode: SenderMode;
  /** Sends SES (or the fake) accepted, by their completion time (epoch ms). */
  readonly sends: number;
  readonly firstAt: number;
  readonly lastAt: number;
  /** Most sends completed in any 1-second window, and when that window began (ms after the first send). */
  readonly peakWindow: number;
  readonly peakWindowAt: number;
  /** Sends completed in each whole second from the first send on (the last second is partial). */
  readonly perSecond: number[];
  /** After start-up and a forced GC, before any message. */
  readonly idle: MemorySample;
  /** Highest of each field over samples every 50 ms while sending. */
  readonly peak: MemorySample;
  /** After the last send and a forced GC. */
  readonly retained: MemorySample;
  /** Median and 95th percentile of the 50-ms samples taken while sending. */
  readonly sending: {
    readonly rss: { readonly p50: number; readonly p95: number };
    readonly heapUsed: { readonly p50: number; readonly p95: number };
  };
  /** One sample a second while sending: [sends so far, rss, heapUsed]. */
  readonly series: [number, number, number][];
  /** Handler invocations (batches) and failed records the poller saw. */
  readonly batches: number;
  readonly failedRecords: number;
}

const SAMPLE_MS = 50;

function memory(): MemorySample {
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external, arrayBuffers };
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run the sender with --expose-gc');
  gc();
  gc();
}

const now = () => performance.timeOrigin + performance.now();

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** The real sender, its SES calls timed where they complete. */
async function sesHandler(record: (at: number) => void): Promise<SqsHandler> {
  const { ses } = await import('#adapters/mailer');
  ses.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      record(now());
      return out;
    },
    { step: 'initialize', name: 'benchSendTimer' },
  );
  const { handler } = await import('#lambdas/mail/send/handler');
  return (event, context) => handler(event, context);
}

/** `sendBatch` wired as lambdas/mail/send/handler wires it, with an instant `send`. */
async function fakeHandler(record: (at: number) => void): Promise<SqsHandler> {
  const [edition, { sendJobSchema }, { senderDeps }] = await Promise.all([
    import('#core/mail/send-ledger'),
    import('#core/mail/send-job'),
    import('#lambdas/mail/send/sender'),
  ]);
  let sent = 0;
  const deps = senderDeps({
    send: async () => {
      sent += 1;
      record(now());
      return `bench-fake-${sent}`;
    },
  });
  return async (event) => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    for (const message of event.Records) {
      try {
        const job = sendJobSchema.parse(JSON.parse(message.body));
        const owner = `${message.messageId}:${randomUUID()}`;
        const outcome = await edition.sendBatch({ ...deps, owner }, job);
        if (outcome.pending.length > 0) failures.push({ itemIdentifier: message.messageId });
      } catch (error) {
        childLog(
          `    fake sender: batch failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        failures.push({ itemIdentifier: message.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}

function percentiles(values: readonly number[]): { p50: number; p95: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (fraction: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95) };
}

async function main(mode: SenderMode): Promise<SenderReport> {
  const queueUrl = process.env.SEND_QUEUE_URL;
  if (queueUrl === undefined) throw new Error('SEND_QUEUE_URL is not set');
  const queue = productQueues().find((candidate) => candidate.name === SEND_QUEUE);
  if (queue === undefined) throw new Error(`no ${SEND_QUEUE} queue in local/product.ts`);

  const times: number[] = [];
  const record = (at: number) => times.push(at);
  const inner = mode === 'ses' ? await sesHandler(record) : await fakeHandler(record);
  let batches = 0;
  let failedRecords = 0;
  const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    batches += 1;
    const out = await inner(event, context);
    failedRecords += out.batchItemFailures.length;
    return out;
  };

  collectGarbage();
  const idle = memory();
  const peak = { ...idle };
  const series: [number, number, number][] = [];
  let lastSeries = 0;
  const sampled = { rss: [] as number[], heapUsed: [] as number[] };
  const sampler = setInterval(() => {
    const sample = memory();
    for (const key of Object.keys(peak) as (keyof MemorySample)[])
      peak[key] = Math.max(peak[key], sample[key]);
    if (times.length > 0) {
      sampled.rss.push(sample.rss);
      sampled.heapUsed.push(sample.heapUsed);
    }
    const at = Date.now();
    if (times.length > 0 && at - lastSeries >= 1_000) {
      lastSeries = at;
      series.push([times.length, sample.rss, sample.heapUsed]);
    }
  }, SAMPLE_MS);

  const maxConcurrency = queue.maxConcurrency;
  const poller = await startPoller({
    queueUrl,
    handler,
    functionName: queue.functionName ?? queue.name,
    ...(queue.batchSize === undefined ? {} : { batchSize: queue.batchSize }),
    ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
    logError: (message, error) =>
      childLog(`    sender: ${message} ${error instanceof Error ? error.message : JSON.stringify(error)}`),
  });
  const stopped = new Promise<void>((resolve) => {
    onParentMessage((message) => {
      if (message === 'stop') resolve();
    });
  });
  childEvent('ready');
  await stopped;
  await poller.stop();
  clearInterval(sampler);
  collectGarbage();
  const retained = memory();

  times.sort((a, b) => a - b);
  const firstAt = times[0] ?? Number.NaN;
  const lastAt = times.at(-1) ?? Number.NaN;
  const peak1s = peakInWindow(times, 1_000);
  const perSecond: number[] = [];
  for (const at of times) {
    const second = Math.floor((at - firstAt) / 1000);
    while (perSecond.length <= second) perSecond.push(0);
    perSecond[second] = (perSecond[second] ?? 0) + 1;
  }
  return {
    mode,
    sends: times.length,
    firstAt,
    lastAt,
    peakWindow: peak1s.count,
    peakWindowAt: peak1s.from - firstAt,
    perSecond,
    idle,
    peak,
    retained,
    sending: { rss: percentiles(sampled.rss), heapUsed: percentiles(sampled.heapUsed) },
    series,
    batches,
    failedRecords,
  };
}

const mode = process.argv[2];
if (mode !== 'ses' && mode !== 'fake') throw new Error('usage: fan-out-sender-main.ts ses|fake');
await runAsChild(() => main(mode));
