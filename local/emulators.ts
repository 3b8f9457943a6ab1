import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { guardHost } from './host-guard';
import { type FilesystemStore, makeAtomic } from './s3-atomic';

/** Every local server binds to loopback only: the stack holds tokens and unpublished records. */
export const LOCAL_HOST = '127.0.0.1';

/** s3rver checks signatures against these fixed credentials. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** A running emulator: where it listens, and how to stop it. */
export interface RunningEmulator {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Stops accepting connections and resolves once the server (and its store) is shut down. */
  close(): Promise<void>;
}

/** A fixed port was taken; `service` names which server wanted it so the caller can say which setting to change. */
export class PortInUseError extends Error {
  constructor(
    readonly service: string,
    readonly port: number,
  ) {
    super(`${service}: port ${port} on ${LOCAL_HOST} is already in use`);
    this.name = 'PortInUseError';
  }
}

/** Listens on `port` (0 = a free port chosen by the system) and resolves with the bound port. */
export function listen(server: Server, service: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(service, port) : error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(boundPort(server));
    };
    server.once('error', onError);
    server.once('listening', onListening);
    guardHost(server);
    server.listen(port, LOCAL_HOST);
  });
}

function boundPort(server: Server): number {
  const address: string | AddressInfo | null = server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not listening on TCP');
  return address.port;
}

/** After this long, connections still open at close (an idle browser tab, a stuck client) are cut. */
const CLOSE_GRACE_MS = 5_000;

/**
 * Closes a server once, however often it is asked: stop() may run from a signal and from a test's
 * teardown. Idle keep-alive connections are closed at once by Node; busy ones get a grace period.
 */
function closer(server: Server): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= new Promise<void>((resolve, reject) => {
      const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      force.unref();
      // dynalite answers `null` for success, node:http `undefined`.
      server.close((error?: NodeJS.ErrnoException | null) => {
        clearTimeout(force);
        if (error instanceof Error && error.code !== 'ERR_SERVER_NOT_RUNNING') {
          reject(error);
        } else {
          resolve();
        }
      });
    });
    return closing;
  };
}

export function running(server: Server, port: number): RunningEmulator {
  return { port, url: `http://${LOCAL_HOST}:${port}`, close: closer(server) };
}

export interface DynamoDbOptions {
  /** 0 or absent: a free port. */
  readonly port?: number;
  /** LevelDB directory for data kept between runs; absent: in memory (tests). */
  readonly path?: string;
}

/**
 * dynalite, the DynamoDB-compatible server. Its close() waits for pending writes and closes
 * LevelDB, which is what keeps the last writes on disk after Ctrl-C.
 */
