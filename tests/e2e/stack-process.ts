/**
 * The real local stack as a user runs it: `tsx local/start.ts` in a child process with a fresh
 * DATA_DIR and every port free (0), found through `$DATA_DIR/stack.json` like the commands of
 * CONTRACT.md section 6; and those commands run as child processes with the same DATA_DIR.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStackFile, type StackFile } from '#local/stack-file';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** What `npx tsx` runs. */
const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

/** The environment of a child: this one, without a token or ports of the developer's own stack. */
function childEnvironment(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, ...extra };
  delete env.INTAKE_TOKEN;
  // vitest marks its workers; the stack is not a test process.
  delete env.VITEST;
  delete env.VITEST_WORKER_ID;
  delete env.VITEST_POOL_ID;
  return env;
}

export interface StackProcess {
  readonly dataDir: string;
  readonly stack: StackFile;
  /** The bootstrap admin token, read from `$DATA_DIR/intake-token`. */
  readonly adminToken: string;
  /** What the stack printed so far (stdout and stderr). */
  output(): string;
  /** Ctrl-C (SIGINT), then waits for a clean exit; the data directory is removed. */
  stop(): Promise<void>;
}

export async function startStackProcess(timeoutMs = 90_000): Promise<StackProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ddor-e2e-'));
  const child = spawn(TSX, [join(PROJECT_ROOT, 'local', 'start.ts')], {
    cwd: PROJECT_ROOT,
    env: childEnvironment(dataDir, {
      PORT: '0',
      DYNAMODB_PORT: '0',
      S3_PORT: '0',
      SES_PORT: '0',
      SQS_PORT: '0',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that a stack that will not stop can be ended with all its children.
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code ?? 'unknown')),
  );
  let exitedWith: number | string | undefined;
  void exited.then((value) => {
    exitedWith = value;
  });
  /** The process that runs local/start.ts (tsx's child), from stack.json. */
  let stackPid: number | undefined;

  const stop = async (): Promise<void> => {
    try {
      if (exitedWith === undefined) await interrupt(child, stackPid, exited);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  };

  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (exitedWith !== undefined) throw new Error(`the local stack exited (${exitedWith}):\n${output}`);
      if (Date.now() > deadline)
        throw new Error(`the local stack did not start within ${timeoutMs} ms:\n${output}`);
      const stack = await readStackFile(dataDir).catch(() => undefined);
      if (stack !== undefined) {
        stackPid = stack.pid;
        const health = await fetch(stack.urls.health).catch(() => undefined);
        if (health?.status === 200) {
          const adminToken = (await readFile(join(dataDir, 'intake-token'), 'utf8')).trim();
          return { dataDir, stack, adminToken, output: () => output, stop };
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Ctrl-C: SIGINT to the stack's own process (tsx, its parent, then exits with it), or to tsx
 * when the stack has not written stack.json yet; SIGKILL to the process group after 30 s.
 */
async function interrupt(
  child: ChildProcess,
  stackPid: number | undefined,
  exited: Promise<unknown>,
): Promise<void> {
  if (stackPid === undefined) child.kill('SIGINT');
  else process.kill(stackPid, 'SIGINT');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000));
  if ((await Promise.race([exited, timer])) === 'timeout' && child.pid !== undefined) {
    process.kill(-child.pid, 'SIGKILL');
    await exited;
  }
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npx tsx scripts/<script> …args` with the stack's DATA_DIR, as a user runs the commands. */
export function runCommand(
  dataDir: string,
  script: string,
  args: readonly string[],
  timeoutMs = 120_000,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [join(PROJECT_ROOT, 'scripts', script), ...args], {
      cwd: PROJECT_ROOT,
      env: childEnvironment(dataDir),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} took over ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
