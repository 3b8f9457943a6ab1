/**
 * How a command reaches the product: the running local stack found through
 * `$DATA_DIR/stack.json` (its ports and table names become the standard AWS SDK variables, so
 * the same adapters run), acting with the operator role of the CDK app, as a `--deployed`
 * command does; or, with `--deployed`, the AWS account of the current credentials and the table
 * names already in the environment.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { credentialEnvironment, rolePrincipal } from '#local/iam/principals';
import { applyLocalEnvironment } from '#local/stack';
import { dataDirFromEnv, readStackFile } from '#local/stack-file';

export interface Connection {
  kind: 'local' | 'deployed';
  gateway?: string;
  dataDir?: string;
  /** Function key → the name to invoke it by (locally from stack.json; deployed from the environment). */
  functions: Readonly<Record<string, string>>;
  /** The stack's clock minus the real one (LOCAL_NOW); 0 deployed. */
  clockOffsetMs: number;
}

/** The deployed functions' names, from the environment (`PUBLISHER_FUNCTION`, `REPORT_FUNCTION`). */
function deployedFunctions(): Record<string, string> {
  return {
    ...(process.env.PUBLISHER_FUNCTION === undefined ? {} : { publish: process.env.PUBLISHER_FUNCTION }),
    ...(process.env.REPORT_FUNCTION === undefined ? {} : { report: process.env.REPORT_FUNCTION }),
  };
}

export async function connect(deployed: boolean): Promise<Connection> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  if (deployed) return { kind: 'deployed', functions: deployedFunctions(), clockOffsetMs: 0 };
  const dataDir = dataDirFromEnv();
  const stack = await readStackFile(dataDir);
  // The same names and endpoints the stack gives its functions, so the same adapters reach it,
  // with the operator role's credentials: the local IAM gates allow what it allows deployed.
  applyLocalEnvironment({ ...stack, gateway: stack.gateway, environment: stack.environment });
  Object.assign(process.env, credentialEnvironment(rolePrincipal('operator', [])));
  return {
    kind: 'local',
    gateway: stack.gateway,
    dataDir,
    functions: stack.functions ?? {},
    clockOffsetMs: stack.clockOffsetMs ?? 0,
  };
}

/**
 * Invokes a function of the product through the Lambda API (locally the stack's, deployed AWS's)
 * and returns its answer; a function error fails the command with the function's own message.
 */
export async function invokeFunction<T>(connection: Connection, key: string, event: unknown): Promise<T> {
  const name = connection.functions[key];
  if (name === undefined) {
    fail(
      connection.kind === 'local'
        ? `the running stack lists no ${key} function: restart it with npm start`
        : `set ${key === 'publish' ? 'PUBLISHER_FUNCTION' : 'REPORT_FUNCTION'} to the deployed function's name`,
    );
  }
  const { InvokeCommand, LambdaClient } = await import('@aws-sdk/client-lambda');
  // One attempt and no read timeout: an invocation may run for the function's whole timeout.
  const client = new LambdaClient({ maxAttempts: 1 });
  try {
    const out = await client.send(
      new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(JSON.stringify(event)) }),
    );
    const text = new TextDecoder().decode(out.Payload ?? new Uint8Array());
    const payload: unknown = text === '' ? null : JSON.parse(text);
    if (out.FunctionError !== undefined) {
      const error = payload as { errorType?: string; errorMessage?: string } | null;
      // The function's message reads as the command's own (a week not ended, an AccessDenied);
      // a timeout or a crash of its environment also says so (bundled class names are minified).
      const type = error?.errorType ?? out.FunctionError;
      const message = error?.errorMessage ?? `the ${key} function failed`;
      fail(/^(Sandbox|Runtime)\./.test(type) ? `${message} (${type} in the ${key} function)` : message);
    }
    return payload as T;
  } finally {
    client.destroy();
  }
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

/**
 * A command's options, parsed strictly (no positionals): a bad one is a usage error (exit 2)
 * with the usage text; `--help` prints it and answers undefined, so the command ends there.
 */
export function commandOptions<const O extends NonNullable<ParseArgsConfig['options']>>(
  options: O,
  usageText: string,
): ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'] | undefined {
  let values: ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'];
  try {
    values = parseArgs({ options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    usage(`${error instanceof Error ? error.message : String(error)}\n${usageText}`);
  }
  if ((values as { help?: boolean }).help === true) {
    console.log(usageText);
    return undefined;
  }
  return values;
}
