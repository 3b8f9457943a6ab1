import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/**
 * Local Lambda: each function runs as Lambda runs it (contract §1). An execution environment is a
 * Node process of its own (local/lambda/host.mjs) with the function's deployed bundle, its own
 * environment and credentials, and a heap sized from its memory. It runs one invocation at a
 * time; at most `concurrency` environments exist per function and further invocations wait. An
 * invocation past the function's timeout is ended by killing its environment (the answer is
 * lost, the next invocation starts cold); after an answer the environment is frozen (SIGSTOP)
 * until its next invocation, so work it left running does not run in between.
 */

const HOST = fileURLToPath(new URL('./host.mjs', import.meta.url));
const REAPER = fileURLToPath(new URL('./reaper.mjs', import.meta.url));

/** Lambda's limit on a function's init phase. */
const INIT_TIMEOUT_MS = 10_000;

/** The function threw, or its environment failed: what Lambda reports as a function error. */
export class FunctionError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    message: string,
    readonly trace: readonly string[] = [],
  ) {
    super(message);
    this.name = 'FunctionError';
  }
}

/** The invocation ran past the function's timeout; its environment was ended. */
export class FunctionTimeoutError extends FunctionError {
  constructor(functionName: string, timeoutSeconds: number) {
    super(functionName, 'Sandbox.Timedout', `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`);
    this.name = 'FunctionTimeoutError';
  }
}

export interface LocalFunctionOptions {
  /** Its name in logs, contexts and the Lambda API. */
  readonly name: string;
  /** The bundle (`index.mjs`) and the handler's export name. */
  readonly bundle: string;
  readonly handler: string;
  /** The whole environment of its processes: nothing of the stack's own process leaks in. */
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Environments at once. */
  readonly concurrency: number;
  readonly reaper?: Reaper;
}

interface Result {
  readonly type: 'result';
  readonly id: string;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: { errorType: string; errorMessage: string; trace: string[] };
}

interface Environment {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  /** Set while an invocation runs: how to settle it when the process ends under it. */
  settle?: ((result: Result | Error) => void) | undefined;
  frozen: boolean;
  exited: boolean;
}

/** The log lines each function printed, newest last (a CloudWatch Logs stand-in for tests). */
const LOG_LINES_KEPT = 2000;

export class LocalFunction {
  private readonly idle: Environment[] = [];
  private readonly all = new Set<Environment>();
  private readonly waiting: ((environment: Environment) => void)[] = [];
  private readonly lines: string[] = [];
  private stopped = false;
  /** Invocations so far, environments started (cold starts), and invocations ended by the timeout. */
  invocations = 0;
  coldStarts = 0;
  timeouts = 0;

  constructor(readonly options: LocalFunctionOptions) {}

  /** What the function printed, oldest first (at most the last 2,000 lines). */
  logs(): readonly string[] {
    return [...this.lines];
  }

  /** Runs one invocation; rejects with FunctionError (or FunctionTimeoutError) as Lambda reports them. */
  async invoke(event: unknown): Promise<unknown> {
    if (this.stopped)
      throw new FunctionError(this.options.name, 'Local.Stopped', 'the local stack is stopping');
    this.invocations += 1;
    const environment = await this.acquire();
    let reusable = false;
    try {
      await environment.ready;
      const result = await this.run(environment, event);
      reusable = true;
      if (result.ok) return result.value;
      const error = result.error ?? { errorType: 'Error', errorMessage: 'unknown error', trace: [] };
      throw new FunctionError(this.options.name, error.errorType, error.errorMessage, error.trace);
    } finally {
      this.release(environment, reusable);
    }
  }

