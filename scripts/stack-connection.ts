/**
 * How a command reaches the product: the running local stack found through
 * `$DATA_DIR/stack.json` (its ports and table names become the standard AWS SDK variables, so
 * the same adapters run), or, with `--deployed`, the AWS account of the current credentials and
 * the table names already in the environment.
 */
import { dataDirFromEnv, readStackFile } from '../local/stack-file';

export interface Connection {
  kind: 'local' | 'deployed';
  gateway?: string;
  dataDir?: string;
}

export async function connect(deployed: boolean): Promise<Connection> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  if (deployed) return { kind: 'deployed' };
  const dataDir = dataDirFromEnv();
  const stack = await readStackFile(dataDir);
  const env = process.env;
  env.AWS_REGION ??= 'us-east-1';
  env.AWS_ACCESS_KEY_ID = 'local';
  env.AWS_SECRET_ACCESS_KEY = 'local';
  env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${stack.ports.dynamodb}`;
  env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${stack.ports.s3}`;
  env.AWS_ENDPOINT_URL_SESV2 = `http://127.0.0.1:${stack.ports.ses}`;
  if (stack.ports.sqs !== undefined) env.AWS_ENDPOINT_URL_SQS = `http://127.0.0.1:${stack.ports.sqs}`;
  for (const [name, table] of Object.entries(stack.tables)) env[name] = table;
  for (const [name, bucket] of Object.entries(stack.buckets)) env[name] = bucket;
  return { kind: 'local', gateway: stack.gateway, dataDir };
}

/** Prints a clear message (no stack trace) for what the user can fix, and exits 1. */
export function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(1);
}
