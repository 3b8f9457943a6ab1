/**
 * `npm start`: the local stack in the foreground until Ctrl-C. Configuration comes from the
 * environment only (CONTRACT.md section 1); it never prompts.
 */
import { PortInUseError } from './emulators';
import { type LocalStack, startLocalStack } from './stack';
import { dataDirFromEnv } from './stack-file';

interface PortSetting {
  readonly variable: string;
  readonly fallback: number;
  /** The service name a PortInUseError carries. */
  readonly service: string;
}

const PORT_SETTINGS = {
  gateway: { variable: 'PORT', fallback: 3000, service: 'gateway' },
  dynamodb: { variable: 'DYNAMODB_PORT', fallback: 8000, service: 'DynamoDB' },
  s3: { variable: 'S3_PORT', fallback: 4569, service: 'S3' },
  ses: { variable: 'SES_PORT', fallback: 8005, service: 'SES' },
  sqs: { variable: 'SQS_PORT', fallback: 9324, service: 'SQS' },
} as const satisfies Record<string, PortSetting>;

class ConfigurationError extends Error {}

/** A port from the environment: its default when unset, 0 for a free port, otherwise 1–65535. */
function readPort(setting: PortSetting, env: NodeJS.ProcessEnv): number {
  const value = env[setting.variable];
  if (value === undefined || value.trim() === '') return setting.fallback;
  const port = /^\d{1,5}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isInteger(port) || port > 65_535) {
    throw new ConfigurationError(
      `${setting.variable}=${JSON.stringify(value)} is not a port: use a number from 1 to 65535, or 0 for any free port`,
    );
  }
  return port;
}

/** LOCAL_TIME_SCALE (contract §1): a number above 0 and at most 1 that shrinks every local wait. */
function readTimeScale(env: NodeJS.ProcessEnv): number {
  const value = env.LOCAL_TIME_SCALE;
  if (value === undefined || value.trim() === '') return 1;
  const scale = Number(value.trim());
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1) {
    throw new ConfigurationError(
      `LOCAL_TIME_SCALE=${JSON.stringify(value)} is not a time scale: use a number above 0 and at most 1 (e.g. 0.01)`,
    );
  }
  return scale;
}

/** SUBSCRIBE_SOURCE_LIMIT and LOCAL_SOURCE_HEADER (contract §1, §5), checked before anything starts. */
function checkSubscriptionSettings(env: NodeJS.ProcessEnv): void {
  const limit = env.SUBSCRIBE_SOURCE_LIMIT;
  if (limit !== undefined && !/^[1-9]\d{0,5}$/.test(limit.trim())) {
    throw new ConfigurationError(
      `SUBSCRIBE_SOURCE_LIMIT=${JSON.stringify(limit)} is not a limit: use a whole number of requests per source in 600 s, 1 or more (default 10)`,
    );
  }
  const header = env.LOCAL_SOURCE_HEADER;
  if (header !== undefined && header !== '' && !/^[A-Za-z0-9-]{1,64}$/.test(header)) {
    throw new ConfigurationError(
      `LOCAL_SOURCE_HEADER=${JSON.stringify(header)} is not a header name: use letters, digits and hyphens, e.g. x-test-source`,
    );
  }
}

/** LOCAL_NOW (contract §1): an ISO time the stack's clock starts at. */
function readNow(env: NodeJS.ProcessEnv): Date | undefined {
  const value = env.LOCAL_NOW;
  if (value === undefined || value.trim() === '') return undefined;
  const at = new Date(value.trim());
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value.trim()) || Number.isNaN(at.getTime())) {
    throw new ConfigurationError(
      `LOCAL_NOW=${JSON.stringify(value)} is not an ISO time: use one such as 2017-03-13T13:00:00Z`,
    );
  }
  return at;
}

function explain(error: unknown): string {
  if (error instanceof PortInUseError) {
    const setting = Object.values(PORT_SETTINGS).find((candidate) => candidate.service === error.service);
    const variable = setting?.variable ?? `the ${error.service} port`;
    return (
      `port ${error.port} (${variable}) is already in use on 127.0.0.1: stop what is using it, ` +
      `or set ${variable} to another port (0 picks a free one), e.g. ${variable}=0 npm start`
    );
  }
  return error instanceof Error ? error.message : String(error);
}

/** `  (queues: a, b)`, or nothing when the stack has no queues. */
function queueNames(stack: LocalStack): string {
  const names = Object.values(stack.queues).map((url) => url.slice(url.lastIndexOf('/') + 1));
  return names.length === 0 ? '' : `  (queues: ${names.join(', ')})`;
}

