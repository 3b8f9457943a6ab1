import { type ChildProcess, fork } from 'node:child_process';
import { PROJECT_ROOT } from './lambda-bundle';

/**
 * Benchmarks that run the functions' code do it in a child process: the adapters' SDK clients
 * are module singletons that pin the endpoint of their first call, so a second local stack in the
 * runner's process (after intake-throughput's) would reach a closed port; and a fresh process
 * gives each measurement its own heap, so its memory figures are its own.
 *
 * Protocol over the IPC channel: the child sends `log` lines, `event`s for its parent, and one
 * `result` or `error`; the parent may send it messages (e.g. "stop").
 */
type ChildMessage =
  | { readonly kind: 'log'; readonly line: string }
  | { readonly kind: 'event'; readonly event: unknown }
  | { readonly kind: 'result'; readonly value: unknown }
  | { readonly kind: 'error'; readonly message: string; readonly stack?: string };

export interface ChildOptions {
  readonly args?: readonly string[];
  /** Added to the environment the runner was launched with (not to the one it has now). */
  readonly env?: Readonly<Record<string, string>>;
  /** Node flags besides the tsx loader, e.g. `--expose-gc`. */
  readonly nodeFlags?: readonly string[];
  readonly log: (line: string) => void;
  readonly onEvent?: (event: unknown) => void;
}

export interface ChildHandle<T> {
  /** The child's result; rejects with its error, or if it exits without one. */
  readonly result: Promise<T>;
  readonly pid: number | undefined;
  /** Sends a message to the child (it reads them with `onParentMessage`). */
  send(message: unknown): void;
}

/**
 * The environment the runner was started with, taken when this module loads, before any section
 * runs: intake-throughput starts a local stack in the runner's own process, which sets its
 * endpoints, tables and secret ARNs on process.env, and a later section's children must not
 * inherit them (the fan-out's sender once read its link key from that stack's stopped Secrets
 * Manager stand-in, and every batch failed with ECONNREFUSED).
 */
const LAUNCH_ENVIRONMENT: Readonly<Record<string, string | undefined>> = { ...process.env };

function isChildMessage(value: unknown): value is ChildMessage {
  return typeof value === 'object' && value !== null && 'kind' in value;
}

/** Starts `script` (relative to the project root) under tsx, in the project root. */
export function startChild<T>(script: string, options: ChildOptions): ChildHandle<T> {
  const child: ChildProcess = fork(script, [...(options.args ?? [])], {
    cwd: PROJECT_ROOT,
    execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])],
    env: { ...LAUNCH_ENVIRONMENT, ...options.env },
    // The child's stdout goes to our stderr: the runner's stdout holds only the results.
    stdio: ['ignore', 2, 2, 'ipc'],
  });
  const result = new Promise<T>((resolve, reject) => {
    let settled = false;
    child.on('message', (message: unknown) => {
      if (!isChildMessage(message)) return;
      switch (message.kind) {
        case 'log':
          options.log(message.line);
          break;
        case 'event':
          options.onEvent?.(message.event);
          break;
        case 'result':
          settled = true;
          resolve(message.value as T);
          break;
        case 'error': {
          settled = true;
          const error = new Error(`${script}: ${message.message}`);
          if (message.stack !== undefined) error.stack = `${error.message}\n(child) ${message.stack}`;
          reject(error);
          break;
        }
      }
    });
    child.on('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    child.on('exit', (code, signal) => {
      if (!settled) reject(new Error(`${script} exited (${signal ?? `code ${code}`}) without a result`));
      settled = true;
    });
  });
  return {
    result,
    pid: child.pid,
    send(message) {
      if (child.connected) child.send(message as object);
    },
  };
}

// ---- In the child -------------------------------------------------------------------------

function post(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) {
      // Run by hand (no parent): progress to stderr, the result as JSON to stdout.
      if (message.kind === 'log') process.stderr.write(`${message.line}\n`);
      if (message.kind === 'result') process.stdout.write(`${JSON.stringify(message.value, null, 2)}\n`);
      if (message.kind === 'error') process.stderr.write(`${message.stack ?? message.message}\n`);
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

/** A progress line, shown by the parent's `log`. */
export function childLog(line: string): void {
  void post({ kind: 'log', line });
}

/** An event for the parent's `onEvent`. */
export function childEvent(event: unknown): void {
  void post({ kind: 'event', event });
}

/** Calls `listener` with each message the parent sends. */
export function onParentMessage(listener: (message: unknown) => void): void {
  process.on('message', listener);
}

/**
 * Runs `main` as the child's whole work: sends its result (or its error) to the parent and exits,
 * whatever handles (keep-alive sockets, timers) are still open.
 */
export async function runAsChild<T>(main: () => Promise<T>): Promise<void> {
  // The parent is gone (killed, crashed): do not linger with open servers.
  process.on('disconnect', () => process.exit(1));
  try {
    const value = await main();
    await post({ kind: 'result', value });
    process.exit(0);
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    await post({
      kind: 'error',
      message: failure.message,
      ...(failure.stack === undefined ? {} : { stack: failure.stack }),
    });
    process.exit(1);
  }
}
