import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { LOCAL_HOST, listen, type RunningEmulator } from '#local/emulators';
import { md5OfBody, md5OfMessageAttributes, type WireMessageAttribute } from './digests';
import { invalidParameter, missingParameter, queueDoesNotExist, SqsError } from './errors';
import { ACCOUNT_ID, type NewMessage, QueueStore, type ReceivedMessage } from './queues';

export interface SqsServerOptions {
  /** 0 or absent: a free port. */
  readonly port?: number;
  /**
   * Where the queues are kept between runs (`queues.json`, written shortly after each change and
   * at close, read at start); absent: in memory only (tests).
   */
  readonly dataDir?: string;
  /** Where unexpected errors are reported. @default stderr */
  readonly logError?: (message: string, error: unknown) => void;
  /** LOCAL_TIME_SCALE: message delays are multiplied by it. @default 1 */
  readonly timeScale?: number;
}

export interface SqsServer extends RunningEmulator {
  /** `http://127.0.0.1:PORT/000000000000/<name>`, the URL the server gives the queue. */
  queueUrl(name: string): string;
  /**
   * Answers waiting long polls (empty), stops accepting requests, lets those in progress finish,
   * then writes the queues to `dataDir`.
   */
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

interface OperationContext {
  readonly store: QueueStore;
  readonly queueUrl: (name: string) => string;
  /** Aborted when the client goes away or the server closes: a long poll then answers at once. */
  readonly signal: AbortSignal;
  /** Resolves once every change made so far is on disk (at once for a server in memory). */
  readonly saved: () => Promise<void>;
}

type Operation = (input: Json, context: OperationContext) => Json | Promise<Json>;

/** Bodies past this are refused unread: SQS's own limit is a 1 MiB batch, which base64 and JSON grow. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** After this long, connections still open at close are cut. */
const CLOSE_GRACE_MS = 5_000;
const MAX_BATCH_ENTRIES = 10;
/** SQS's limit for one message and for a whole batch. */
const MAX_PAYLOAD_BYTES = 1_048_576;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * An SQS-compatible server speaking the AWS JSON 1.0 protocol that `@aws-sdk/client-sqs` uses:
 * `POST /` with `X-Amz-Target: AmazonSQS.<Operation>`. Signatures are not checked, so any
 * credentials work. Standard queues only.
 */
export async function startSqsServer(options: SqsServerOptions = {}): Promise<SqsServer> {
  const logError = options.logError ?? ((message, error) => console.error(`SQS: ${message}`, error));
  const path = options.dataDir === undefined ? undefined : join(options.dataDir, 'queues.json');
  const persistence = path === undefined ? undefined : new Persistence(path, logError);
  const onChange = () => persistence?.markChanged();
  const timeScale = options.timeScale ?? 1;
  const store =
    path === undefined ? new QueueStore(onChange, timeScale) : await loadStore(path, onChange, timeScale);
  persistence?.attach(store);

  const requests = new Set<AbortController>();
  let stopping = false;
  let port = 0;
  const queueUrl = (name: string): string => `http://${LOCAL_HOST}:${port}/${ACCOUNT_ID}/${name}`;
  const server = createServer((request, response) => {
    const controller = new AbortController();
    requests.add(controller);
    response.on('close', () => {
      requests.delete(controller);
      if (!response.writableFinished) controller.abort();
    });
    // Once closing, answers end their connection, so a client's keep-alive socket cannot hold close() up.
    const keepAlive = () => !stopping;
    const saved = () => persistence?.commit() ?? Promise.resolve();
    handle(
      request,
      response,
      { store, queueUrl, signal: controller.signal, saved },
      keepAlive,
      logError,
    ).catch((error: unknown) => logError('could not answer a request', error));
  });
  port = await listen(server, 'SQS', options.port ?? 0);

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    stopping = true;
    for (const controller of requests) controller.abort();
    await new Promise<void>((resolve, reject) => {
      const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      force.unref();
      server.close((error?: NodeJS.ErrnoException) => {
        clearTimeout(force);
        if (error !== undefined && error.code !== 'ERR_SERVER_NOT_RUNNING') reject(error);
        else resolve();
      });
    });
    // Last, once no request can change the queues any more.
    await persistence?.flush();
  };
  return {
    port,
    url: `http://${LOCAL_HOST}:${port}`,
    queueUrl,
    close() {
      closing ??= close();
      return closing;
    },
  };
}

