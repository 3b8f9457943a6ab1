/**
 * Child process of `constructBundles()`: bundles each entry through AppFunction itself, as
 * `cdk synth` does, and writes `{ [entry]: "<asset dir>/index.mjs" }` to the result file.
 * Usage: node --import tsx construct-bundle-main.ts <result.json> <outdir> <entry>…
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { AppFunction } from '#lib/constructs/function';

const [resultFile, outdir, ...entries] = process.argv.slice(2);
if (resultFile === undefined || outdir === undefined || entries.length === 0) {
  throw new Error('usage: construct-bundle-main.ts <result.json> <outdir> <entry>…');
}
const app = new App({ outdir });
const stack = new Stack(app, 'BenchBundles');
const bundles: Record<string, string> = {};
for (const [index, entry] of entries.entries()) {
  // Bundling runs while the construct is built (local esbuild), into the function's code asset.
  const fn = new AppFunction(stack, `Function${index}`, {
    settings: { entry, timeoutSeconds: 10, memoryMb: 512 },
    reportTimeZone: 'UTC',
    logRetention: RetentionDays.ONE_DAY,
  });
  const code = fn.node.tryFindChild('Code');
  if (!(code instanceof Asset)) throw new Error(`no code asset found for ${entry}`);
  bundles[entry] = join(outdir, code.assetPath, 'index.mjs');
}
await writeFile(resultFile, JSON.stringify(bundles));
