import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { WireMessageAttribute } from './digests';
import { invalidParameter, queueDoesNotExist, SqsError } from './errors';

/** The account and region in every local queue URL and ARN. */
export const ACCOUNT_ID = '000000000000';
export const REGION = 'us-east-1';

export function queueArn(name: string): string {
  return `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${name}`;
}

/** The queue attributes that are numbers, with SQS's defaults and limits (seconds, or bytes). */
const NUMBER_ATTRIBUTES = {
  VisibilityTimeout: { fallback: 30, min: 0, max: 43_200 },
  DelaySeconds: { fallback: 0, min: 0, max: 900 },
  MaximumMessageSize: { fallback: 1_048_576, min: 1_024, max: 1_048_576 },
  MessageRetentionPeriod: { fallback: 345_600, min: 60, max: 1_209_600 },
  ReceiveMessageWaitTimeSeconds: { fallback: 0, min: 0, max: 20 },
} as const;
type NumberAttribute = keyof typeof NUMBER_ATTRIBUTES;

/** Kept and returned as given: access and encryption settings change nothing locally. */
const OPAQUE_ATTRIBUTES = new Set([
  'Policy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
]);

/** Worked out at each read. */
const COMPUTED_ATTRIBUTES = new Set([
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
]);

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export interface RedrivePolicy {
  readonly deadLetterTargetArn: string;
  readonly maxReceiveCount: number;
}

const storedMessageSchema = z.object({
  id: z.string(),
  body: z.string(),
  attributes: z.record(
    z.string(),
    z.object({
      DataType: z.string(),
      StringValue: z.string().optional(),
      BinaryValue: z.string().optional(),
    }),
  ),
  /** Epoch ms; kept when the message moves to the dead-letter queue, so retention counts from the first send. */
  sentAt: z.number(),
  traceHeader: z.string().optional(),
  deadLetterQueueSourceArn: z.string().optional(),
  receiveCount: z.number().int(),
  firstReceivedAt: z.number().optional(),
  /** Epoch ms before which the message is delayed (never received) or in flight (received). */
  visibleAt: z.number(),
  /** Only the latest receive's handle deletes the message or changes its visibility. */
  receiptHandle: z.string().optional(),
});

export type StoredMessage = z.infer<typeof storedMessageSchema>;

/** A message as handed to a consumer: a copy, with the handle of this receive. */
export type ReceivedMessage = Readonly<StoredMessage> & { readonly receiptHandle: string };

const queueSchema = z.object({
  name: z.string(),
  createdAt: z.number(),
  lastModifiedAt: z.number(),
  /** The settable attributes, normalised, as strings (SQS's own representation). */
  attributes: z.record(z.string(), z.string()),
  messages: z.array(storedMessageSchema),
});

/** The persisted form: what `toJSON()` gives and `QueueStore.fromJSON()` takes. */
export const persistedQueuesSchema = z.object({ version: z.literal(1), queues: z.array(queueSchema) });
export type PersistedQueues = z.infer<typeof persistedQueuesSchema>;

interface Queue {
  readonly name: string;
  readonly createdAt: number;
  lastModifiedAt: number;
  attributes: Record<string, string>;
  /** In send order: the oldest visible messages are received first. */
  readonly messages: Map<string, StoredMessage>;
}

export interface NewMessage {
  readonly body: string;
  readonly attributes: Readonly<Record<string, WireMessageAttribute>>;
  /** @default the queue's DelaySeconds */
  readonly delaySeconds?: number;
  readonly traceHeader?: string;
}

/**
 * The queues and their messages: a standard (not FIFO) queue's behaviour with visibility
 * timeouts, delays, retention and redrive to a dead-letter queue. Everything is synchronous, so
 * each operation is atomic in Node's single thread.
 */
export class QueueStore {
  private readonly queues = new Map<string, Queue>();
  private readonly waiters = new Map<string, Set<() => void>>();

  /** `onChange` runs after every change that should be persisted. */
  /**
   * `timeScale` (LOCAL_TIME_SCALE) shrinks message delays alike; visibility timeouts are set by
   * the stack, already scaled.
   */
  constructor(
    private readonly onChange: () => void = () => undefined,
    private readonly timeScale = 1,
  ) {}

