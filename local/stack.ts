import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { reportTimeZone } from '#config/env';
import { FUNCTIONS } from '#config/runtime';
import { securityHeaderMap } from '#lib/security-headers';
import { type CdnStandIn, startCdnStandIn } from './cdn';
import {
  type BucketSpec,
  LOCAL_HOST,
  type RunningEmulator,
  S3RVER_CREDENTIALS,
  startDynamoDb,
  startS3,
  startSes,
} from './emulators';
import { type Gateway, type HttpFunction, type Route, startGateway } from './gateway';
import { productQueues, startWeeklySchedule } from './product';
import { type SesSimulator, startSesSimulator } from './ses-simulator';
import { isSitePath, seedEmptySite, siteOrigin } from './site-origin';
import { type Poller, type SqsFunction, startPoller } from './sqs/poller';
import { queueArn } from './sqs/queues';
import { type SqsServer, startSqsServer } from './sqs/server';
import {
  isProcessAlive,
  peekStackFile,
  type StackFile,
  type StartingStackFile,
  stackFilePath,
} from './stack-file';
import { subscriptionEnvironment } from './subscription-environment';
import { ensureTables, localTableEnvironment } from './tables';

export interface LocalStackOptions {
  /** Where data is kept between runs: `dynamodb/`, `s3/`, `sqs/`, `intake-token`, `stack.json`. */
  readonly dataDir: string;
  /** DynamoDB and SQS in memory instead of under `dataDir` (tests). S3 objects still go to `dataDir/s3`. */
  readonly inMemory?: boolean;
  /** The gateway's port. @default 0, a free port */
  readonly port?: number;
  readonly dynamodbPort?: number;
  readonly s3Port?: number;
  readonly sesPort?: number;
  /** The SQS-compatible server's port. @default 0, a free port */
  readonly sqsPort?: number;
  /** The CloudFront stand-in's port. @default 0, a free port */
  readonly cdnPort?: number;
  /** Queues to create, each with the function that consumes it (its event source mapping). */
  readonly queues?: readonly LocalQueue[];
  /** The bootstrap token. @default env INTAKE_TOKEN, else `dataDir/intake-token`, else a new one kept there */
  readonly intakeToken?: string;
  /** No progress lines on stdout (tests). */
  readonly quiet?: boolean;
  /** A stand-in for `lambdas/intake/api/handler` (tests of the stack itself). */
  readonly intake?: HttpFunction;
  /** A stand-in for `ensureBootstrapClient` from `lambdas/adapters/bootstrap-client`. */
  readonly ensureBootstrapClient?: (token: string) => Promise<void>;
  /** More functions behind the gateway, matched in order before the intake function's catch-all. */
  readonly routes?: readonly Route[];
  /** Run the weekly schedule (croner) as EventBridge Scheduler does deployed. @default false */
  readonly schedule?: boolean;
  /**
   * LOCAL_TIME_SCALE (contract §1): every local wait (queue visibility, never below the consumer's
   * own timeout; message delays) is multiplied by it, so tests keep the deployed relationships and
   * still finish. @default 1
   */
  readonly timeScale?: number;
  /** Headers added to every gateway response (the site's security headers, once defined). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A queue and the function that consumes it, as an SQS event source mapping deploys them. Kept
 * queues (not `inMemory`) keep their messages across runs and take these settings at each start.
 */
export interface LocalQueue {
  readonly name: string;
  /** The variable that gives the functions the queue URL (e.g. `SEND_QUEUE_URL`), set before they are imported. */
  readonly envVar: string;
  /** Seconds a received message stays hidden. @default 30 */
  readonly visibilityTimeout?: number;
  /** The dead-letter queue, created too; needs `maxReceiveCount`. */
  readonly dlqName?: string;
  /** Receives before a message moves to `dlqName`. */
  readonly maxReceiveCount?: number;
  /** Imports the consuming function once the environment is set, e.g. `async () => (await import('#lambdas/mail/send/handler')).handler`. */
  readonly loadHandler: () => Promise<SqsFunction>;
  /** The function name in the fake Lambda context and in error logs. @default `name` */
  readonly functionName?: string;
  /** Records per invocation, 1–10. @default 10 */
  readonly batchSize?: number;
  /** Invocations in flight at once. @default 2 */
  readonly maxConcurrency?: number;
  /** The consuming function's timeout, past which its answer is lost. @default 30 */
  readonly timeoutSeconds?: number;
  /** How long to gather a batch once a first message is there. @default 0 */
  readonly maxBatchingWindowMs?: number;
}

export interface LocalStackPorts {
  readonly gateway: number;
  readonly dynamodb: number;
  readonly s3: number;
  readonly ses: number;
  readonly sqs: number;
  /** The CloudFront stand-in (CreateInvalidation with CloudFront's in-progress limits). */
  readonly cdn: number;
}

export interface LocalStackUrls {
  /** The API and the hosted site. */
  readonly gateway: string;
  readonly health: string;
  readonly openapi: string;
  /** The SES server's mailbox viewer. */
  readonly mailbox: string;
  /** Sent mail as JSON (`GET`); `POST /clear-store` on the same server empties it. */
  readonly mailStore: string;
  readonly s3: string;
  readonly dynamodb: string;
  /** The SQS-compatible server (AWS JSON protocol); queue URLs are under it. */
  readonly sqs: string;
  /** The CloudFront stand-in; `GET /_local/invalidations` lists what was asked. */
  readonly cdn: string;
}

export interface LocalStack {
  readonly urls: LocalStackUrls;
  readonly ports: LocalStackPorts;
  /** The bootstrap (admin and intake) token. */
  readonly token: string;
  /** Where the token came from: the option or INTAKE_TOKEN, `dataDir/intake-token`, or made now and kept there. */
  readonly tokenSource: TokenSource;
  /** Absolute. */
  readonly dataDir: string;
  /** Env var → local table name. */
  readonly tables: Readonly<Record<string, string>>;
  /** Env var → local bucket name. */
  readonly buckets: Readonly<Record<string, string>>;
  /** Env var → queue URL, for the queues of `options.queues`. */
  readonly queues: Readonly<Record<string, string>>;
  /** The variables set on process.env for the functions (also what a child process needs to reach the stack). */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Stops the queue pollers (invocations in flight finish), closes the gateway (requests in flight
   * finish), then the emulators and the SQS server (which writes its queues), then removes stack.json.
   */
  stop(): Promise<void>;
}

/** The buckets of the local stack, by the environment variable that names each for the functions. */
export const LOCAL_BUCKETS: Readonly<Record<string, string>> = {
  SITE_BUCKET: 'ddor-site',
  DATA_BUCKET: 'ddor-data',
};

/** The functions' environment apart from endpoints and names: region and credentials every emulator accepts. */
/** The distribution id the local publisher invalidates (the CDN stand-in takes any). */
export const LOCAL_DISTRIBUTION_ID = 'EDDORLOCAL';

const BASE_ENVIRONMENT = {
  AWS_REGION: 'us-east-1',
  // s3rver checks signatures against these; dynalite and the SES server take any credentials.
  AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  // s3rver stores aws-chunked framing as the object; checksums only where S3 requires them avoids it.
  AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
  AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const satisfies Readonly<Record<string, string>>;

/** A developer's own AWS settings must not leak into local calls (a session token, another profile). */
const CLEARED_ENVIRONMENT = ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_ENDPOINT_URL'];

/** What the functions' environment is derived from: a starting stack, or a running one's stack.json. */
export interface StackEnvironmentSource {
  /** `sqs` is absent from the stack.json of a stack older than its SQS server. */
  readonly ports: Pick<LocalStackPorts, 'dynamodb' | 's3' | 'ses'> & {
    readonly sqs?: number | undefined;
    /** Absent from the stack.json of a stack older than its CDN stand-in. */
    readonly cdn?: number | undefined;
  };
  readonly tables: Readonly<Record<string, string>>;
  readonly buckets: Readonly<Record<string, string>>;
  /** Env var → queue URL. */
  readonly queues?: Readonly<Record<string, string>> | undefined;
  /** With `dataDir`: the subscription functions' SITE_URL, MAIL_FROM and secret file are set too. */
  readonly gateway?: string;
  readonly dataDir?: string;
}

/**
 * The environment the functions run with locally: region, credentials, the standard
 * AWS_ENDPOINT_URL_<SERVICE> variables (the SDK reads them; no code path differs), the
 * table and bucket names and the queue URLs. A command that calls the functions' code directly against a running
 * stack applies the same with `applyLocalEnvironment(await readStackFile(dataDir))`.
 */
export function localEnvironment(source: StackEnvironmentSource): Record<string, string> {
  return {
    ...BASE_ENVIRONMENT,
    AWS_ENDPOINT_URL_DYNAMODB: `http://${LOCAL_HOST}:${source.ports.dynamodb}`,
    AWS_ENDPOINT_URL_S3: `http://${LOCAL_HOST}:${source.ports.s3}`,
    AWS_ENDPOINT_URL_SESV2: `http://${LOCAL_HOST}:${source.ports.ses}`,
    ...(source.ports.sqs === undefined
      ? {}
      : { AWS_ENDPOINT_URL_SQS: `http://${LOCAL_HOST}:${source.ports.sqs}` }),
    // The publisher invalidates through the same code as deployed, against the stand-in's limits.
    ...(source.ports.cdn === undefined
      ? {}
      : {
          AWS_ENDPOINT_URL_CLOUDFRONT: `http://${LOCAL_HOST}:${source.ports.cdn}`,
          DISTRIBUTION_ID: LOCAL_DISTRIBUTION_ID,
        }),
    ...source.tables,
    ...source.buckets,
    ...source.queues,
    ...(source.gateway === undefined || source.dataDir === undefined
      ? {}
      : subscriptionEnvironment({ gateway: source.gateway, dataDir: source.dataDir })),
  };
}

/** Sets localEnvironment() on process.env; must run before the functions' modules are imported. */
export function applyLocalEnvironment(source: StackEnvironmentSource): Record<string, string> {
  const environment = localEnvironment(source);
  for (const name of CLEARED_ENVIRONMENT) delete process.env[name];
  Object.assign(process.env, environment);
  return environment;
}

/** Another stack holds this DATA_DIR: two processes on one LevelDB directory crash. */
export class StackAlreadyRunningError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `a local stack is already running for DATA_DIR=${dataDir} (process ${pid}); stop it first or ` +
        `set DATA_DIR to another directory (if process ${pid} is not a local stack, delete ${stackFilePath(dataDir)})`,
    );
    this.name = 'StackAlreadyRunningError';
  }
}