  /** Ends every environment (frozen ones too) and refuses further invocations. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.all].map((environment) => this.end(environment)));
  }

  private run(environment: Environment, event: unknown): Promise<Result> {
    const { name, timeoutSeconds, memoryMb } = this.options;
    return new Promise<Result>((resolve, reject) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        this.timeouts += 1;
        environment.settle = undefined;
        void this.end(environment);
        reject(new FunctionTimeoutError(name, timeoutSeconds));
      }, timeoutSeconds * 1000);
      environment.settle = (result) => {
        clearTimeout(timer);
        environment.settle = undefined;
        if (result instanceof Error) reject(result);
        else if (result.id === id) resolve(result);
      };
      this.thaw(environment);
      environment.child.send({
        type: 'invoke',
        id,
        event,
        remainingMs: timeoutSeconds * 1000,
        requestId: randomUUID(),
        functionName: name,
        memoryMb,
      });
    });
  }

  private acquire(): Promise<Environment> {
    const ready = this.idle.pop();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.all.size < this.options.concurrency) return Promise.resolve(this.start());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(environment: Environment, reusable: boolean): void {
    if (!reusable || environment.exited || this.stopped) {
      void this.end(environment);
      const next = this.waiting.shift();
      if (next !== undefined) next(this.start());
      return;
    }
    this.freeze(environment);
    const next = this.waiting.shift();
    if (next !== undefined) next(environment);
    else this.idle.push(environment);
  }

  private start(): Environment {
    const { name, bundle, handler, environment: env, memoryMb } = this.options;
    this.coldStarts += 1;
    // Lambda's Node runtime gives the heap most of the function's memory.
    const heapMb = Math.max(64, Math.floor(memoryMb * 0.9));
    const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, HOST, bundle, handler], {
      env: { ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const environment: Environment = {
      child,
      frozen: false,
      exited: false,
      ready: new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new FunctionError(name, 'Runtime.InitTimeout', `init took over ${INIT_TIMEOUT_MS} ms`));
          void this.end(environment);
        }, INIT_TIMEOUT_MS);
        child.once('message', () => {
          clearTimeout(timer);
          resolve();
        });
        child.once('exit', () => {
          clearTimeout(timer);
          reject(new FunctionError(name, 'Runtime.ExitError', 'the environment exited during init'));
        });
      }),
    };
    environment.ready.catch(() => undefined);
    this.all.add(environment);
    if (child.pid !== undefined) this.options.reaper?.watch(child.pid);
    child.on('message', (message: { type?: string }) => {
      if (message?.type === 'result') environment.settle?.(message as Result);
    });
    child.on('exit', (code, signal) => {
      environment.exited = true;
      this.all.delete(environment);
      const at = this.idle.indexOf(environment);
      if (at >= 0) this.idle.splice(at, 1);
      if (child.pid !== undefined) this.options.reaper?.forget(child.pid);
      environment.settle?.(
        new FunctionError(
          name,
          'Runtime.ExitError',
          `the environment exited during the invocation (${signal ?? `exit ${String(code)}`})`,
        ),
      );
    });
    for (const [stream, write] of [
      [child.stdout, (text: string) => process.stdout.write(text)],
      [child.stderr, (text: string) => process.stderr.write(text)],
    ] as const) {
      let partial = '';
      stream?.setEncoding('utf8').on('data', (chunk: string) => {
        write(chunk);
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        this.lines.push(...parts);
        if (this.lines.length > LOG_LINES_KEPT) this.lines.splice(0, this.lines.length - LOG_LINES_KEPT);
      });
    }
    return environment;
  }

  private freeze(environment: Environment): void {
    if (environment.exited || environment.frozen || environment.child.pid === undefined) return;
    environment.child.kill('SIGSTOP');
    environment.frozen = true;
  }

  private thaw(environment: Environment): void {
    if (!environment.frozen || environment.exited) return;
    environment.child.kill('SIGCONT');
    environment.frozen = false;
  }

  /** Kills the environment (SIGKILL ends a frozen process too) and waits for it to exit. */
  private end(environment: Environment): Promise<void> {
    this.all.delete(environment);
    const at = this.idle.indexOf(environment);
    if (at >= 0) this.idle.splice(at, 1);
    if (environment.exited) return Promise.resolve();
    return new Promise((resolve) => {
      environment.child.once('exit', () => resolve());
      environment.child.kill('SIGKILL');
    });
  }
}

/** The watcher that kills the function processes when the stack process dies (local/lambda/reaper.mjs). */
export interface Reaper {
  watch(pid: number): void;
  forget(pid: number): void;
  close(): void;
}

export function startReaper(): Reaper {
  const child = spawn(process.execPath, [REAPER], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  child.unref();
  // The pipe must not keep this process alive either.
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  const write = (line: string) => {
    if (child.stdin?.writable) child.stdin.write(`${line}\n`);
  };
  return {
    watch: (pid) => write(`+${pid}`),
    forget: (pid) => write(`-${pid}`),
    close: () => child.stdin?.end(),
  };
}
