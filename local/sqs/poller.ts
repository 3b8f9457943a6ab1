import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { fakeContext } from '#local/gateway';

/** What an invocation that ran past its timeout answers: nothing (Lambda ended it). */
const TIMED_OUT = Symbol('timed out');

/** A function behind an SQS event source mapping, called as Lambda calls it. */
// biome-ignore lint/suspicious/noConfusingVoidType: Lambda's own SQSHandler type lets a function return nothing.
export type SqsFunction = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface PollerOptions {
  readonly queueUrl: string;
  readonly handler: SqsFunction;
  /** The function name in the fake Lambda context and in error logs. @default the queue's name */
  readonly functionName?: string;
  /** @default a client configured from the environment (AWS_ENDPOINT_URL_SQS), destroyed at stop */
  readonly client?: SQSClient;
  /** Most records per invocation, 1–10. @default 10 */
  readonly batchSize?: number;
  /**
   * How long to keep gathering records once the first has arrived, before invoking with fewer
   * than `batchSize` (MaximumBatchingWindowInSeconds, in ms here so tests can use short windows).
   * @default 0, invoke with what one receive returns
   */
  readonly maxBatchingWindowMs?: number;
  /** Invocations in flight at once (ScalingConfig.MaximumConcurrency). @default 2, the least Lambda allows */
  readonly maxConcurrency?: number;
  /** Honour `batchItemFailures` (FunctionResponseTypes: ReportBatchItemFailures). @default true */
  readonly reportBatchItemFailures?: boolean;
  /**
   * The function's timeout: the fake context counts down from it, and an invocation still running
   * at its end has its answer lost, as Lambda ends it (its batch returns after the visibility
   * timeout). The code itself cannot be stopped in this process and runs on. @default 30000
   */
  readonly timeoutMs?: number;
  /** Where handler and polling errors are reported. @default stderr */
  readonly logError?: (message: string, error: unknown) => void;
}

export interface Poller {
  /** Invocations running now. */
  readonly inFlight: number;
  /**
   * Stops receiving and resolves once the invocations in flight have finished and their
   * successful messages are deleted. Messages received but not yet handed over are released.
   */
  stop(): Promise<void>;
}

/** SQS's longest long poll: an idle poller makes one request every 20 s. */
const LONG_POLL_SECONDS = 20;
/** After a failed receive (the server is restarting, say), wait this long before the next. */
const RETRY_DELAY_MS = 1_000;
/** Within a batching window shorter than a second (WaitTimeSeconds counts whole seconds), poll this often. */
const WINDOW_POLL_MS = 50;

/**
 * Plays the Lambda event source mapping for one queue and one function: long-polls the queue,
 * invokes the function with batches of records in the SQSEvent shape, deletes what succeeded,
 * and leaves the rest to come back after the visibility timeout (and to be redriven to the
 * dead-letter queue after maxReceiveCount receives, by the queue itself).
 */