  static fromJSON(data: unknown, onChange?: () => void, timeScale = 1): QueueStore {
    const parsed = persistedQueuesSchema.parse(data);
    const store = new QueueStore(onChange, timeScale);
    for (const queue of parsed.queues) {
      store.queues.set(queue.name, {
        ...queue,
        messages: new Map(queue.messages.map((message) => [message.id, message])),
      });
    }
    return store;
  }

  toJSON(): PersistedQueues {
    return {
      version: 1,
      queues: [...this.queues.values()].map((queue) => ({
        ...queue,
        messages: [...queue.messages.values()],
      })),
    };
  }

  /**
   * Creates a queue, or returns the existing one when every given attribute matches it; a
   * different value is an error, as on SQS (SetQueueAttributes changes a queue).
   */
  create(name: string, attributes: Readonly<Record<string, string>>): void {
    if (!QUEUE_NAME.test(name)) {
      throw invalidParameter(
        'QueueName',
        name,
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    const settings = this.normalise(attributes);
    const existing = this.queues.get(name);
    if (existing !== undefined) {
      const differing = Object.entries(settings)
        .filter(([key, value]) => (existing.attributes[key] ?? defaultOf(key)) !== value)
        .map(([key]) => key);
      if (differing.length > 0) {
        throw new SqsError(
          'QueueNameExists',
          `A queue already exists with the same name and a different value for attribute(s) ${differing.join(', ')}`,
        );
      }
      return;
    }
    const now = Date.now();
    this.queues.set(name, {
      name,
      createdAt: now,
      lastModifiedAt: now,
      attributes: settings,
      messages: new Map(),
    });
    this.onChange();
  }

  delete(name: string): void {
    this.queue(name);
    this.queues.delete(name);
    this.wake(name);
    this.onChange();
  }

  has(name: string): boolean {
    return this.queues.has(name);
  }

  names(): string[] {
    return [...this.queues.keys()].sort();
  }

  setAttributes(name: string, attributes: Readonly<Record<string, string>>): void {
    const queue = this.queue(name);
    const settings = this.normalise(attributes);
    for (const [key, value] of Object.entries(settings)) {
      // An empty RedrivePolicy removes it.
      if (value === '') delete queue.attributes[key];
      else queue.attributes[key] = value;
    }
    queue.lastModifiedAt = Date.now();
    this.onChange();
    // A new policy may make messages due for the dead-letter queue; a waiting receive moves them.
    this.wake(name);
  }

  /** The named attributes (`All` for every one); an unknown name is an error. */
  getAttributes(name: string, names: readonly string[]): Record<string, string> {
    const queue = this.queue(name);
    const now = Date.now();
    this.expire(queue, now);
    for (const attribute of names) {
      if (attribute !== 'All' && !isKnownAttribute(attribute)) {
        throw new SqsError('InvalidAttributeName', `Unknown Attribute ${attribute}.`);
      }
    }
    const all = names.includes('All');
    const messages = [...queue.messages.values()];
    const counts = {
      ApproximateNumberOfMessages: messages.filter((message) => message.visibleAt <= now).length,
      ApproximateNumberOfMessagesNotVisible: messages.filter(
        (message) => message.visibleAt > now && message.receiveCount > 0,
      ).length,
      ApproximateNumberOfMessagesDelayed: messages.filter(
        (message) => message.visibleAt > now && message.receiveCount === 0,
      ).length,
    };
    const values: Record<string, string> = {
      ...Object.fromEntries(Object.keys(NUMBER_ATTRIBUTES).map((key) => [key, String(defaultOf(key))])),
      ...queue.attributes,
      ...Object.fromEntries(Object.entries(counts).map(([key, count]) => [key, String(count)])),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.lastModifiedAt / 1000)),
      QueueArn: queueArn(queue.name),
    };
    return Object.fromEntries(Object.entries(values).filter(([key]) => all || names.includes(key)));
  }

  /** The queue's size limit for one message (body and attributes), in bytes. */
  maximumMessageSize(name: string): number {
    return this.number(this.queue(name), 'MaximumMessageSize');
  }

  /** The queue's default long-poll wait, in seconds. */
  receiveWaitSeconds(name: string): number {
    return this.number(this.queue(name), 'ReceiveMessageWaitTimeSeconds');
  }

