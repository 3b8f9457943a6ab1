import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { reportTimeZone } from '#config/env';
import { deadLetterEnvVar, FUNCTIONS } from '#config/runtime';
import { type RebuildInvocation, type RebuildResult, rebuildInCalls } from '#core/edition/publication';
import { UNSUBSCRIBE_PATH } from '#core/subscriptions/links';
import { securityHeaderMap } from '#lib/security-headers';
import { ensureAssembly } from './assembly';
import { type CdnStandIn, startCdnStandIn } from './cdn';
import { cloudFrontRequest } from './cloudfront-request';
import {
  type BucketSpec,
  LOCAL_HOST,
  type RunningEmulator,
  S3RVER_CREDENTIALS,
  startDynamoDb,
  startS3,
  startSes,
} from './emulators';
import { type FaultModes, NO_FAULTS } from './faults';
import { type Gateway, type HttpFunction, type Route, startGateway } from './gateway';
import { type Gate, type Service, startGate } from './iam/gate';
import {
  ACCOUNT_PRINCIPAL,
  credentialEnvironment,
  type Principal,
  Principals,
  rolePrincipal,
} from './iam/principals';
import { startInvokeApi } from './lambda/invoke-api';
import { LocalFunction, type Reaper, startReaper } from './lambda/runtime';
import { type FunctionKey, type LocalAssembly, readAssembly, type Statement } from './lambda/template';
import { productQueues, startSweepSchedule, startWeeklySchedule } from './product';
import { startSecretsStandIn } from './secrets';
import { type SesSimulator, startSesSimulator } from './ses-simulator';
import { hasHomePage, isSitePath, siteOrigin } from './site-origin';
import { type Poller, type SqsFunction, startPoller } from './sqs/poller';
import { ACCOUNT_ID, queueArn } from './sqs/queues';
import { type SqsServer, startSqsServer } from './sqs/server';
import {
  isProcessAlive,
  peekStackFile,
  type StackFile,
  type StartingStackFile,
  stackFilePath,
} from './stack-file';
import {
  type LocalReview,
  localOverrides,
  originSecretPath,
  siteEnvironment,
  subscriptionSecretPath,
} from './subscription-environment';
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
  readonly ensureBootstrapClient?: (token: string) => Promise<unknown>;
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
  /** REVIEW_MODE and REVIEW_WINDOW_HOURS (contract §1). @default the variables, else the template's */
  readonly review?: LocalReview;
  /**
   * LOCAL_SOURCE_HEADER (contract §1): the request header that names a subscription request's
   * source, so tests can be many sources. @default process.env.LOCAL_SOURCE_HEADER, else the TCP peer
   */
  readonly sourceHeader?: string;
  /** Headers added to every gateway response (the site's security headers, once defined). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The synthesized CDK app to run (local/assembly.ts). @default the one for the sources as they are, made if missing */
  readonly assemblyDir?: string;
  /**
   * Changes a role's statements before the stack enforces them: tests of what a missing grant
   * does (`withoutGrant` from local/iam/policy).
   */
  readonly editPolicy?: (
    role: FunctionKey | 'operator',
    statements: readonly Statement[],
  ) => readonly Statement[];
  /** Variables added to every function's environment (tests: the endpoint of a fault proxy). */
  readonly functionEnvironment?: Readonly<Record<string, string>>;
  /** Fault modes to start with (local/faults.ts); `stack.faults` changes them while it runs. @default none */
  readonly faults?: Partial<FaultModes>;
  /**
   * Queues whose event source mapping starts disabled (`Enabled: false`): messages wait until
   * `stack.enableEventSource(queue)`. For tests that must stop the stack between a send and its
   * receipt. @default none
   */
  readonly disabledEventSources?: readonly string[];
  /**
   * LOCAL_NOW (contract §1): the stack's clock starts at this time and runs on from it; every
   * function's dates (windows, quotas, sweeps, "today") follow it. The schedule keeps the real
   * clock. @default the real clock
   */
  readonly now?: Date;
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
  /** The product function that consumes it, run from its deployed bundle in its own processes. */
  readonly function?: FunctionKey;
  /**
   * Or a handler run in this process (tests of the queues themselves), imported once the
   * environment is set, e.g. `async () => (await import('./my-handler')).handler`.
   */
  readonly loadHandler?: () => Promise<SqsFunction>;
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
  /** The Lambda API (Invoke) of the local functions. */
  readonly lambda: number;
  /** The Secrets Manager stand-in (GetSecretValue of the subscription secret). */
  readonly secretsmanager: number;
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
  /**
   * The variables set on process.env: every function's environment, acting as the account (the
   * tests' direct calls), and what a child process needs to reach the stack.
   */
  readonly environment: Readonly<Record<string, string>>;
  /** The product's functions, each from its deployed bundle in processes of its own. */
  readonly functions: ReadonlyMap<FunctionKey, LocalFunction>;
  /** The role the local commands act with (the CDK app's operator role). */
  readonly operator: Principal;
  /**
   * Sets a role's statements to `edit` of the template's (undefined: the template's again), for
   * the calls that follow: tests of what a missing grant does.
   */
  editPolicy(
    role: FunctionKey | 'operator',
    edit: ((statements: readonly Statement[]) => readonly Statement[]) | undefined,
  ): void;
  /** Starts the event source mapping of a queue of `disabledEventSources`. */
  enableEventSource(queue: string): Promise<void>;
  /** The fault modes in force: set a field to turn one on or off (tests). */
  readonly faults: FaultModes;
  /** Calls the IAM gates refused, oldest first: `{ service, principal, message }`. */
  refusals(): readonly { service: Service; principal: string; message: string }[];
  /** Calls a role made to a service so far, by `Operation table` (benchmarks count a function's calls). */
  calls(service: Service, role: string): Readonly<Record<string, number>>;
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

