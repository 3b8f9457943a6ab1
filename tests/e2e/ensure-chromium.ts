/**
 * Chromium for the browser tests: Debian's package, never a browser download. A vitest
 * globalSetup (vitest.config.ts), so that `npm ci && npm test` on a fresh machine installs it:
 * when `/usr/bin/chromium` is missing it runs `apt-get update && apt-get install -y chromium`
 * (about 30 s, as root). When it is present this is one `stat`.
 *
 * CHROMIUM_PATH points at another Chromium (then nothing is installed). Where it cannot be
 * installed (not root, no apt-get) it warns and returns: the tests that need a browser then
 * fail with the reason, and the others still run.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** Flags for headless Chromium in a container: no sandbox, no GPU, nothing fetched from the network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.CHROMIUM_PATH;
  return given === undefined || given === '' ? DEFAULT_CHROMIUM : given;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why Chromium is not usable, or undefined when it is (installing it first if need be). */
export function ensureChromium(
  log: (line: string) => void = (line) => console.log(line),
): string | undefined {
  const path = chromiumPath();
  if (executable(path)) return undefined;
  if (path !== DEFAULT_CHROMIUM) return `CHROMIUM_PATH=${path} is not an executable file`;
  if (process.platform !== 'linux' || typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return `${path} is missing: install Chromium (Debian: apt-get install -y chromium) or set CHROMIUM_PATH`;
  }
  log(`${path} is missing: installing Debian's chromium (apt-get update && apt-get install -y chromium)…`);
  const started = Date.now();
  const install = spawnSync('sh', ['-c', 'apt-get update && apt-get install -y chromium'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (install.error !== undefined || install.status !== 0 || !executable(path)) {
    const output = `${install.stdout ?? ''}${install.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    return `installing chromium failed (${install.error?.message ?? `exit ${install.status}`}):\n${output}`;
  }
  log(`installed chromium in ${Math.round((Date.now() - started) / 1000)} s`);
  return undefined;
}

/** vitest globalSetup. */
export default function setup(): void {
  const problem = ensureChromium();
  if (problem !== undefined) console.warn(`[ensure-chromium] ${problem}\nThe browser tests will fail.`);
}