  send(name: string, message: NewMessage): Readonly<StoredMessage> {
    const queue = this.queue(name);
    const now = Date.now();
    const delay = message.delaySeconds ?? this.number(queue, 'DelaySeconds');
    const stored: StoredMessage = {
      id: randomUUID(),
      body: message.body,
      attributes: { ...message.attributes },
      sentAt: now,
      ...(message.traceHeader === undefined ? {} : { traceHeader: message.traceHeader }),
      receiveCount: 0,
      visibleAt: now + delay * 1000 * this.timeScale,
    };
    queue.messages.set(stored.id, stored);
    this.onChange();
    this.wake(name);
    return { ...stored };
  }

  /**
   * Takes up to `max` visible messages, oldest first, and hides each for the visibility timeout.
   * A message already received `maxReceiveCount` times moves to the dead-letter queue instead
   * of being received again, as SQS redrives it.
   */
  receive(name: string, max: number, visibilityTimeout?: number): ReceivedMessage[] {
    const queue = this.queue(name);
    const now = Date.now();
    this.expire(queue, now);
    const redrive = this.redrivePolicy(queue);
    const deadLetter = redrive === undefined ? undefined : this.byArn(redrive.deadLetterTargetArn);
    const hideFor = (visibilityTimeout ?? this.number(queue, 'VisibilityTimeout')) * 1000;
    const received: ReceivedMessage[] = [];
    let changed = false;
    for (const message of queue.messages.values()) {
      if (received.length >= max) break;
      if (message.visibleAt > now) continue;
      changed = true;
      if (
        redrive !== undefined &&
        deadLetter !== undefined &&
        message.receiveCount >= redrive.maxReceiveCount
      ) {
        this.moveToDeadLetter(queue, message, deadLetter, now);
        continue;
      }
      const receiptHandle = newReceiptHandle(message.id);
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receiptHandle = receiptHandle;
      message.visibleAt = now + hideFor;
      received.push({ ...message, receiptHandle });
    }
    if (changed) this.onChange();
    return received;
  }

  /** A stale handle (the message was received again since) deletes nothing and is no error, as on SQS. */
  deleteMessage(name: string, receiptHandle: string): void {
    const queue = this.queue(name);
    const message = queue.messages.get(messageIdOf(receiptHandle));
    if (message === undefined || message.receiptHandle !== receiptHandle) return;
    queue.messages.delete(message.id);
    this.onChange();
  }

  /** Hides an in-flight message for `seconds` from now (0 makes it visible at once). */
  changeVisibility(name: string, receiptHandle: string, seconds: number): void {
    const queue = this.queue(name);
    const message = queue.messages.get(messageIdOf(receiptHandle));
    const now = Date.now();
    if (message === undefined || message.receiptHandle !== receiptHandle) {
      throw invalidParameter(
        'ReceiptHandle',
        receiptHandle,
        'Message does not exist or is not available for visibility timeout change.',
      );
    }
    if (message.visibleAt <= now)
      throw new SqsError('MessageNotInflight', "The specified message isn't in flight.");
    message.visibleAt = now + seconds * 1000;
    this.onChange();
    if (seconds === 0) this.wake(name);
  }

  purge(name: string): void {
    this.queue(name).messages.clear();
    this.onChange();
  }

  /** When the next hidden message becomes visible (epoch ms), for a long poll's timer. */
  nextVisibleAt(name: string): number | undefined {
    const now = Date.now();
    let next: number | undefined;
    for (const message of this.queue(name).messages.values()) {
      if (message.visibleAt > now && (next === undefined || message.visibleAt < next))
        next = message.visibleAt;
    }
    return next;
  }

