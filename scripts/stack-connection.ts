/**
 * How a command reaches the product: the running local stack found through
 * `$DATA_DIR/stack.json` (its ports and table names become the standard AWS SDK variables, so
 * the same adapters run), or, with `--deployed`, the AWS account of the current credentials and
 * the table names already in the environment.
 */
import { applyLocalEnvironment } from '#local/stack';
import { dataDirFromEnv, readStackFile } from '#local/stack-file';

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
  // The same environment the stack gives its functions, so the same adapters reach it.
  applyLocalEnvironment({ ...stack, gateway: stack.gateway, dataDir: stack.dataDir });
  return { kind: 'local', gateway: stack.gateway, dataDir };
}

/** Prints a clear message (no stack trace) for what the user can fix, and exits 1. */
export function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(1);
}

/** Prints what was wrong with the command line, and exits 2 (a usage error). */
export function usage(message: string): never {
  console.error(`error: ${message}`);
  process.exit(2);
}