/** The distribution id the local publisher invalidates (the CDN stand-in takes any). */
export const LOCAL_DISTRIBUTION_ID = 'EDDORLOCAL';

/** Region and SDK settings of every local caller; credentials are the account's unless a caller acts as a role. */
const BASE_ENVIRONMENT = {
  AWS_REGION: 'us-east-1',
  // The account: what the stack's own setup and the tests' direct calls act as (no IAM limit).
  AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  // s3rver stores aws-chunked framing as the object; checksums only where S3 requires them avoids it.
  AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
  AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const satisfies Readonly<Record<string, string>>;

/** A developer's own AWS settings must not leak into local calls (a session token, another profile). */
const CLEARED_ENVIRONMENT = ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_ENDPOINT_URL'];
/** What the last applyLocalEnvironment in this process set, cleared by the next. */
let appliedEarlier = new Set<string>();
/** What `siteEnvironment` sets when a stack has a gateway. */
const SITE_VARIABLES = new Set(Object.keys(siteEnvironment({ gateway: 'http://127.0.0.1:1' })));

/** What the functions' environment is derived from: a starting stack, or a running one's stack.json. */
export interface StackEnvironmentSource {
  /** Every AWS port is an IAM gate's; `sqs`, `cdn`, `lambda`, `secretsmanager` are absent from an older stack.json. */
  readonly ports: Pick<LocalStackPorts, 'dynamodb' | 's3' | 'ses'> & {
    readonly sqs?: number | undefined;
    readonly cdn?: number | undefined;
    readonly lambda?: number | undefined;
    readonly secretsmanager?: number | undefined;
  };
  readonly tables: Readonly<Record<string, string>>;
  readonly buckets: Readonly<Record<string, string>>;
  /** Env var → queue URL. */
  readonly queues?: Readonly<Record<string, string>> | undefined;
  /** With it, SITE_URL, API_URL, the secret's ARN and the configuration set are set too. */
  readonly gateway?: string;
  /** The functions' other variables (the template's values: MAIL_FROM, REPORT_TIME_ZONE, …). */
  readonly environment?: Readonly<Record<string, string>> | undefined;
}

/** The endpoint variables, region and SDK settings of every local caller. */
function endpointEnvironment(ports: StackEnvironmentSource['ports']): Record<string, string> {
  const at = (port: number) => `http://${LOCAL_HOST}:${port}`;
  return {
    ...BASE_ENVIRONMENT,
    AWS_ENDPOINT_URL_DYNAMODB: at(ports.dynamodb),
    AWS_ENDPOINT_URL_S3: at(ports.s3),
    AWS_ENDPOINT_URL_SESV2: at(ports.ses),
    ...(ports.sqs === undefined ? {} : { AWS_ENDPOINT_URL_SQS: at(ports.sqs) }),
    // The publisher invalidates through the same code as deployed, against the stand-in's limits.
    ...(ports.cdn === undefined
      ? {}
      : { AWS_ENDPOINT_URL_CLOUDFRONT: at(ports.cdn), DISTRIBUTION_ID: LOCAL_DISTRIBUTION_ID }),
    ...(ports.lambda === undefined ? {} : { AWS_ENDPOINT_URL_LAMBDA: at(ports.lambda) }),
    ...(ports.secretsmanager === undefined
      ? {}
      : { AWS_ENDPOINT_URL_SECRETS_MANAGER: at(ports.secretsmanager) }),
  };
}

/**
 * The environment of a local caller: region, the standard AWS_ENDPOINT_URL_<SERVICE> variables
 * (the SDK reads them; no code path differs), the table and bucket names, the queue URLs and the
 * functions' other variables; credentials are the account's unless a caller sets its own. A
 * command that calls the product's code directly against a running stack applies the same with
 * `applyLocalEnvironment(await readStackFile(dataDir))`.
 */
export function localEnvironment(source: StackEnvironmentSource): Record<string, string> {
  return {
    ...source.environment,
    ...endpointEnvironment(source.ports),
    ...source.tables,
    ...source.buckets,
    ...source.queues,
    ...(source.gateway === undefined ? {} : siteEnvironment({ gateway: source.gateway })),
  };
}

/** Sets localEnvironment() on process.env; must run before the functions' modules are imported. */
export function applyLocalEnvironment(source: StackEnvironmentSource): Record<string, string> {
  const environment = localEnvironment(source);
  for (const name of CLEARED_ENVIRONMENT) delete process.env[name];
  // A stack started earlier in this process set its own variables: one this stack does not set
  // (no Secrets Manager stand-in, no gateway, no CDN's DISTRIBUTION_ID) must not point at that one.
  for (const name of appliedEarlier) delete process.env[name];
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('AWS_ENDPOINT_URL_') || SITE_VARIABLES.has(name)) delete process.env[name];
  }
  appliedEarlier = new Set(Object.keys(environment));
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