  /** Calls `listener` when a message may have become visible in the queue; returns the unsubscribe. */
  subscribe(name: string, listener: () => void): () => void {
    const listeners = this.waiters.get(name) ?? new Set();
    this.waiters.set(name, listeners);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** The queue name from a queue URL's path (`/000000000000/<name>`). */
  nameFromUrl(queueUrl: string): string {
    let path: string;
    try {
      path = new URL(queueUrl).pathname;
    } catch {
      throw queueDoesNotExist();
    }
    const [, account, name, ...rest] = path.split('/');
    if (account !== ACCOUNT_ID || name === undefined || rest.length > 0 || !this.queues.has(name)) {
      throw queueDoesNotExist();
    }
    return name;
  }

  private queue(name: string): Queue {
    const queue = this.queues.get(name);
    if (queue === undefined) throw queueDoesNotExist();
    return queue;
  }

  private byArn(arn: string): Queue | undefined {
    return [...this.queues.values()].find((queue) => queueArn(queue.name) === arn);
  }

  private number(queue: Queue, name: NumberAttribute): number {
    return Number(queue.attributes[name] ?? NUMBER_ATTRIBUTES[name].fallback);
  }

  private redrivePolicy(queue: Queue): RedrivePolicy | undefined {
    const text = queue.attributes.RedrivePolicy;
    return text === undefined ? undefined : (JSON.parse(text) as RedrivePolicy);
  }

  private moveToDeadLetter(source: Queue, message: StoredMessage, target: Queue, now: number): void {
    source.messages.delete(message.id);
    // The id, body, attributes and send time travel with it; the receive count carries on.
    const { receiptHandle: _stale, ...kept } = message;
    target.messages.set(message.id, {
      ...kept,
      visibleAt: now,
      deadLetterQueueSourceArn: queueArn(source.name),
    });
    this.wake(target.name);
  }

  /** Drops messages older than the retention period, counted from their first send. */
  private expire(queue: Queue, now: number): void {
    const retention = this.number(queue, 'MessageRetentionPeriod') * 1000;
    for (const message of queue.messages.values()) {
      if (message.sentAt + retention <= now) queue.messages.delete(message.id);
    }
  }

  private wake(name: string): void {
    for (const listener of this.waiters.get(name) ?? []) listener();
  }

  /** Validates settable attributes and gives each in the form GetQueueAttributes returns. */
  private normalise(attributes: Readonly<Record<string, string>>): Record<string, string> {
    const settings: Record<string, string> = {};
    for (const [name, value] of Object.entries(attributes)) {
      if (isNumberAttribute(name)) {
        const { min, max } = NUMBER_ATTRIBUTES[name];
        const number = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
        if (!(number >= min && number <= max)) {
          throw new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
        }
        settings[name] = String(number);
      } else if (name === 'RedrivePolicy') {
        settings[name] = value === '' ? '' : JSON.stringify(this.parseRedrivePolicy(value));
      } else if (name === 'FifoQueue') {
        if (value === 'true') {
          throw new SqsError(
            'UnsupportedOperation',
            'FIFO queues are not supported by the local SQS server.',
          );
        }
      } else if (OPAQUE_ATTRIBUTES.has(name)) {
        settings[name] = value;
      } else {
        throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      }
    }
    return settings;
  }

  private parseRedrivePolicy(text: string): RedrivePolicy {
    const invalid = (reason: string): SqsError => invalidParameter('RedrivePolicy', text, reason);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw invalid('Redrive policy is not a valid JSON map.');
    }
    // SQS takes maxReceiveCount as a number or a numeric string.
    const parsed = z
      .object({ deadLetterTargetArn: z.string(), maxReceiveCount: z.coerce.number().int().min(1).max(1000) })
      .safeParse(json);
    if (!parsed.success) {
      throw invalid('Redrive policy needs a deadLetterTargetArn and a maxReceiveCount from 1 to 1000.');
    }
    if (this.byArn(parsed.data.deadLetterTargetArn) === undefined) {
      throw invalid('Dead letter target does not exist.');
    }
    return parsed.data;
  }
}

function isNumberAttribute(name: string): name is NumberAttribute {
  return Object.hasOwn(NUMBER_ATTRIBUTES, name);
}

function isKnownAttribute(name: string): boolean {
  return (
    isNumberAttribute(name) ||
    name === 'RedrivePolicy' ||
    OPAQUE_ATTRIBUTES.has(name) ||
    COMPUTED_ATTRIBUTES.has(name)
  );
}

function defaultOf(name: string): string | undefined {
  return isNumberAttribute(name) ? String(NUMBER_ATTRIBUTES[name].fallback) : undefined;
}

/** Opaque to the caller, new at each receive; it names the message so the store can find it. */
function newReceiptHandle(messageId: string): string {
  return Buffer.from(`${messageId} ${randomBytes(24).toString('base64url')}`).toString('base64');
}

function messageIdOf(receiptHandle: string): string {
  const [messageId, nonce, ...rest] = Buffer.from(receiptHandle, 'base64').toString('utf8').split(' ');
  if (
    messageId === undefined ||
    nonce === undefined ||
    rest.length > 0 ||
    !/^[0-9a-f-]{36}$/.test(messageId)
  ) {
    throw new SqsError(
      'ReceiptHandleIsInvalid',
      `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`,
    );
  }
  return messageId;
}