export async function startDynamoDb(options: DynamoDbOptions = {}): Promise<RunningEmulator> {
  if (options.path !== undefined) await mkdir(options.path, { recursive: true });
  // Tables are ACTIVE at once, as the handlers never wait for table status.
  const server = dynalite({
    ...(options.path === undefined ? {} : { path: options.path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const port = await listen(server, 'DynamoDB', options.port ?? 0);
  return running(server, port);
}

/** A bucket to create at start; `configs` are S3 CORS or website configuration documents (XML). */
export type BucketSpec = string | { readonly name: string; readonly configs: readonly string[] };

export interface S3Options {
  readonly port?: number;
  /** Where objects are kept (a temporary directory in tests). */
  readonly directory: string;
  /** Created when missing; existing buckets keep their objects. */
  readonly buckets: readonly BucketSpec[];
}

/**
 * s3rver, the S3-compatible server. It is mounted on our own http.Server rather than started
 * with its run(), which leaves a taken port as an unhandled 'error' event that kills the process.
 */
export async function startS3(options: S3Options): Promise<RunningEmulator> {
  await mkdir(options.directory, { recursive: true });
  const s3 = new S3rver({
    directory: options.directory,
    silent: true,
    // Path-style only: virtual-host names would need DNS for *.localhost.
    vhostBuckets: false,
    configureBuckets: options.buckets.map((bucket) =>
      typeof bucket === 'string' ? { name: bucket } : { name: bucket.name, configs: [...bucket.configs] },
    ),
  });
  // S3 never serves a half-written object; s3rver can (see makeAtomic).
  makeAtomic(s3.store as FilesystemStore);
  await s3.configureBuckets();
  const server = createServer(s3.callback());
  const port = await listen(server, 'S3', options.port ?? 0);
  return running(server, port);
}

export interface SesOptions {
  readonly port?: number;
  /**
   * Where the mailbox is kept (`mail.jsonl`, one sent message a line, appended before the send is
   * answered), so sent mail survives a kill of the stack; absent: in memory only (tests).
   */
  readonly mailboxDir?: string;
}

/** The server's store module: a plain object the server's handlers call through at each send. */
interface SesStoreModule {
  saveEmail: (email: unknown) => void;
  clearStore: () => void;
  getStoreReadonly: () => { emails: unknown[] };
}

/**
 * Keeps aws-ses-v2-local's mailbox in a file: the messages already there are loaded, and each new
 * one is appended (synchronously, before the server answers the send) through the store module
 * the server itself calls; clearing the store empties the file. Appending keeps a send O(1).
 */
/** The mailbox file of the stack running in this process, if it keeps one. */
let mailboxFile: string | undefined;

async function persistMailbox(dir: string | undefined): Promise<void> {
  // The same module instance as the server's: CommonJS caches it by path.
  const store = createRequire(import.meta.url)('aws-ses-v2-local/dist/store.js') as SesStoreModule;
  const marked = store as SesStoreModule & { persisted?: boolean };
  if (!marked.persisted) {
    const save = store.saveEmail;
    const clear = store.clearStore;
    store.saveEmail = (email) => {
      if (mailboxFile !== undefined)
        appendFileSync(mailboxFile, `${JSON.stringify(email)}\n`, { mode: 0o600 });
      save(email);
    };
    store.clearStore = () => {
      if (mailboxFile !== undefined) writeFileSync(mailboxFile, '', { mode: 0o600 });
      clear();
    };
    marked.persisted = true;
  }
  mailboxFile = undefined;
  if (dir === undefined) return;
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'mail.jsonl');
  const kept = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
    : [];
  const emails = store.getStoreReadonly().emails;
  emails.length = 0;
  for (const line of kept) emails.push(JSON.parse(line));
  mailboxFile = file;
}

type SesServerFactory = (config?: { host?: string; port?: number }) => Promise<Server>;

/**
 * aws-ses-v2-local is CommonJS compiled from TypeScript: imported from ESM under tsx the server
 * function is at `default.default`, under other loaders at `default`. Take whichever is a function.
 */
async function loadSesServerFactory(): Promise<SesServerFactory> {
  const module: unknown = await import('aws-ses-v2-local');
  const outer = property(module, 'default');
  for (const candidate of [property(outer, 'default'), outer]) {
    if (typeof candidate === 'function') return candidate as SesServerFactory;
  }
  throw new Error('aws-ses-v2-local: no server function found in the module');
}

function property(value: unknown, key: string): unknown {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && key in value
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** Binds and releases a port to learn whether it is free. */
async function assertPortFree(service: string, port: number): Promise<void> {
  const probe = createServer();
  await listen(probe, service, port);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/**
 * aws-ses-v2-local, the SES-compatible server (v2 API). Sent mail is kept in memory and listed at
 * `GET /store`; the page at `/` is a mailbox viewer.
 */
export async function startSes(options: SesOptions = {}): Promise<RunningEmulator> {
  const port = options.port ?? 0;
  // Its listen error goes nowhere (the promise resolves with a server that is not listening), so
  // a fixed port is checked first to report it properly.
  if (port !== 0) await assertPortFree('SES', port);
  const createSesServer = await loadSesServerFactory();
  await persistMailbox(options.mailboxDir);
  const server = await createSesServer({ host: LOCAL_HOST, port });
  if (!server.listening) throw new PortInUseError('SES', port);
  guardHost(server);
  return running(server, boundPort(server));
}