/** process.env is global, so the stack is one per process. */
let runningInThisProcess = false;

/**
 * Starts the local stack: emulators, tables, the intake function behind the gateway, and the
 * bootstrap client. The functions' environment is set before they are imported, so their SDK
 * clients reach the emulators through the standard AWS_ENDPOINT_URL_<SERVICE> variables alone.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  if (runningInThisProcess) throw new Error('a local stack is already running in this process');
  runningInThisProcess = true;
  const dataDir = resolve(options.dataDir);
  const log = options.quiet === true ? () => undefined : (line: string) => console.log(line);
  let claimed = false;
  let gateway: Gateway | undefined;
  let emulators: Emulators | undefined;
  let simulator: SesSimulator | undefined;
  let weekly: { stop(): void } | undefined;
  const pollers: Poller[] = [];
  let pollerClient: SQSClient | undefined;
  const shutDown = async (): Promise<void> => {
    const failures: unknown[] = [];
    const attempt = async (step: () => Promise<void>): Promise<void> => {
      try {
        await step();
      } catch (error) {
        failures.push(error);
      }
    };
    // The pollers and the gateway first, so that no function is mid-write when the stores close.
    weekly?.stop();
    await attempt(() => stopPollers(pollers));
    pollerClient?.destroy();
    if (gateway !== undefined) await attempt(gateway.close);
    // Then the SES simulator, whose mail-events calls write to the stores too.
    if (simulator !== undefined) await attempt(simulator.stop);
    if (emulators !== undefined) await attempt(() => closeAll(Object.values(emulators ?? {})));
    if (claimed) await attempt(() => releaseDataDir(dataDir));
    runningInThisProcess = false;
    if (failures.length > 0) throw new AggregateError(failures, 'the local stack did not stop cleanly');
  };

  try {
    await mkdir(dataDir, { recursive: true });
    await claimDataDir(dataDir, log);
    claimed = true;
    // Listening first claims PORT at once (503 until ready), before any emulator opens data.
    gateway = await startGateway({ port: options.port ?? 0, headers: options.headers ?? {} });
    emulators = await startEmulators(dataDir, options);

    const ports: LocalStackPorts = {
      gateway: gateway.port,
      dynamodb: emulators.dynamodb.port,
      s3: emulators.s3.port,
      ses: emulators.ses.port,
      sqs: emulators.sqs.port,
      cdn: emulators.cdn.port,
    };
    const sqs = emulators.sqs;
    const localQueues = options.queues ?? productQueues(options.timeScale ?? 1);
    const queues = Object.fromEntries(localQueues.map((queue) => [queue.envVar, sqs.queueUrl(queue.name)]));
    // Before any SDK client exists: clients read region, endpoints and the warning switch at creation.
    const environment = applyLocalEnvironment({
      ports,
      tables: localTableEnvironment(),
      buckets: LOCAL_BUCKETS,
      queues,
      gateway: gateway.url,
      dataDir,
    });
    const tables = await createTables(emulators.dynamodb.url);
    await createQueues(sqs, localQueues);

    const { token, source: tokenSource } = await bootstrapToken(dataDir, options.intakeToken);
    // Imported only now: the functions read their environment when first loaded and used.
    const intake: HttpFunction = options.intake ?? (await import('#lambdas/intake/api/handler')).handler;
    const ensureBootstrapClient =
      options.ensureBootstrapClient ?? (await import('#adapters/bootstrap-client')).ensureBootstrapClient;
    await ensureBootstrapClient(token);

    const urls = stackUrls(gateway, emulators);
    const subscriptions: HttpFunction = (await import('#lambdas/subscriptions/api/handler')).handler;
    gateway.setRouting({
      routes: [
        ...(options.routes ?? []),
        {
          match: '/subscriptions',
          name: 'subscriptions',
          handler: subscriptions,
          timeoutMs: FUNCTIONS.subscriptions.timeoutSeconds * 1000,
          headers: securityHeaderMap(),
        },
        {
          match: isSitePath,
          name: 'site',
          handler: siteOrigin(LOCAL_BUCKETS.SITE_BUCKET ?? 'ddor-site'),
          headers: securityHeaderMap(),
        },
      ],
      fallback: { name: 'intake', handler: intake, timeoutMs: FUNCTIONS.intake.timeoutSeconds * 1000 },
    });
    // Mail to the SES mailbox simulator bounces or complains, through the mail-events function.
    if (options.schedule === true) {
      const run = startWeeklySchedule(log);
      weekly = run;
      log(
        `weekly schedule: ${run.pattern} (${reportTimeZone()}), next run ${run.next?.toISOString() ?? 'none'}`,
      );
    }
    await seedEmptySite(LOCAL_BUCKETS.SITE_BUCKET ?? 'ddor-site');
    simulator = startSesSimulator({
      storeUrl: urls.mailStore,
      handler: (await import('#lambdas/subscriptions/mail-events/handler')).handler,
    });
    // Last, so that each function finds the stack complete at its first message.
    pollerClient = new SQSClient({
      endpoint: sqs.url,
      region: BASE_ENVIRONMENT.AWS_REGION,
      credentials: S3RVER_CREDENTIALS,
    });
    for (const queue of localQueues) {
      pollers.push(
        await startPoller({
          client: pollerClient,
          queueUrl: sqs.queueUrl(queue.name),
          handler: await queue.loadHandler(),
          functionName: queue.functionName ?? queue.name,
          ...(queue.timeoutSeconds === undefined ? {} : { timeoutMs: queue.timeoutSeconds * 1000 }),
          ...(queue.batchSize === undefined ? {} : { batchSize: queue.batchSize }),
          ...(queue.maxConcurrency === undefined ? {} : { maxConcurrency: queue.maxConcurrency }),
          ...(queue.maxBatchingWindowMs === undefined
            ? {}
            : { maxBatchingWindowMs: queue.maxBatchingWindowMs }),
        }),
      );
    }
    await writeStackFile(dataDir, {
      pid: process.pid,
      gateway: gateway.url,
      ports,
      urls: { ...urls },
      tables,
      buckets: { ...LOCAL_BUCKETS },
      queues,
      dataDir,
      startedAt: new Date().toISOString(),
    });

    let stopping: Promise<void> | undefined;
    return {
      urls,
      ports,
      token,
      tokenSource,
      dataDir,
      tables,
      buckets: LOCAL_BUCKETS,
      queues,
      environment,
      stop() {
        stopping ??= shutDown();
        return stopping;
      },
    };
  } catch (error) {
    try {
      await shutDown();
    } catch (shutdownError) {
      console.error('the local stack did not stop cleanly after failing to start:', shutdownError);
    }
    throw error;
  }
}

interface Emulators {
  readonly dynamodb: RunningEmulator;
  readonly s3: RunningEmulator;
  readonly ses: RunningEmulator;
  readonly sqs: SqsServer;
  readonly cdn: CdnStandIn;
}

async function startEmulators(dataDir: string, options: LocalStackOptions): Promise<Emulators> {
  const buckets: BucketSpec[] = Object.values(LOCAL_BUCKETS);
  const started = await Promise.allSettled([
    startDynamoDb({
      port: options.dynamodbPort ?? 0,
      ...(options.inMemory === true ? {} : { path: join(dataDir, 'dynamodb') }),
    }),
    startS3({ port: options.s3Port ?? 0, directory: join(dataDir, 's3'), buckets }),
    startSes({
      port: options.sesPort ?? 0,
      ...(options.inMemory === true ? {} : { mailboxDir: join(dataDir, 'ses') }),
    }),
    startSqsServer({
      port: options.sqsPort ?? 0,
      timeScale: options.timeScale ?? 1,
      ...(options.inMemory === true ? {} : { dataDir: join(dataDir, 'sqs') }),
    }),
    startCdnStandIn({ port: options.cdnPort ?? 0, timeScale: options.timeScale ?? 1 }),
  ]);
  const [dynamodb, s3, ses, sqs, cdn] = started;
  if (
    dynamodb?.status === 'fulfilled' &&
    s3?.status === 'fulfilled' &&
    ses?.status === 'fulfilled' &&
    sqs?.status === 'fulfilled' &&
    cdn?.status === 'fulfilled'
  ) {
    return { dynamodb: dynamodb.value, s3: s3.value, ses: ses.value, sqs: sqs.value, cdn: cdn.value };
  }
  // One failed: stop the others so their ports and files are free for the next attempt.
  await closeAll(started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])));
  const failure = started.find((result) => result.status === 'rejected');
  throw failure?.status === 'rejected' ? failure.reason : new Error('an emulator failed to start');
}

async function closeAll(emulators: readonly RunningEmulator[]): Promise<void> {
  const results = await Promise.allSettled(emulators.map((emulator) => emulator.close()));
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  if (failures.length > 0) throw new AggregateError(failures, 'an emulator did not close cleanly');
}

async function createTables(endpoint: string): Promise<Record<string, string>> {
  const client = new DynamoDBClient({
    endpoint,
    region: BASE_ENVIRONMENT.AWS_REGION,
    credentials: S3RVER_CREDENTIALS,
  });
  try {
    return await ensureTables(client);
  } finally {
    client.destroy();
  }
}

/**
 * Creates each queue and its dead-letter queue, then sets their attributes: a queue kept from an
 * earlier run takes the current settings and keeps its messages.
 */