/** A gateway route's or an SQS event source's call of a local function. */
function invoker<E, R>(fn: LocalFunction): (event: E) => Promise<R> {
  return async (event) => (await fn.invoke(event)) as R;
}

/**
 * Environments each function may have at once where no queue or reservation says (Lambda would
 * scale on to the account's limit): requests beyond it wait for one, the wait not counted in the
 * function's timeout. As many as the machine has cores: each Lambda environment has CPU of its
 * own, and more local ones at once would each run slower than on Lambda, their timeouts stricter.
 */
const DEFAULT_LOCAL_CONCURRENCY = Math.max(2, availableParallelism());

/**
 * Starts the local stack: the emulators behind IAM gates, the tables and queues, the product's
 * functions from the synthesized CDK app (each its deployed bundle in processes of its own,
 * with its role's credentials), the gateway in front of them, and the bootstrap client. This
 * process acts as the account: the functions' code imported here (tests) reaches the stack
 * through the standard AWS_ENDPOINT_URL_<SERVICE> variables.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  if (runningInThisProcess) throw new Error('a local stack is already running in this process');
  // A bad token stops the start before anything is started or written.
  const givenToken = options.intakeToken ?? process.env.INTAKE_TOKEN;
  if (givenToken !== undefined && givenToken !== '') checkedToken(givenToken, 'INTAKE_TOKEN');
  runningInThisProcess = true;
  const dataDir = resolve(options.dataDir);
  const log = options.quiet === true ? () => undefined : (line: string) => console.log(line);
  let claimed = false;
  let gateway: Gateway | undefined;
  let emulators: Emulators | undefined;
  const gates: Partial<Record<Service, Gate>> = {};
  let invokeApi: RunningEmulator | undefined;
  let simulator: SesSimulator | undefined;
  let weekly: { stop(): void } | undefined;
  let sweep: { stop(): void } | undefined;
  let reaper: Reaper | undefined;
  const functions = new Map<FunctionKey, LocalFunction>();
  const pollers: Poller[] = [];
  const pollerClients: SQSClient[] = [];
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
    sweep?.stop();
    await attempt(() => stopPollers(pollers));
    for (const client of pollerClients) client.destroy();
    if (gateway !== undefined) await attempt(gateway.close);
    // Then the SES simulator, whose mail-events calls write to the stores too.
    if (simulator !== undefined) await attempt(simulator.stop);
    await attempt(async () => {
      await Promise.all([...functions.values()].map((fn) => fn.stop()));
    });
    reaper?.close();
    if (invokeApi !== undefined) await attempt(invokeApi.close);
    await attempt(() => closeAll(Object.values(gates)));
    if (emulators !== undefined) await attempt(() => closeAll(Object.values(emulators ?? {})));
    if (claimed) await attempt(() => releaseDataDir(dataDir));
    runningInThisProcess = false;
    if (failures.length > 0) throw new AggregateError(failures, 'the local stack did not stop cleanly');
  };

  try {
    await privateDataDir(dataDir, log);
    await claimDataDir(dataDir, log);
    claimed = true;
    // Listening first claims PORT at once (503 until ready), before any emulator opens data.
    gateway = await startGateway({ port: options.port ?? 0, headers: options.headers ?? {} });
    const assemblyDir = options.assemblyDir ?? (await ensureAssembly(log));
    emulators = await startEmulators(dataDir, options);
    invokeApi = await startInvokeApi(
      () => new Map([...functions.values()].map((fn) => [fn.options.name, fn] as const)),
    );

    // Every AWS call goes through an IAM gate; the roles are known once the assembly is read,
    // which needs the gates' URLs (queue URLs name the SQS gate), so the principals come late.
    const principals = new Principals([]);
    const faults: FaultModes = { ...NO_FAULTS, ...options.faults };
    const gateOf = async (service: Service, target: string, port?: number) => {
      const gate = await startGate({
        service,
        target,
        principals,
        faults,
        ...(port === undefined ? {} : { port }),
      });
      gates[service] = gate;
      return gate;
    };
    const dynamodbGate = await gateOf('dynamodb', emulators.dynamodb.url, options.dynamodbPort);
    const s3Gate = await gateOf('s3', emulators.s3.url, options.s3Port);
    const sesGate = await gateOf('sesv2', emulators.ses.url, options.sesPort);
    const sqsGate = await gateOf('sqs', emulators.sqs.url, options.sqsPort);
    const cdnGate = await gateOf('cloudfront', emulators.cdn.url, options.cdnPort);
    const secretsGate = await gateOf('secretsmanager', emulators.secrets.url);
    const lambdaGate = await gateOf('lambda', invokeApi.url);

    const ports: LocalStackPorts = {
      gateway: gateway.port,
      dynamodb: dynamodbGate.port,
      s3: s3Gate.port,
      ses: sesGate.port,
      sqs: sqsGate.port,
      cdn: cdnGate.port,
      lambda: lambdaGate.port,
      secretsmanager: secretsGate.port,
    };
    const queueUrl = (name: string) => `${sqsGate.url}/${ACCOUNT_ID}/${name}`;
    const localQueues = options.queues ?? productQueues(options.timeScale ?? 1);
    // Each queue's URL, and its dead-letter queue's, as the deployed operator commands are given them.
    const queueUrls = (list: readonly LocalQueue[]) =>
      Object.fromEntries(
        list.flatMap((queue) => [
          [queue.envVar, queueUrl(queue.name)],
          ...(queue.dlqName === undefined ? [] : [[deadLetterEnvVar(queue.envVar), queueUrl(queue.dlqName)]]),
        ]),
      );
    // The stack's API lists the work queues (tests wait for them to be idle); commands get both.
    const queues = Object.fromEntries(localQueues.map((queue) => [queue.envVar, queueUrl(queue.name)]));
    const queuesWithDeadLetters = queueUrls(localQueues);
    // The product queues' URLs are the functions' even when a test runs queues of its own.
    const productQueueUrls = queueUrls(productQueues());
    const names = localEnvironment({
      ports,
      tables: localTableEnvironment(),
      buckets: LOCAL_BUCKETS,
      queues: { ...productQueueUrls, ...queuesWithDeadLetters },
      gateway: gateway.url,
    });
    const assembly = await readAssembly(assemblyDir, names);
    const edit = options.editPolicy ?? ((_role, statements) => statements);
    const clockOffsetMs = options.now === undefined ? 0 : options.now.getTime() - Date.now();
    const roles = Object.fromEntries(
      Object.values(assembly.functions).map((definition) => [
        definition.key,
        rolePrincipal(definition.key, edit(definition.key, definition.statements)),
      ]),
    ) as Record<FunctionKey, Principal>;
    const operator = rolePrincipal('operator', edit('operator', assembly.operator));
    principals.add([...Object.values(roles), operator]);
    registerS3Keys(principals.all);
    sesGateIdentities(sesGate, assembly);

    // This process: every function's variables, as the account, before any SDK client exists
    // (clients read region, endpoints and the warning switch at creation).
    const shared = sharedEnvironment(assembly, options);
    const environment = applyLocalEnvironment({
      ports,
      tables: localTableEnvironment(),
      buckets: LOCAL_BUCKETS,
      queues: queuesWithDeadLetters,
      gateway: gateway.url,
      environment: shared,
    });
    const tables = await createTables(dynamodbGate.url);
    await createQueues(sqsGate.url, localQueues);

    reaper = startReaper();
    for (const definition of Object.values(assembly.functions)) {
      const consumer = localQueues.find((queue) => queue.function === definition.key);
      functions.set(
        definition.key,
        new LocalFunction({
          name: definition.name,
          bundle: definition.bundle,
          handler: definition.handler,
          timeoutSeconds: definition.timeoutSeconds,
          memoryMb: definition.memoryMb,
          concurrency:
            consumer?.maxConcurrency ?? definition.reservedConcurrency ?? DEFAULT_LOCAL_CONCURRENCY,
          reaper,
          environment: {
            ...definition.environment,
            ...localOverrides(options.timeScale ?? 1, options.review),
            ...endpointEnvironment(ports),
            ...credentialEnvironment(roles[definition.key]),
            AWS_DEFAULT_REGION: BASE_ENVIRONMENT.AWS_REGION,
            AWS_LAMBDA_FUNCTION_NAME: definition.name,
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memoryMb),
            AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
            TZ: 'UTC',
            PATH: '/usr/local/bin:/usr/bin:/bin',
            ...(clockOffsetMs === 0 ? {} : { LOCAL_CLOCK_OFFSET_MS: String(clockOffsetMs) }),
            ...options.functionEnvironment,
          },
        }),
      );
    }
    const fn = (key: FunctionKey): LocalFunction => {
      const found = functions.get(key);
      if (found === undefined) throw new Error(`the assembly has no ${key} function`);
      return found;
    };

    const { token, source: tokenSource } = await bootstrapToken(dataDir, options.intakeToken);
    const intake: HttpFunction = options.intake ?? invoker(fn('intake'));
    const ensureBootstrapClient =
      options.ensureBootstrapClient ?? (await import('#adapters/bootstrap-client')).ensureBootstrapClient;
    if ((await ensureBootstrapClient(token)) === 'revoked') {
      log(
        'the bootstrap client was revoked, and stays so: set INTAKE_TOKEN to a new token (32 characters or more), ' +
          `or delete ${join(dataDir, 'intake-token')} to have one generated`,
      );
    }

    const urls = stackUrls(gateway, {
      dynamodb: dynamodbGate,
      s3: s3Gate,
      ses: sesGate,
      sqs: sqsGate,
      cdn: cdnGate,
    });
    // The gateway plays the site's CloudFront for the subscription paths: the viewer address and
    // the origin secret header, which the functions require (lib/constructs/site.ts).
    const { FileSecretSource } = await import('#adapters/secret-source');
    const originSecret = Buffer.from(
      await new FileSecretSource(originSecretPath(dataDir), 'origin secret').key(),
    ).toString('utf8');
    const sourceHeader = options.sourceHeader ?? process.env.LOCAL_SOURCE_HEADER;
    const viewerRequest = cloudFrontRequest({
      originSecret,
      ...(sourceHeader === undefined || sourceHeader === '' ? {} : { sourceHeader }),
    });
    gateway.setRouting({
      routes: [
        ...(options.routes ?? []),
        {
          // Its own function and API route (contract §5: never throttled by other subscription traffic).
          match: UNSUBSCRIBE_PATH,
          name: 'unsubscribe',
          handler: invoker(fn('unsubscribe')),
          headers: securityHeaderMap(),
          viewerRequest,
        },
        {
          match: '/subscriptions',
          name: 'subscriptions',
          // The function's own timeout is its runtime's; the gateway waits as long as API
          // Gateway's integration does (its default, 30 s), waiting for an environment included.
          handler: invoker(fn('subscriptions')),
          headers: securityHeaderMap(),
          viewerRequest,
        },
        {
          match: isSitePath,
          name: 'site',
          handler: siteOrigin(LOCAL_BUCKETS.SITE_BUCKET ?? 'ddor-site'),
          headers: securityHeaderMap(),
        },
      ],
      fallback: {
        name: 'intake',
        handler: intake,
        // A stand-in runs in this process, so the gateway ends it at the function's timeout.
        ...(options.intake === undefined ? {} : { timeoutMs: FUNCTIONS.intake.timeoutSeconds * 1000 }),
      },
    });
    // The daily sweep of forgotten subscribers, as EventBridge Scheduler runs it deployed.
    sweep = startSweepSchedule(log, invoker(fn('subscriptionSweep')), options.timeScale ?? 1);
    if (options.schedule === true) {
      const run = startWeeklySchedule(log, invoker(fn('report')));
      weekly = run;
      log(
        `weekly schedule: ${run.pattern} (${reportTimeZone()}), next run ${run.next?.toISOString() ?? 'none'}`,
      );
    }
    // A new site has no edition yet: the publisher renders the empty site (home page with the
    // subscribe form, feed, stylesheet, robots.txt, the index of jurisdictions, header-only /data/
    // files and their README) by the path `npm run rebuild-site` takes, so the printed URL shows the product
    // and no link of it is a 404. Its own code and role: nothing here renders a page of its own.
    if (!(await hasHomePage(LOCAL_BUCKETS.SITE_BUCKET ?? 'ddor-site'))) {
      await rebuildInCalls(invoker<RebuildInvocation, RebuildResult>(fn('publish')));
    }
    // Mail to the SES mailbox simulator bounces or complains, through the mail-events function.
    simulator = startSesSimulator({
      storeUrl: urls.mailStore,
      handler: invoker(fn('mailEvents')),
      tagsOf: (messageId) => sesGate.tagsOf(messageId),
    });
    // Last, so that each function finds the stack complete at its first message. The event
    // source mapping receives and deletes with the consumer's own role, as deployed.
    const startMapping = async (queue: LocalQueue): Promise<void> => {
      const consumer = queue.function === undefined ? undefined : fn(queue.function);
      const credentials =
        queue.function === undefined ? ACCOUNT_PRINCIPAL : (roles[queue.function] ?? ACCOUNT_PRINCIPAL);
      const client = new SQSClient({
        endpoint: sqsGate.url,
        region: BASE_ENVIRONMENT.AWS_REGION,
        credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
      });
      pollerClients.push(client);
      const handler =
        consumer === undefined
          ? await (queue.loadHandler ?? missingHandler(queue.name))()
          : invoker<Parameters<SqsFunction>[0], Awaited<ReturnType<SqsFunction>>>(consumer);
      pollers.push(
        await startPoller({
          client,
          queueUrl: queueUrl(queue.name),
          handler,
          functionName: queue.functionName ?? queue.name,
          ...(queue.timeoutSeconds === undefined ? {} : { timeoutMs: queue.timeoutSeconds * 1000 }),
          ...(queue.batchSize === undefined ? {} : { batchSize: queue.batchSize }),
          ...(queue.maxConcurrency === undefined ? {} : { maxConcurrency: queue.maxConcurrency }),
          ...(queue.maxBatchingWindowMs === undefined
            ? {}
            : { maxBatchingWindowMs: queue.maxBatchingWindowMs }),
        }),
      );
    };
    const disabled = new Set(options.disabledEventSources ?? []);
    for (const name of disabled) {
      if (!localQueues.some((queue) => queue.name === name)) throw new Error(`no queue ${name} to disable`);
    }
    for (const queue of localQueues) if (!disabled.has(queue.name)) await startMapping(queue);
    await writeStackFile(dataDir, {
      pid: process.pid,
      gateway: gateway.url,
      ports,
      urls: { ...urls },
      tables,
      buckets: { ...LOCAL_BUCKETS },
      queues: queuesWithDeadLetters,
      functions: Object.fromEntries([...functions].map(([key, local]) => [key, local.options.name])),
      environment: shared,
      ...(clockOffsetMs === 0 ? {} : { clockOffsetMs }),
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
      functions,
      operator,
      faults,
      async enableEventSource(name) {
        const queue = localQueues.find((candidate) => candidate.name === name);
        if (queue === undefined || !disabled.delete(name))
          throw new Error(`no disabled event source ${name}`);
        await startMapping(queue);
      },
      editPolicy(role, change) {
        const original = role === 'operator' ? assembly.operator : assembly.functions[role].statements;
        principals.add([rolePrincipal(role, change === undefined ? original : change(original))]);
      },
      calls: (service, role) => gates[service]?.calls(role) ?? {},
      refusals: () =>
        (Object.entries(gates) as [Service, Gate][]).flatMap(([service, gate]) =>
          gate.refusals.map((refusal) => ({ service, ...refusal })),
        ),
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

function missingHandler(queue: string): () => Promise<SqsFunction> {
  return () => Promise.reject(new Error(`queue ${queue}: give a function or a loadHandler`));
}

/**
 * The variables every function shares with this process and the commands: the template's own
 * values (MAIL_FROM, REPORT_TIME_ZONE, SEND_CONCURRENCY, …) and the local overrides. Names and
 * endpoints are added by localEnvironment().
 */
