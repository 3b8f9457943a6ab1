import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from './lambda-bundle';

const run = promisify(execFile);

/**
 * Bundles `entries` through AppFunction (lib/constructs/function.ts) in a child process, as
 * `cdk synth` does, and returns each entry's `index.mjs`. A child, because the construct's
 * bundling prints its progress and loading aws-cdk-lib takes a second this process need not keep.
 */
export async function constructBundles(
  entries: readonly string[],
  workdir: string,
): Promise<Record<string, string>> {
  const resultFile = join(workdir, 'construct-bundles.json');
  const outdir = join(workdir, 'cdk.out');
  await run(
    process.execPath,
    [
      '--import',
      'tsx',
      join(PROJECT_ROOT, 'bench/support/construct-bundle-main.ts'),
      resultFile,
      outdir,
      ...entries,
    ],
    { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(await readFile(resultFile, 'utf8')) as Record<string, string>;
}