async function createQueues(sqs: SqsServer, queues: readonly LocalQueue[]): Promise<void> {
  const client = new SQSClient({
    endpoint: sqs.url,
    region: BASE_ENVIRONMENT.AWS_REGION,
    credentials: S3RVER_CREDENTIALS,
  });
  const ensure = async (name: string, attributes: Record<string, string>): Promise<void> => {
    await client.send(new CreateQueueCommand({ QueueName: name }));
    await client.send(
      new SetQueueAttributesCommand({ QueueUrl: sqs.queueUrl(name), Attributes: attributes }),
    );
  };
  try {
    for (const queue of queues) {
      if ((queue.dlqName === undefined) !== (queue.maxReceiveCount === undefined)) {
        throw new Error(`queue ${queue.name}: give both dlqName and maxReceiveCount, or neither`);
      }
      // 14 days, longer than the source's 4: a message must not expire before someone looks at it.
      if (queue.dlqName !== undefined) await ensure(queue.dlqName, { MessageRetentionPeriod: '1209600' });
      const redrive = {
        deadLetterTargetArn: queueArn(queue.dlqName ?? ''),
        maxReceiveCount: queue.maxReceiveCount,
      };
      await ensure(queue.name, {
        VisibilityTimeout: String(queue.visibilityTimeout ?? 30),
        // An empty policy removes one kept from an earlier run.
        RedrivePolicy: queue.dlqName === undefined ? '' : JSON.stringify(redrive),
      });
    }
  } finally {
    client.destroy();
  }
}

