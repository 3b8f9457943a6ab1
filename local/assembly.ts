import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The cloud assembly the local stack runs: `cdk synth` of the CDK app itself, so each local
 * function is the bundle CDK deploys and its IAM policy is the one the template carries. It is
 * made once per change of its sources (a hash of every file the app and the bundles are built
 * from) and kept under node_modules/.cache, so a test run or `npm start` synthesizes at most once.
 */

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What the app and its bundles are built from. `templates/generated` is made from `templates/`. */
const SOURCE_DIRS = ['bin', 'lib', 'lambdas', 'templates'];
const SOURCE_FILES = ['package-lock.json', 'package.json', 'cdk.json', 'tsconfig.json'];
const SKIPPED = new Set(['generated', 'node_modules']);

/** Where assemblies are kept: one directory per source hash. */
export function assemblyCacheDir(): string {
  return process.env.DDOR_ASSEMBLY_CACHE ?? join(PROJECT_ROOT, 'node_modules', '.cache', 'ddor-assembly');
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const files: string[] = [];
  for (const entry of entries) {
    if (SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** The hash of every source of the assembly: its path and its bytes. */
export async function sourceHash(root = PROJECT_ROOT): Promise<string> {
  const files = [
    ...(await Promise.all(SOURCE_DIRS.map((dir) => listFiles(join(root, dir))))).flat(),
    ...SOURCE_FILES.map((file) => join(root, file)),
  ].sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(relative(root, file));
    hash.update('\0');
    hash.update(await readFile(file).catch(() => Buffer.from('missing')));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 24);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function synthesize(outdir: string, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk'),
      ['synth', '--quiet', '--output', outdir],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } },
    );
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`cdk synth failed (exit ${code}):\n${output}`));
    });
    log(`synthesizing the CDK app for the local stack (once per change of its sources) into ${outdir}`);
  });
}

/**
 * The directory of the synthesized assembly for the sources as they are now, made if missing.
 * Concurrent callers (vitest workers, `npm start` beside a test run) wait for one another through
 * a lock directory; the assembly is written to a temporary directory and renamed into place whole.
 */
export async function ensureAssembly(log: (line: string) => void = () => undefined): Promise<string> {
  const cache = assemblyCacheDir();
  const hash = await sourceHash();
  const dir = join(cache, hash);
  if (await exists(join(dir, 'manifest.json'))) return dir;
  await mkdir(cache, { recursive: true });
  const lock = join(cache, `${hash}.lock`);
  const started = Date.now();
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await exists(join(dir, 'manifest.json'))) return dir;
    // A lock older than any synth is left by a killed process.
    const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
    if (age > 180_000) await rm(lock, { recursive: true, force: true });
    if (Date.now() - started > 300_000) throw new Error(`waited 5 minutes for ${lock}; remove it if stale`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    if (await exists(join(dir, 'manifest.json'))) return dir;
    const temporary = `${dir}.${process.pid}.tmp`;
    await rm(temporary, { recursive: true, force: true });
    await synthesize(temporary, log);
    await rm(dir, { recursive: true, force: true });
    await rename(temporary, dir);
    await pruneOld(cache, hash);
    return dir;
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** Keeps the newest few assemblies: each is about 10 MB. */
async function pruneOld(cache: string, keep: string): Promise<void> {
  const entries = await readdir(cache, { withFileTypes: true });
  const dirs = await Promise.all(
    entries
      .filter((entry) => entry.isDirectory() && /^[0-9a-f]{24}$/.test(entry.name) && entry.name !== keep)
      .map(async (entry) => ({ name: entry.name, mtime: (await stat(join(cache, entry.name))).mtimeMs })),
  );
  dirs.sort((a, b) => b.mtime - a.mtime);
  for (const old of dirs.slice(3)) await rm(join(cache, old.name), { recursive: true, force: true });
}
