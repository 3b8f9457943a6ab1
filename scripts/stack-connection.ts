/**
 * How a command reaches the product: the running local stack found through
 * `$DATA_DIR/stack.json` (its ports and table names become the standard AWS SDK variables, so
 * the same adapters run), acting with the operator role of the CDK app, as a `--deployed`
 * command does; or, with `--deployed --stage S`, the deployment `ddor-S-stateless` in the
 * current credentials' account and region, whose outputs name every table, queue, bucket and
 * function the commands use (`operatorOutputKey`).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { envVarOfOutputKey, OPERATOR_FUNCTIONS } from '#config/runtime';
import { credentialEnvironment, rolePrincipal } from '#local/iam/principals';
import { applyLocalEnvironment } from '#local/stack';
import { dataDirFromEnv, readStackFile } from '#local/stack-file';

export interface Connection {
  kind: 'local' | 'deployed';
  gateway?: string;
  dataDir?: string;
  /** Function key → the name to invoke it by (locally from stack.json; deployed from the stack's outputs). */
  functions: Readonly<Record<string, string>>;
  /** The stack's clock minus the real one (LOCAL_NOW); 0 deployed. */
  clockOffsetMs: number;
}

/** Where a command acts: the local stack, or a deployment's stage. */
export type Target = { readonly deployed: false } | { readonly deployed: true; readonly stage: string };

/** The options every command that reaches the product takes, and their lines of its usage text. */
export const TARGET_OPTIONS = {
  deployed: { type: 'boolean', default: false },
  stage: { type: 'string' },
} as const;
export const TARGET_USAGE = `    --deployed    act on a deployment (AWS credentials of its operator role, AWS_REGION) instead of the local stack
    --stage NAME  with --deployed: the stage it was deployed as (cdk -c stage=NAME)`;

/** `--deployed` and `--stage` checked together, before anything is read: a usage error otherwise. */
export function targetOf(values: { deployed?: boolean; stage?: string }, usageText: string): Target {
  if (values.deployed !== true) {
    if (values.stage !== undefined) usage(`--stage goes with --deployed\n${usageText}`);
    return { deployed: false };
  }
  if (values.stage === undefined)
    usage(`--deployed needs --stage (the stage it was deployed as, e.g. prod)\n${usageText}`);
  // The stage rule of lib/config.ts: anything else cannot name a deployment.
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(values.stage))
    usage(
      `--stage must be a stage name (lower-case letters, digits, hyphens), not "${values.stage}"\n${usageText}`,
    );
  return { deployed: true, stage: values.stage };
}

/**
 * Sets the deployment's outputs as the environment of this process. Fails with what to do when
 * the region or credentials are missing, the stack is not there or the role may not read it.
 */
async function applyDeployedEnvironment(stage: string): Promise<Record<string, string>> {
  const stackName = `ddor-${stage}-stateless`;
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient({});
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const environment: Record<string, string> = {};
    for (const output of out.Stacks?.[0]?.Outputs ?? []) {
      const envVar = envVarOfOutputKey(output.OutputKey ?? '');
      if (envVar !== undefined && output.OutputValue !== undefined) environment[envVar] = output.OutputValue;
    }
    if (Object.keys(environment).length === 0)
      fail(
        `${stackName} has no outputs for the commands: deploy it again with this version (npx cdk deploy --all)`,
      );
    Object.assign(process.env, environment);
    return environment;
  } catch (error) {
    if (error instanceof Error && /does not exist/.test(error.message))
      fail(`there is no stack ${stackName} in ${await client.config.region()}: check --stage and AWS_REGION`);
    throw error;
  } finally {
    client.destroy();
  }
}

export async function connect(target: Target): Promise<Connection> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  if (target.deployed) {
    const environment = await applyDeployedEnvironment(target.stage);
    const functions = Object.fromEntries(
      Object.entries(OPERATOR_FUNCTIONS).flatMap(([key, envVar]) =>
        environment[envVar] === undefined ? [] : [[key, environment[envVar]]],
      ),
    );
    return { kind: 'deployed', functions, clockOffsetMs: 0 };
  }
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
        : `the deployment's outputs name no ${key} function: deploy it again with this version`,
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

/**
 * What to do about an error a command did not expect: the SDK's and the system's raw messages
 * turned into the step that fixes them; anything else as it is, without a stack trace.
 */
export function guidance(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : '';
  const code = (error as { code?: unknown } | null)?.code;
  if (/Region is missing/i.test(message))
    return 'no AWS region: set AWS_REGION to the region the stack was deployed to (e.g. AWS_REGION=us-east-1)';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message))
    return "no AWS credentials: assume the stack's operator role (output RoleArn of its Operator) and export its credentials, or set AWS_PROFILE";
  if (name === 'ExpiredTokenException' || /security token.*expired/i.test(message))
    return 'the AWS credentials have expired: assume the operator role again';
  if (
    name === 'AccessDeniedException' ||
    name === 'AccessDenied' ||
    /not authorized to perform/i.test(message)
  )
    return `${message}\n(act as the stack's operator role: it holds exactly what the commands need)`;
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message))
    return 'the local stack is not answering: start it with npm start (with the same DATA_DIR), or give --deployed --stage';
  return message;
}

/** The last catch of every command: guidance, exit 1. */
export function failWith(error: unknown): never {
  fail(guidance(error));
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
