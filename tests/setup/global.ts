/**
 * The suite's one vitest globalSetup (vitest.config.ts), two jobs side by side:
 * - the CDK app synthesized once per run, before any test file starts a stack (local/assembly.ts
 *   keeps it by the hash of its sources, so a run with unchanged sources builds nothing); every
 *   stack of the run then starts from the same bundles and extracted policies;
 * - the Debian tools the browser tests run (Chromium, Java for the Nu HTML Checker,
 *   SpamAssassin), whichever is missing installed in one apt-get run while the assembly builds.
 *   Where they cannot be installed it warns: the tests that need them fail with the reason, and
 *   the others still run.
 */
import { ensureAssembly } from '#local/assembly';
import { installMissing } from '../e2e/debian-package';
import { CHROMIUM_TOOL, chromiumPath, DEFAULT_CHROMIUM } from '../e2e/ensure-chromium';
import { JAVA_TOOL } from '../e2e/nu-checker';
import { SPAMASSASSIN_TOOL } from '../e2e/spam-check';

export default async function setup(): Promise<void> {
  const started = Date.now();
  // Another Chromium named by CHROMIUM_PATH is the tester's own: nothing is installed for it.
  const tools = [
    ...(chromiumPath() === DEFAULT_CHROMIUM ? [CHROMIUM_TOOL] : []),
    JAVA_TOOL,
    SPAMASSASSIN_TOOL,
  ];
  const [problem, dir] = await Promise.all([
    installMissing(tools),
    ensureAssembly((line) => console.log(line)),
  ]);
  if (problem !== undefined)
    console.warn(`[debian tools] ${problem}\nThe browser tests that need them will fail.`);
  console.log(`cloud assembly for the local stacks: ${dir} (${Date.now() - started} ms)`);
}