export async function startPoller(options: PollerOptions): Promise<Poller> {
  const batchSize = options.batchSize ?? 10;
  const maxConcurrency = options.maxConcurrency ?? 2;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
    throw new RangeError(`batchSize must be from 1 to 10, not ${batchSize}`);
  }
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
    throw new RangeError(`maxConcurrency must be a positive integer, not ${maxConcurrency}`);
  }
  const client = options.client ?? new SQSClient({});
  const logError = options.logError ?? ((message, error) => console.error(message, error));
  const { queueUrl, handler } = options;
  const functionName = options.functionName ?? queueUrl.split('/').pop() ?? 'sqs-function';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const reportFailures = options.reportBatchItemFailures ?? true;
  const windowMs = options.maxBatchingWindowMs ?? 0;

  // Fails fast on a queue that does not exist, and gives the records their eventSourceARN.
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const eventSourceARN = Attributes?.QueueArn ?? '';
  const awsRegion = await client.config.region();

  const stopping = new AbortController();
  const stopRequested = new Promise<void>((resolve) =>
    stopping.signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  const inFlight = new Set<Promise<void>>();

  const receive = async (max: number, waitSeconds: number): Promise<Message[]> => {
    const { Messages } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: stopping.signal },
    );
    return Messages ?? [];
  };

  /** The first receive waits for a message; more are gathered until the batch is full or the window ends. */
  const collectBatch = async (batch: Message[]): Promise<void> => {
    batch.push(...(await receive(batchSize, LONG_POLL_SECONDS)));
    if (batch.length === 0) return;
    const windowEnds = Date.now() + windowMs;
    while (batch.length < batchSize && !stopping.signal.aborted) {
      const remaining = windowEnds - Date.now();
      if (remaining <= 0) break;
      const more = await receive(batchSize - batch.length, Math.floor(remaining / 1000));
      batch.push(...more);
      if (more.length === 0 && remaining < 1000)
        await sleep(Math.min(remaining, WINDOW_POLL_MS), stopping.signal);
    }
  };

  const invoke = async (messages: readonly Message[]): Promise<void> => {
    const event: SQSEvent = {
      Records: messages.map((message) => toRecord(message, eventSourceARN, awsRegion)),
    };
    let result: unknown;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
      });
      result = await Promise.race([handler(event, fakeContext(functionName, timeoutMs)), timedOut]);
    } catch (error) {
      logError(`${functionName} failed: its batch returns to the queue after the visibility timeout`, error);
      return;
    } finally {
      clearTimeout(timer);
    }
    if (result === TIMED_OUT) {
      logError(
        `${functionName} timed out after ${timeoutMs / 1000} s: its answer is lost and its batch returns after the visibility timeout`,
        undefined,
      );
      return;
    }
    const failed = reportFailures ? failedIds(result, event) : new Set<string>();
    if (failed === 'invalid') {
      logError(
        `${functionName} returned invalid batchItemFailures: the whole batch counts as failed`,
        result,
      );
      return;
    }
    await deleteMessages(messages.filter((message) => !failed.has(message.MessageId ?? '')));
  };

  const deleteMessages = async (messages: readonly Message[]): Promise<void> => {
    if (messages.length === 0) return;
    try {
      const { Failed } = await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      if (Failed !== undefined && Failed.length > 0) logError(`${functionName}: some deletes failed`, Failed);
    } catch (error) {
      logError(`${functionName}: could not delete a handled batch; it will be delivered again`, error);
    }
  };

  /** Makes messages received during stop visible at once, rather than after the visibility timeout. */
  const release = async (messages: readonly Message[]): Promise<void> => {
    if (messages.length === 0) return;
    try {
      await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    } catch (error) {
      logError(
        `${functionName}: could not release messages at stop; they return after the visibility timeout`,
        error,
      );
    }
  };

  const loop = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      // At the limit, wait for an invocation to end before taking more messages off the queue.
      while (inFlight.size >= maxConcurrency && !stopping.signal.aborted) {
        await Promise.race([...inFlight, stopRequested]);
      }
      if (stopping.signal.aborted) break;
      const batch: Message[] = [];
      try {
        await collectBatch(batch);
      } catch (error) {
        if (!stopping.signal.aborted) {
          logError(`${functionName}: ReceiveMessage failed; trying again`, error);
          await sleep(RETRY_DELAY_MS, stopping.signal);
        }
      }
      if (stopping.signal.aborted) {
        await release(batch);
        break;
      }
      if (batch.length === 0) continue;
      const invocation = invoke(batch).finally(() => inFlight.delete(invocation));
      inFlight.add(invocation);
    }
  };

  const polling = loop();
  let stopped: Promise<void> | undefined;
  return {
    get inFlight() {
      return inFlight.size;
    },
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await polling;
        await Promise.all(inFlight);
        if (options.client === undefined) client.destroy();
      })();
      return stopped;
    },
  };
}

/**
 * The messages a result reports as failed. No result, or no or an empty list, is complete
 * success; an entry without a known message id makes the whole batch a failure, as Lambda does.
 */
function failedIds(result: unknown, event: SQSEvent): Set<string> | 'invalid' {
  if (result === undefined || result === null) return new Set();
  if (typeof result !== 'object') return 'invalid';
  const failures: unknown = (result as Partial<Record<'batchItemFailures', unknown>>).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return 'invalid';
  const known = new Set(event.Records.map((record) => record.messageId));
  const ids = new Set<string>();
  for (const failure of failures) {
    const id: unknown =
      typeof failure === 'object' && failure !== null
        ? (failure as Partial<Record<'itemIdentifier', unknown>>).itemIdentifier
        : undefined;
    if (typeof id !== 'string' || !known.has(id)) return 'invalid';
    ids.add(id);
  }
  return ids;
}

/** A message in the record shape Lambda gives SQS functions. */
function toRecord(message: Message, eventSourceARN: string, awsRegion: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined
        ? {}
        : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ...attributes,
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? '',
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes === undefined
      ? {}
      : { md5OfMessageAttributes: message.MD5OfMessageAttributes }),
    eventSource: 'aws:sqs',
    eventSourceARN,
    awsRegion,
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