async function loadStore(path: string, onChange: () => void, timeScale: number): Promise<QueueStore> {
  await mkdir(dirname(path), { recursive: true });
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new QueueStore(onChange, timeScale);
    throw error;
  }
  // A damaged file is reported, never silently replaced: it may hold unsent work.
  try {
    return QueueStore.fromJSON(JSON.parse(text), onChange, timeScale);
  } catch (error) {
    throw new Error(`SQS: ${path} is not a queue file this server wrote; move it away to start empty`, {
      cause: error,
    });
  }
}

/**
 * Writes the store whole then renames, so a crash mid-write leaves the previous file. A change is
 * on disk before the request that made it is answered, as SQS stores a message before it
 * acknowledges it: a process killed right after `SendMessage` answered keeps the message.
 * Requests that change the store while a write is running share the next write.
 */
class Persistence {
  private store: QueueStore | undefined;
  private changed = false;
  /** The write that will cover every change made until it starts. */
  private next: Promise<void> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly logError: (message: string, error: unknown) => void,
  ) {}

  attach(store: QueueStore): void {
    this.store = store;
  }

  markChanged(): void {
    this.changed = true;
  }

  commit(): Promise<void> {
    if (this.next !== undefined) return this.next;
    if (!this.changed) return this.writing;
    const next = this.writing.then(() => {
      // The snapshot is taken now: later changes need a later write.
      this.next = undefined;
      this.changed = false;
      return this.write();
    });
    this.next = next;
    this.writing = next.catch((error) => this.logError('could not save', error));
    return next;
  }

  async flush(): Promise<void> {
    await this.writing;
    await this.write();
  }

  private async write(): Promise<void> {
    if (this.store === undefined) return;
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(this.store.toJSON()));
    await rename(temporary, this.path);
  }
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  context: OperationContext,
  keepAlive: () => boolean,
  logError: (message: string, error: unknown) => void,
): Promise<void> {
  let status = 200;
  let headers: Record<string, string> = {};
  let body: string;
  try {
    const operation = operationOf(request);
    const input = await readInput(request);
    body = JSON.stringify(await operation(input, context));
    // Durable before acknowledged: what this request changed is saved before it is answered.
    await context.saved();
  } catch (error) {
    let failure: SqsError;
    if (error instanceof SqsError) {
      failure = error;
    } else {
      logError(`${String(request.headers['x-amz-target'])} failed`, error);
      failure = new SqsError('InternalError', 'We encountered an internal error. Please try again.');
    }
    ({ status, headers, body } = failure.toResponse());
  }
  if (response.destroyed) return;
  response.writeHead(status, {
    ...headers,
    ...(keepAlive() ? {} : { connection: 'close' }),
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': randomUUID(),
  });
  response.end(body);
}

function operationOf(request: IncomingMessage): Operation {
  const target = request.headers['x-amz-target'];
  if (request.method !== 'POST' || typeof target !== 'string' || !target.startsWith('AmazonSQS.')) {
    throw new SqsError(
      'UnsupportedOperation',
      'The local SQS server speaks the AWS JSON protocol only: POST with X-Amz-Target: AmazonSQS.<Operation>.',
    );
  }
  const name = target.slice('AmazonSQS.'.length);
  const operation = Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
  if (operation === undefined) {
    throw new SqsError('UnknownOperationException', `The local SQS server does not implement ${name}.`);
  }
  return operation;
}

async function readInput(request: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_REQUEST_BYTES) {
      throw new SqsError('BatchRequestTooLong', `Requests cannot be longer than ${MAX_REQUEST_BYTES} bytes.`);
    }
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let input: unknown;
  try {
    input = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new SqsError('SerializationException', 'The request body is not valid JSON.');
  }
  if (!isJson(input)) throw new SqsError('SerializationException', 'The request body is not a JSON object.');
  return input;
}

