/**
 * The third-party tools the tests run that npm does not carry (Chromium, Java for the Nu HTML
 * Checker, SpamAssassin) are Debian's packages: a fresh machine gets every missing one in one
 * `apt-get update && apt-get install -y …` (as root, about a minute), started by the suite's
 * global setup beside the assembly build, and a machine that has them pays one check each.
 * Never a browser or runtime downloaded by a tool itself.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DebianTool {
  /** The Debian package that provides it. */
  readonly pkg: string;
  /** True when it is usable here. */
  readonly present: () => boolean;
}

/** True when `command args` runs and exits 0 (e.g. `java -version`). */
export function runs(command: string, args: readonly string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** Debian package names only: the list goes into a shell command. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

function installCommand(packages: readonly string[]): string {
  for (const pkg of packages)
    if (!PACKAGE_NAME.test(pkg)) throw new Error(`not a Debian package name: ${pkg}`);
  return `apt-get update && apt-get install -y ${packages.join(' ')}`;
}

function cannotInstall(packages: readonly string[]): string | undefined {
  if (process.platform !== 'linux' || typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return `${packages.join(', ')} missing: install (Debian: apt-get install -y ${packages.join(' ')})`;
  }
  return undefined;
}

function failure(tools: readonly DebianTool[], detail: string, output: string): string | undefined {
  const still = tools.filter((tool) => !tool.present()).map((tool) => tool.pkg);
  if (still.length === 0) return undefined;
  const tail = output.trim().split('\n').slice(-20).join('\n');
  return `installing ${still.join(', ')} failed (${detail}):\n${tail}`;
}

/**
 * Installs whichever of `tools` is missing, in one apt-get run, without blocking the event loop
 * (the global setup builds the assembly meanwhile). Why one could not be installed, or undefined.
 */
export async function installMissing(
  tools: readonly DebianTool[],
  log: (line: string) => void = (line) => console.log(line),
): Promise<string | undefined> {
  const missing = tools.filter((tool) => !tool.present());
  if (missing.length === 0) return undefined;
  const packages = missing.map((tool) => tool.pkg);
  const refused = cannotInstall(packages);
  if (refused !== undefined) return refused;
  log(`installing Debian's ${packages.join(', ')} (apt-get)…`);
  const started = Date.now();
  // Its output to a file, not a pipe: the setup may keep the event loop busy meanwhile, and a
  // full pipe would stall apt-get.
  const logDir = mkdtempSync(join(tmpdir(), 'ddor-apt-'));
  const logFile = join(logDir, 'apt.log');
  const fd = openSync(logFile, 'wx');
  const status = await new Promise<number | null>((resolve) => {
    const child = spawn('sh', ['-c', installCommand(packages)], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', fd, fd],
    });
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve(code));
  });
  closeSync(fd);
  const output = readFileSync(logFile, 'utf8');
  rmSync(logDir, { recursive: true, force: true });
  const problem = failure(missing, status === 0 ? 'still missing afterwards' : `exit ${status}`, output);
  if (problem === undefined)
    log(`installed ${packages.join(', ')} in ${Math.round((Date.now() - started) / 1000)} s`);
  return problem;
}

/** The same for one tool, at once (a test that needs it, run on its own). */
export function ensureDebianPackage(
  tool: DebianTool,
  log: (line: string) => void = (line) => console.log(line),
): string | undefined {
  if (tool.present()) return undefined;
  const refused = cannotInstall([tool.pkg]);
  if (refused !== undefined) return refused;
  log(`${tool.pkg} is missing: installing Debian's package…`);
  const install = spawnSync('sh', ['-c', installCommand([tool.pkg])], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return failure(
    [tool],
    install.error?.message ?? `exit ${install.status}`,
    `${install.stdout ?? ''}${install.stderr ?? ''}`,
  );
}
