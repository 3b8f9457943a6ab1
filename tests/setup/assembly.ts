/**
 * A vitest globalSetup (vitest.config.ts): synthesizes the CDK app once per run of the suite,
 * before any test file starts a stack (local/assembly.ts keeps it by the hash of its sources, so
 * a run with unchanged sources builds nothing). Every stack of the run then starts from the same
 * bundles and extracted policies.
 */
import { ensureAssembly } from '#local/assembly';

export default async function setup(): Promise<void> {
  const started = Date.now();
  const dir = await ensureAssembly((line) => console.log(line));
  console.log(`cloud assembly for the local stacks: ${dir} (${Date.now() - started} ms)`);
}