const OPERATIONS: Readonly<Record<string, Operation>> = {
  CreateQueue(input, { store, queueUrl }) {
    const name = requiredString(input, 'QueueName');
    store.create(name, stringMap(input, 'Attributes'));
    return { QueueUrl: queueUrl(name) };
  },

  GetQueueUrl(input, { store, queueUrl }) {
    const name = requiredString(input, 'QueueName');
    if (!store.has(name)) throw queueDoesNotExist();
    return { QueueUrl: queueUrl(name) };
  },

  ListQueues(input, { store, queueUrl }) {
    const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
    const maxResults = optionalInteger(input, 'MaxResults', 1, 1000);
    const names = store.names().filter((name) => name.startsWith(prefix));
    const start = Number(optionalString(input, 'NextToken') ?? '0') || 0;
    const page = maxResults === undefined ? names.slice(start) : names.slice(start, start + maxResults);
    const next = start + page.length;
    return {
      ...(page.length === 0 ? {} : { QueueUrls: page.map(queueUrl) }),
      ...(maxResults !== undefined && next < names.length ? { NextToken: String(next) } : {}),
    };
  },

  DeleteQueue(input, { store }) {
    store.delete(queueName(input, store));
    return {};
  },

  GetQueueAttributes(input, { store }) {
    const names = stringList(input, 'AttributeNames');
    const attributes = store.getAttributes(queueName(input, store), names);
    return Object.keys(attributes).length === 0 ? {} : { Attributes: attributes };
  },

  SetQueueAttributes(input, { store }) {
    store.setAttributes(queueName(input, store), stringMap(input, 'Attributes'));
    return {};
  },

  PurgeQueue(input, { store }) {
    // SQS allows one purge a minute (PurgeQueueInProgress); locally a purge is immediate and unlimited.
    store.purge(queueName(input, store));
    return {};
  },

  SendMessage(input, { store }) {
    const name = queueName(input, store);
    return sentOutput(store.send(name, newMessage(input, store.maximumMessageSize(name))));
  },

  SendMessageBatch(input, { store }) {
    const name = queueName(input, store);
    const entries = batchEntries(input, 'SendMessageBatchRequestEntry');
    const total = entries.reduce((sum, entry) => sum + payloadBytes(entry), 0);
    if (total > MAX_PAYLOAD_BYTES) {
      throw new SqsError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${MAX_PAYLOAD_BYTES} bytes. You have sent ${total} bytes.`,
      );
    }
    const maxSize = store.maximumMessageSize(name);
    return eachEntry(entries, (entry) => sentOutput(store.send(name, newMessage(entry, maxSize))));
  },

  async ReceiveMessage(input, { store, signal }) {
    const name = queueName(input, store);
    const max = optionalInteger(input, 'MaxNumberOfMessages', 1, MAX_BATCH_ENTRIES) ?? 1;
    const visibilityTimeout = optionalInteger(input, 'VisibilityTimeout', 0, 43_200);
    const waitSeconds = optionalInteger(input, 'WaitTimeSeconds', 0, 20) ?? store.receiveWaitSeconds(name);
    // AttributeNames is the deprecated spelling of MessageSystemAttributeNames; SDKs send either.
    const systemNames = [
      ...stringList(input, 'AttributeNames'),
      ...stringList(input, 'MessageSystemAttributeNames'),
    ];
    const attributeNames = stringList(input, 'MessageAttributeNames');
    const messages = await receiveWaiting(store, name, max, visibilityTimeout, waitSeconds, signal);
    if (messages.length === 0) return {};
    return { Messages: messages.map((message) => receivedOutput(message, systemNames, attributeNames)) };
  },

  DeleteMessage(input, { store }) {
    store.deleteMessage(queueName(input, store), requiredString(input, 'ReceiptHandle'));
    return {};
  },

  DeleteMessageBatch(input, { store }) {
    const name = queueName(input, store);
    return eachEntry(batchEntries(input, 'DeleteMessageBatchRequestEntry'), (entry) => {
      store.deleteMessage(name, requiredString(entry, 'ReceiptHandle'));
      return {};
    });
  },

  ChangeMessageVisibility(input, { store }) {
    store.changeVisibility(
      queueName(input, store),
      requiredString(input, 'ReceiptHandle'),
      requiredInteger(input, 'VisibilityTimeout', 0, 43_200),
    );
    return {};
  },

  ChangeMessageVisibilityBatch(input, { store }) {
    const name = queueName(input, store);
    return eachEntry(batchEntries(input, 'ChangeMessageVisibilityBatchRequestEntry'), (entry) => {
      store.changeVisibility(
        name,
        requiredString(entry, 'ReceiptHandle'),
        requiredInteger(entry, 'VisibilityTimeout', 0, 43_200),
      );
      return {};
    });
  },
};

/**
 * Receives at once when messages are visible; otherwise waits up to `waitSeconds` for one to be
 * sent or to become visible again, and answers as soon as there is one (SQS long polling).
 */
async function receiveWaiting(
  store: QueueStore,
  name: string,
  max: number,
  visibilityTimeout: number | undefined,
  waitSeconds: number,
  signal: AbortSignal,
): Promise<ReceivedMessage[]> {
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    // A client that has gone away must not take messages it will never see.
    if (signal.aborted) return [];
    const messages = store.receive(name, max, visibilityTimeout);
    if (messages.length > 0 || Date.now() >= deadline) return messages;
    const wakeAt = Math.min(deadline, store.nextVisibleAt(name) ?? deadline);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        unsubscribe();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, wakeAt - Date.now()));
      const unsubscribe = store.subscribe(name, done);
      signal.addEventListener('abort', done);
    });
  }
}

function queueName(input: Json, store: QueueStore): string {
  return store.nameFromUrl(requiredString(input, 'QueueUrl'));
}

function newMessage(input: Json, maxSize: number): NewMessage {
  const body = requiredString(input, 'MessageBody');
  if (body === '') throw missingParameter('MessageBody');
  const attributes = messageAttributes(input);
  const delaySeconds = optionalInteger(input, 'DelaySeconds', 0, 900);
  const system = optionalObject(input, 'MessageSystemAttributes');
  const trace = system === undefined ? undefined : optionalObject(system, 'AWSTraceHeader');
  const traceHeader = trace === undefined ? undefined : optionalString(trace, 'StringValue');
  const size = payloadBytes(input);
  if (size > maxSize) {
    throw new SqsError(
      'InvalidParameterValue',
      `One or more parameters are invalid. Reason: Message must be shorter than ${maxSize} bytes.`,
    );
  }
  return {
    body,
    attributes,
    ...(delaySeconds === undefined ? {} : { delaySeconds }),
    ...(traceHeader === undefined ? {} : { traceHeader }),
  };
}

function messageAttributes(input: Json): Record<string, WireMessageAttribute> {
  const given = optionalObject(input, 'MessageAttributes') ?? {};
  const names = Object.keys(given);
  if (names.length > 10) {
    throw new SqsError(
      'InvalidParameterValue',
      `Number of message attributes [${names.length}] exceeds the allowed maximum [10].`,
    );
  }
  const attributes: Record<string, WireMessageAttribute> = {};
  for (const name of names) {
    const value = optionalObject(given, name) ?? {};
    const dataType = optionalString(value, 'DataType');
    const stringValue = optionalString(value, 'StringValue');
    const binaryValue = optionalString(value, 'BinaryValue');
    const binary = dataType?.startsWith('Binary') === true;
    const valid =
      dataType !== undefined &&
      /^(String|Number|Binary)(\..+)?$/.test(dataType) &&
      (binary ? binaryValue !== undefined : stringValue !== undefined);
    if (!valid) {
      throw new SqsError(
        'InvalidParameterValue',
        `The message attribute '${name}' must have a DataType of String, Number or Binary and a matching value.`,
      );
    }
    attributes[name] = binary
      ? { DataType: dataType, BinaryValue: binaryValue }
      : { DataType: dataType, StringValue: stringValue };
  }
  return attributes;
}

/** A message's size as SQS counts it: the body plus each attribute's name, type and value. */
function payloadBytes(input: Json): number {
  let size = Buffer.byteLength(optionalString(input, 'MessageBody') ?? '');
  const attributes = optionalObject(input, 'MessageAttributes') ?? {};
  for (const [name, value] of Object.entries(attributes)) {
    if (!isJson(value)) continue;
    size += Buffer.byteLength(name) + Buffer.byteLength(optionalString(value, 'DataType') ?? '');
    size += Buffer.byteLength(optionalString(value, 'StringValue') ?? '');
    size += Buffer.from(optionalString(value, 'BinaryValue') ?? '', 'base64').length;
  }
  return size;
}

function sentOutput(message: ReturnType<QueueStore['send']>): Json {
  const attributesMd5 = md5OfMessageAttributes(message.attributes);
  return {
    MessageId: message.id,
    MD5OfMessageBody: md5OfBody(message.body),
    ...(attributesMd5 === undefined ? {} : { MD5OfMessageAttributes: attributesMd5 }),
  };
}

function receivedOutput(
  message: ReceivedMessage,
  systemNames: readonly string[],
  attributeNames: readonly string[],
): Json {
  const system: Record<string, string | undefined> = {
    SenderId: ACCOUNT_ID,
    SentTimestamp: String(message.sentAt),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
    AWSTraceHeader: message.traceHeader,
    DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn,
  };
  const allSystem = systemNames.includes('All');
  const attributes = Object.fromEntries(
    Object.entries(system).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && (allSystem || systemNames.includes(entry[0])),
    ),
  );
  const messageAttributes = Object.fromEntries(
    Object.entries(message.attributes).filter(([name]) =>
      attributeNames.some((wanted) => matches(wanted, name)),
    ),
  );
  const attributesMd5 = md5OfMessageAttributes(messageAttributes);
  return {
    MessageId: message.id,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: md5OfBody(message.body),
    Body: message.body,
    ...(Object.keys(attributes).length === 0 ? {} : { Attributes: attributes }),
    ...(attributesMd5 === undefined
      ? {}
      : { MD5OfMessageAttributes: attributesMd5, MessageAttributes: messageAttributes }),
  };
}

/** `All` and `.*` match every attribute, `prefix.*` those under the prefix, anything else one name. */
function matches(wanted: string, name: string): boolean {
  if (wanted === 'All' || wanted === '.*') return true;
  if (wanted.endsWith('.*')) return name.startsWith(wanted.slice(0, -1));
  return wanted === name;
}

/** The batch's entries, after the checks SQS makes on the batch as a whole. */
function batchEntries(input: Json, entryName: string): Json[] {
  const entries = input.Entries;
  if (entries === undefined || (Array.isArray(entries) && entries.length === 0)) {
    throw new SqsError('EmptyBatchRequest', `There should be at least one ${entryName} in the request.`);
  }
  if (!Array.isArray(entries) || !entries.every(isJson))
    throw invalidParameter('Entries', entries, 'Not a list.');
  if (entries.length > MAX_BATCH_ENTRIES) {
    throw new SqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
    );
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    const id = entry.Id;
    if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) {
      throw new SqsError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (seen.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
  }
  return entries;
}

/** Runs each entry on its own: one entry's error is its Failed entry, not the request's. */
function eachEntry(entries: readonly Json[], run: (entry: Json) => Json): Json {
  const successful: Json[] = [];
  const failed: Json[] = [];
  for (const entry of entries) {
    const id = String(entry.Id);
    try {
      successful.push({ Id: id, ...run(entry) });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      failed.push({ Id: id, SenderFault: error.senderFault, Code: error.code, Message: error.message });
    }
  }
  return { Successful: successful, Failed: failed };
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(input: Json, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(name, value, 'Must be a string.');
  return value;
}

function requiredString(input: Json, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined) throw missingParameter(name);
  return value;
}

function optionalInteger(input: Json, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(name, value, `Must be between ${min} and ${max}, if provided.`);
  }
  return value;
}

function requiredInteger(input: Json, name: string, min: number, max: number): number {
  const value = optionalInteger(input, name, min, max);
  if (value === undefined) throw missingParameter(name);
  return value;
}

function optionalObject(input: Json, name: string): Json | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!isJson(value)) throw invalidParameter(name, value, 'Must be a map.');
  return value;
}

function stringList(input: Json, name: string): string[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw invalidParameter(name, value, 'Must be a list of strings.');
  }
  return value;
}

function stringMap(input: Json, name: string): Record<string, string> {
  const value = optionalObject(input, name) ?? {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string')
      throw new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${key}.`);
  }
  return value as Record<string, string>;
}
