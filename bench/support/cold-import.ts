import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { allTables } from '#adapters/table-definitions';

const run = promisify(execFile);

export interface ImportTiming {
  /** `performance.now()` around `await import(bundle)`: loading, parsing and running the module. */
  readonly importMs: number;
  /** From the process's time origin to the end of the import: Node's own start-up included. */
  readonly sinceStartMs: number;
}

/** What the fresh process runs: the handler module imported once, as the Lambda runtime does. */
const PROBE = [
  'const start = performance.now();',
  'await import(process.env.BENCH_IMPORT_URL);',
  'const end = performance.now();',
  'process.stdout.write(JSON.stringify({ importMs: end - start, sinceStartMs: end }));',
].join(' ');

/** Placeholder values for the variables the CDK app sets on the functions (nothing is called). */
const FUNCTION_ENVIRONMENT: Readonly<Record<string, string>> = {
  ...Object.fromEntries(allTables.map((table) => [table.envVar, `bench-${table.logicalName}`])),
  SITE_BUCKET: 'bench-site',
  DATA_BUCKET: 'bench-data',
  PUBLISH_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-publish',
  SEND_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-send',
  CONFIRMATION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-confirmations',
  ORIGIN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-origin',
  SITE_URL: 'https://bench.example.org/',
  MAIL_FROM: 'reports@example.org',
  // The publisher and the intake check their editors when they load.
  EDITOR_EMAILS: 'editors@example.org',
  SUBSCRIPTION_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
  REPORT_TIME_ZONE: 'America/New_York',
};

/**
 * Imports `bundlePath` in a fresh `node` process with `nodeFlags` (e.g. `--enable-source-maps`,
 * which the functions run with) and a minimal environment: region set, no credentials needed,
 * nothing inherited that could load code (NODE_OPTIONS).
 */
export async function coldImport(
  bundlePath: string,
  nodeFlags: readonly string[] = [],
): Promise<ImportTiming> {
  const { stdout } = await run(process.execPath, [...nodeFlags, '--input-type=module', '-e', PROBE], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // What CDK gives every function: some read their variables when the module loads.
      ...FUNCTION_ENVIRONMENT,
      BENCH_IMPORT_URL: pathToFileURL(bundlePath).href,
    },
  });
  const timing = JSON.parse(stdout) as Partial<ImportTiming>;
  if (typeof timing.importMs !== 'number' || typeof timing.sinceStartMs !== 'number') {
    throw new Error(`the import probe of ${bundlePath} printed ${stdout}`);
  }
  return { importMs: timing.importMs, sinceStartMs: timing.sinceStartMs };
}
