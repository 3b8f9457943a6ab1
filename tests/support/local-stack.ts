import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '#local/stack';

/** The bootstrap (admin) token of every test stack: known, so tests need not read it back. */
export const TEST_TOKEN = 'ddor_test-bootstrap-token-not-a-secret-0000000000';

/**
 * The LOCAL_SOURCE_HEADER of every test stack (contract §1): tests name the source of each
 * subscription request, so one test process can be many viewers.
 */
export const TEST_SOURCE_HEADER = 'x-test-source';

/** One message as the SES server's `GET /store` lists it. */
export interface SentMail {
  readonly messageId: string;
  readonly from: string;
  readonly replyTo: readonly string[];
  readonly destination: {
    readonly to: readonly string[];
    readonly cc: readonly string[];
    readonly bcc: readonly string[];
  };
  readonly subject: string;
  readonly body: { readonly html?: string; readonly text?: string };
  /** Custom headers (List-Unsubscribe, …); missing for raw sends. */
  readonly headers?: readonly { readonly name: string; readonly value: string }[];
  /** Epoch seconds. */
  readonly at: number;
}

export interface ApiRequest {
  readonly method?: string;
  /** Sent as JSON unless a string (sent as is, e.g. a form body). */
  readonly body?: unknown;
  /** @default TEST_TOKEN; null sends no Authorization header */
  readonly token?: string | null;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface TestStack extends LocalStack {
  /** A request to the gateway, with the bootstrap token unless told otherwise. */
  api(path: string, request?: ApiRequest): Promise<Response>;
  /** Mail sent so far, oldest first. */
  sentMail(): Promise<SentMail[]>;
  /** Empties the mailbox (it is shared by every test in the file). */
  clearMail(): Promise<void>;
}

export type TestStackOptions = Omit<LocalStackOptions, 'dataDir'> & {
  /** @default a new temporary directory, removed at stop */
  readonly dataDir?: string;
};

/**
 * Starts a local stack for one test file: DynamoDB in memory, every server on a free port, a
 * temporary DATA_DIR and TEST_TOKEN. The functions are the real ones unless `intake` (and
 * `ensureBootstrapClient`) give stand-ins. One per process: process.env is global, and vitest
 * runs each file in its own process.
 */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'ddor-test-')));
  const temporary = options.dataDir === undefined ? dataDir : undefined;
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      inMemory: true,
      quiet: true,
      intakeToken: TEST_TOKEN,
      // The deployed waits, a hundred times shorter (a re-queued message's minute is 0.6 s).
      timeScale: 0.01,
      sourceHeader: TEST_SOURCE_HEADER,
      ...options,
      dataDir,
    });
  } catch (error) {
    if (temporary !== undefined) await rm(temporary, { recursive: true, force: true });
    throw error;
  }
  return {
    ...stack,
    async stop() {
      try {
        await stack.stop();
      } finally {
        if (temporary !== undefined) await rm(temporary, { recursive: true, force: true });
      }
    },
    api: (path, request = {}) => callApi(stack, path, request),
    async sentMail() {
      const response = await fetch(stack.urls.mailStore);
      if (!response.ok) throw new Error(`GET ${stack.urls.mailStore} answered ${response.status}`);
      const store = (await response.json()) as { emails: SentMail[] };
      return store.emails;
    },
    async clearMail() {
      const response = await fetch(new URL('/clear-store', stack.urls.mailbox), { method: 'POST' });
      if (!response.ok) throw new Error(`POST /clear-store answered ${response.status}`);
    },
  };
}

function callApi(stack: LocalStack, path: string, request: ApiRequest): Promise<Response> {
  const headers: Record<string, string> = {};
  const token = request.token === undefined ? stack.token : request.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (typeof request.body === 'string') {
    body = request.body;
  } else if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] = 'application/json';
  }
  return fetch(`${stack.urls.gateway}${path}`, {
    method: request.method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { ...headers, ...(request.headers ?? {}) },
    ...(body === undefined ? {} : { body }),
  });
}

/**
 * Starts a test stack before the file's tests and stops it after them. Call at the top of a test
 * file; the returned function gives the running stack inside tests.
 *
 * @example
 * const stack = useLocalStack();
 * it('creates a record', async () => {
 *   const response = await stack().api('/outcomes/d1', { method: 'PUT', body: record });
 *   expect(response.status).toBe(201);
 * });
 */
export function useLocalStack(
  options: TestStackOptions | (() => Promise<TestStackOptions>) = {},
): () => TestStack {
  let running: TestStack | undefined;
  beforeAll(async () => {
    running = await startTestStack(typeof options === 'function' ? await options() : options);
  });
  afterAll(async () => {
    await running?.stop();
    running = undefined;
  });
  return () => {
    if (running === undefined) throw new Error('the local stack is not running: use it inside a test');
    return running;
  };
}