function sharedEnvironment(assembly: LocalAssembly, options: LocalStackOptions): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const definition of Object.values(assembly.functions)) Object.assign(merged, definition.environment);
  delete merged.NODE_OPTIONS;
  return { ...merged, ...localOverrides(1, options.review) };
}

/** s3rver checks SigV4 signatures itself: each role's key must be one it knows. */
function registerS3Keys(principals: readonly Principal[]): void {
  const require = createRequire(import.meta.url);
  const account = require('s3rver/lib/models/account') as {
    DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void };
  };
  for (const principal of principals)
    account.DUMMY_ACCOUNT.createKeyPair(principal.accessKeyId, principal.secretAccessKey);
}

/** The SES gate learns the verified identities from the templates. */
function sesGateIdentities(gate: Gate, assembly: LocalAssembly): void {
  gate.setIdentities(assembly.identities);
}

interface Emulators {
  readonly dynamodb: RunningEmulator;
  readonly s3: RunningEmulator;
  readonly ses: RunningEmulator;
  readonly sqs: SqsServer;
  readonly cdn: CdnStandIn;
  readonly secrets: RunningEmulator;
}

async function startEmulators(dataDir: string, options: LocalStackOptions): Promise<Emulators> {
  const buckets: BucketSpec[] = Object.values(LOCAL_BUCKETS);
  // Behind their IAM gates, on free ports: the configured ports are the gates'.
  const started = await Promise.allSettled([
    startDynamoDb({ port: 0, ...(options.inMemory === true ? {} : { path: join(dataDir, 'dynamodb') }) }),
    startS3({ port: 0, directory: join(dataDir, 's3'), buckets }),
    startSes({ port: 0, ...(options.inMemory === true ? {} : { mailboxDir: join(dataDir, 'ses') }) }),
    startSqsServer({
      port: 0,
      timeScale: options.timeScale ?? 1,
      ...(options.inMemory === true ? {} : { dataDir: join(dataDir, 'sqs') }),
    }),
    startCdnStandIn({ port: 0, timeScale: options.timeScale ?? 1 }),
    startSecretsStandIn({ path: subscriptionSecretPath(dataDir), originPath: originSecretPath(dataDir) }),
  ]);
  const [dynamodb, s3, ses, sqs, cdn, secrets] = started;
  if (
    dynamodb?.status === 'fulfilled' &&
    s3?.status === 'fulfilled' &&
    ses?.status === 'fulfilled' &&
    sqs?.status === 'fulfilled' &&
    cdn?.status === 'fulfilled' &&
    secrets?.status === 'fulfilled'
  ) {
    return {
      dynamodb: dynamodb.value,
      s3: s3.value,
      ses: ses.value,
      sqs: sqs.value,
      cdn: cdn.value,
      secrets: secrets.value,
    };
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
async function createQueues(endpoint: string, queues: readonly LocalQueue[]): Promise<void> {
  const queueUrl = (name: string) => `${endpoint}/${ACCOUNT_ID}/${name}`;
  const client = new SQSClient({
    endpoint,
    region: BASE_ENVIRONMENT.AWS_REGION,
    credentials: S3RVER_CREDENTIALS,
  });
  const ensure = async (name: string, attributes: Record<string, string>): Promise<void> => {
    await client.send(new CreateQueueCommand({ QueueName: name }));
    await client.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl(name), Attributes: attributes }));
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

function stackUrls(
  gateway: Gateway,
  gates: Readonly<Record<'dynamodb' | 's3' | 'ses' | 'sqs' | 'cdn', RunningEmulator>>,
): LocalStackUrls {
  return {
    gateway: gateway.url,
    health: `${gateway.url}/health`,
    openapi: `${gateway.url}/openapi.json`,
    mailbox: `${gates.ses.url}/`,
    mailStore: `${gates.ses.url}/store`,
    s3: gates.s3.url,
    dynamodb: gates.dynamodb.url,
    sqs: gates.sqs.url,
    cdn: gates.cdn.url,
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

/** Contract §1: a bootstrap token is an admin's key to every record; a short one can be guessed. */
export const MIN_TOKEN_LENGTH = 32;

function checkedToken(token: string, source: string): string {
  if (token === '' || /\s/.test(token))
    throw new Error(`${source}: the token is empty or contains whitespace`);
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new Error(
      `${source}: the token has ${token.length} characters; use at least ${MIN_TOKEN_LENGTH} ` +
        '(e.g. `openssl rand -base64 32`), or leave INTAKE_TOKEN unset to have one generated',
    );
  }
  return token;
}

/**
 * DATA_DIR holds the bootstrap token, the subscription key, unpublished records and the mailbox:
 * 0700, and an existing one readable by others is set to 0700 (with a message).
 */
async function privateDataDir(dataDir: string, log: (line: string) => void): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const mode = (await stat(dataDir)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    await chmod(dataDir, 0o700);
    log(
      `DATA_DIR ${dataDir} was readable by others (mode ${mode.toString(8)}): set to 700, as it holds tokens and keys`,
    );
  }
}