/** Stops every poller, each waiting for its invocations in flight. */
async function stopPollers(pollers: readonly Poller[]): Promise<void> {
  const results = await Promise.allSettled(pollers.map((poller) => poller.stop()));
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  if (failures.length > 0) throw new AggregateError(failures, 'a queue poller did not stop cleanly');
}

function stackUrls(gateway: Gateway, emulators: Emulators): LocalStackUrls {
  return {
    gateway: gateway.url,
    health: `${gateway.url}/health`,
    openapi: `${gateway.url}/openapi.json`,
    mailbox: `${emulators.ses.url}/`,
    mailStore: `${emulators.ses.url}/store`,
    s3: emulators.s3.url,
    dynamodb: emulators.dynamodb.url,
    sqs: emulators.sqs.url,
    cdn: emulators.cdn.url,
  };
}

/**
 * Creates stack.json exclusively (O_EXCL), so of two stacks started on one DATA_DIR only one
 * proceeds. A file left by a process that has exited (a crash, a kill -9) is replaced.
 */
async function claimDataDir(dataDir: string, log: (line: string) => void): Promise<void> {
  const path = stackFilePath(dataDir);
  const claim: StartingStackFile = { pid: process.pid, starting: true };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      await writeFile(path, `${JSON.stringify(claim)}\n`, { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const existing = await peekStackFile(dataDir);
    if (existing !== undefined && isProcessAlive(existing.pid)) {
      throw new StackAlreadyRunningError(dataDir, existing.pid);
    }
    log(`replacing ${path} left behind by a stack that did not stop cleanly`);
    await rm(path, { force: true });
  }
  throw new Error(`could not claim ${path}: another process keeps creating it`);
}

/** Removes stack.json only while it is still ours. */
async function releaseDataDir(dataDir: string): Promise<void> {
  const existing = await peekStackFile(dataDir);
  if (existing === undefined || existing.pid === process.pid)
    await rm(stackFilePath(dataDir), { force: true });
}

/** Written whole then renamed, so a command never reads half a file. */
async function writeStackFile(dataDir: string, contents: StackFile): Promise<void> {
  const path = stackFilePath(dataDir);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(contents, null, 2)}\n`);
  await rename(temporary, path);
}

export type TokenSource = 'given' | 'kept' | 'generated';

/** `ddor_` and 32 random bytes, base64url: the shape of every token the product issues. */
export function generateToken(): string {
  return `ddor_${randomBytes(32).toString('base64url')}`;
}

/**
 * The bootstrap token: the option, else INTAKE_TOKEN, else the one kept in DATA_DIR, else a new
 * one written there (mode 0600: it is an admin credential).
 */
async function bootstrapToken(
  dataDir: string,
  given: string | undefined,
): Promise<{ token: string; source: TokenSource }> {
  const fromCaller = given ?? process.env.INTAKE_TOKEN;
  if (fromCaller !== undefined && fromCaller !== '') {
    return { token: checkedToken(fromCaller, 'INTAKE_TOKEN'), source: 'given' };
  }
  const path = join(dataDir, 'intake-token');
  try {
    const kept = (await readFile(path, 'utf8')).trim();
    // A copy restored from a backup or a checkout may have lost its mode.
    if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
    return { token: checkedToken(kept, path), source: 'kept' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = generateToken();
  await writeFile(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return { token, source: 'generated' };
}

function checkedToken(token: string, source: string): string {
  if (token === '' || /\s/.test(token))
    throw new Error(`${source}: the token is empty or contains whitespace`);
  return token;
}