function printBanner(stack: LocalStack, env: NodeJS.ProcessEnv): void {
  const rows: [string, string][] = [
    ['API and site', `${stack.urls.gateway}/`],
    ['jurisdictions', `${stack.urls.gateway}/jurisdictions/  (and the archive as data: /data/README)`],
    ['health', stack.urls.health],
    ['OpenAPI', stack.urls.openapi],
    ['mailbox', stack.urls.mailbox],
    ['sent mail (JSON)', stack.urls.mailStore],
    ['S3', `${stack.urls.s3}  (buckets: ${Object.values(stack.buckets).join(', ')})`],
    ['DynamoDB', stack.urls.dynamodb],
    ['SQS', `${stack.urls.sqs}${queueNames(stack)}`],
    [
      'Lambda API',
      `http://127.0.0.1:${stack.ports.lambda}  (functions: ${[...stack.functions.values()].map((fn) => fn.options.name).join(', ')})`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const tokenNote = {
    given: 'from INTAKE_TOKEN',
    kept: `kept in ${stack.dataDir}/intake-token`,
    generated: `new, kept in ${stack.dataDir}/intake-token with mode 0600`,
  }[stack.tokenSource];
  console.log(
    [
      `Local stack running (DATA_DIR=${stack.dataDir})`,
      '',
      ...rows.map(([label, url]) => `  ${label.padEnd(width)}  ${url}`),
      '',
      `  ${'admin token'.padEnd(width)}  ${stack.token}`,
      `  ${''.padEnd(width)}  (${tokenNote})`,
      '',
      `  ${'subscriptions'.padEnd(width)}  ${env.SUBSCRIBE_SOURCE_LIMIT ?? '10'} requests per source in 600 s${
        env.LOCAL_SOURCE_HEADER ? `; the source is the ${env.LOCAL_SOURCE_HEADER} header` : ''
      }`,
      '',
      'Load the synthetic demo data with: npm run demo',
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const env = process.env;
  let ports: Record<keyof typeof PORT_SETTINGS, number>;
  let timeScale: number;
  let now: Date | undefined;
  try {
    timeScale = readTimeScale(env);
    now = readNow(env);
    checkSubscriptionSettings(env);
    ports = {
      gateway: readPort(PORT_SETTINGS.gateway, env),
      dynamodb: readPort(PORT_SETTINGS.dynamodb, env),
      s3: readPort(PORT_SETTINGS.s3, env),
      ses: readPort(PORT_SETTINGS.ses, env),
      sqs: readPort(PORT_SETTINGS.sqs, env),
    };
  } catch (error) {
    console.error(`npm start: ${explain(error)}`);
    process.exit(1);
  }

  // Listening before the stack starts: a Ctrl-C during start-up waits for it, then stops it cleanly.
  let stack: LocalStack | undefined;
  let stopRequested: NodeJS.Signals | undefined;
  let signals = 0;
  const stop = (current: LocalStack, signal: NodeJS.Signals): void => {
    console.log(`\n${signal}: stopping the local stack…`);
    current.stop().then(
      () => {
        console.log('stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`npm start: ${explain(error)}`);
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) {
      if (stack === undefined) {
        stopRequested = signal;
        console.log(`\n${signal}: stopping once start-up has finished…`);
      } else {
        stop(stack, signal);
      }
    } else if (signals === 2) {
      // Forcing now could lose writes that LevelDB has not yet flushed.
      console.log('still stopping: waiting for the data to be written (press Ctrl-C again to force)');
    } else {
      process.exit(1);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed terminal stops the stack as cleanly as Ctrl-C.
  process.on('SIGHUP', onSignal);

  try {
    stack = await startLocalStack({
      dataDir: dataDirFromEnv(env),
      port: ports.gateway,
      dynamodbPort: ports.dynamodb,
      s3Port: ports.s3,
      sesPort: ports.ses,
      sqsPort: ports.sqs,
      schedule: true,
      timeScale,
      ...(now === undefined ? {} : { now }),
      ...(env.INTAKE_TOKEN === undefined || env.INTAKE_TOKEN === '' ? {} : { intakeToken: env.INTAKE_TOKEN }),
    });
  } catch (error) {
    console.error(`npm start: ${explain(error)}`);
    process.exit(1);
  }
  if (stopRequested !== undefined) {
    stop(stack, stopRequested);
    return;
  }
  printBanner(stack, env);
}

await main();
