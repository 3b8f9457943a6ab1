/**
 * The third-party tools the tests run that npm does not carry (Chromium, Java for the Nu HTML
 * Checker, SpamAssassin) are Debian's packages: a fresh machine gets them here, as root, the
 * first time a test needs one (`apt-get update && apt-get install -y …`, tens of seconds), and a
 * machine that has them pays one check. Never a browser or runtime downloaded by a tool itself.
 */
import { spawnSync } from 'node:child_process';

/**
 * Installs Debian's `pkg` unless `present()` already holds; why it could not, or undefined once
 * `present()` holds.
 */
export function ensureDebianPackage(
  pkg: string,
  present: () => boolean,
  log: (line: string) => void = (line) => console.log(line),
): string | undefined {
  if (present()) return undefined;
  if (process.platform !== 'linux' || typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return `${pkg} is missing: install it (Debian: apt-get install -y ${pkg})`;
  }
  log(`${pkg} is missing: installing Debian's package (apt-get update && apt-get install -y ${pkg})…`);
  const started = Date.now();
  const install = spawnSync('sh', ['-c', `apt-get update && apt-get install -y ${pkg}`], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (install.error !== undefined || install.status !== 0 || !present()) {
    const output = `${install.stdout ?? ''}${install.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    return `installing ${pkg} failed (${install.error?.message ?? `exit ${install.status}`}):\n${output}`;
  }
  log(`installed ${pkg} in ${Math.round((Date.now() - started) / 1000)} s`);
  return undefined;
}

/** True when `command args` runs and exits 0 (e.g. `java -version`). */
export function runs(command: string, args: readonly string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}
