/**
 * Chromium for the browser tests: Debian's package, never a browser download. The suite's global
 * setup (tests/setup/global.ts) installs it when `/usr/bin/chromium` is missing, so that
 * `npm ci && npm test` on a fresh machine has it (debian-package.ts, as root). When it is present
 * this is one `stat`.
 *
 * CHROMIUM_PATH points at another Chromium (then nothing is installed). Where it cannot be
 * installed (not root, no apt-get) it warns and returns: the tests that need a browser then
 * fail with the reason, and the others still run.
 */
import { accessSync, constants } from 'node:fs';
import { type DebianTool, ensureDebianPackage } from './debian-package';

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
  return ensureDebianPackage(CHROMIUM_TOOL, log);
}

/** Debian's Chromium, at its own path (nothing is installed for a CHROMIUM_PATH of another). */
export const CHROMIUM_TOOL: DebianTool = { pkg: 'chromium', present: () => executable(DEFAULT_CHROMIUM) };
