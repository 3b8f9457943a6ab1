import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** `.local/` in the project root: where `npm start` keeps its data unless DATA_DIR says otherwise. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../.local/', import.meta.url));

/** The data directory every command uses: DATA_DIR (relative to the working directory) or the default. */
export function dataDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.DATA_DIR;
  return value === undefined || value === '' ? DEFAULT_DATA_DIR : resolve(value);
}

export function stackFilePath(dataDir: string): string {
  return join(dataDir, 'stack.json');
}

const port = z.number().int().min(1).max(65535);

const runningStackSchema = z.object({
  pid: z.number().int().positive(),
  gateway: z.string(),
  ports: z.object({
    gateway: port,
    dynamodb: port,
    s3: port,
    ses: port,
    sqs: port.optional(),
    cdn: port.optional(),
    lambda: port.optional(),
    secretsmanager: port.optional(),
  }),
  // Loose: later servers (SQS, the scheduler) add their URLs without breaking older readers.
  urls: z.looseObject({
    gateway: z.string(),
    health: z.string(),
    openapi: z.string(),
    mailbox: z.string(),
    mailStore: z.string(),
    s3: z.string(),
    dynamodb: z.string(),
    sqs: z.string().optional(),
    cdn: z.string().optional(),
  }),
  tables: z.record(z.string(), z.string()),
  buckets: z.record(z.string(), z.string()),
  /** Env var → queue URL; absent from the file of a stack older than its SQS server. */
  queues: z.record(z.string(), z.string()).optional(),
  /** Function key → its local name in the Lambda API (`npm run publish`, `npm run weekly`). */
  functions: z.record(z.string(), z.string()).optional(),
  /** The functions' shared variables (the template's values and the local overrides; no secrets). */
  environment: z.record(z.string(), z.string()).optional(),
  /** LOCAL_NOW: the stack's clock minus the real one, in ms (absent: the real clock). */
  clockOffsetMs: z.number().int().optional(),
  dataDir: z.string(),
  startedAt: z.string(),
});

/** What a running stack publishes in `$DATA_DIR/stack.json` for the commands of section 6. */
export type StackFile = z.infer<typeof runningStackSchema>;

/** Written first, with O_EXCL, so two stacks can never open the same DATA_DIR at once. */
const startingStackSchema = z.object({ pid: z.number().int().positive(), starting: z.literal(true) });

export type StartingStackFile = z.infer<typeof startingStackSchema>;

/** No usable stack for this DATA_DIR: none was started, it has stopped, or it is still starting. */
export class NoLocalStackError extends Error {
  constructor(
    readonly dataDir: string,
    message: string,
  ) {
    super(message);
    this.name = 'NoLocalStackError';
  }
}

function notRunning(dataDir: string, detail = ''): NoLocalStackError {
  return new NoLocalStackError(
    dataDir,
    `no local stack is running for DATA_DIR=${dataDir}${detail}; start it with npm start`,
  );
}

/** Whether a process exists; EPERM means it exists but belongs to someone else. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The parsed stack.json, whether running or starting, or undefined when absent or unreadable. */
export async function peekStackFile(dataDir: string): Promise<StackFile | StartingStackFile | undefined> {
  let text: string;
  try {
    text = await readFile(stackFilePath(dataDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // A file cut short by a crash mid-write: nothing is running from it.
    return undefined;
  }
  const running = runningStackSchema.safeParse(json);
  if (running.success) return running.data;
  const starting = startingStackSchema.safeParse(json);
  return starting.success ? starting.data : undefined;
}

/**
 * The running local stack for `dataDir`, found through its stack.json. Throws NoLocalStackError
 * when there is none, when the process that wrote it is gone (a crash leaves the file behind), or
 * when it has not finished starting.
 */
export async function readStackFile(dataDir: string): Promise<StackFile> {
  const absolute = resolve(dataDir);
  const file = await peekStackFile(absolute);
  if (file === undefined) throw notRunning(absolute);
  if (!isProcessAlive(file.pid)) {
    throw notRunning(absolute, ` (its stack.json names process ${file.pid}, which has exited)`);
  }
  if ('starting' in file) {
    throw new NoLocalStackError(
      absolute,
      `the local stack for DATA_DIR=${absolute} is still starting (process ${file.pid}); try again once npm start has printed its URLs`,
    );
  }
  return file;
}
