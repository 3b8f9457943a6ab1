import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
import { FUNCTIONS } from '#config/runtime';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The esbuild options AppFunction (lib/constructs/function.ts) bundles with. The construct's
 * `bundling` props are inline, so they are repeated here as the esbuild options NodejsFunction
 * turns them into: `--bundle --target=node22 --platform=node --format=esm --minify --sourcemap
 * --sources-content=false --main-fields=module,main --banner:js=…`, and no `--external` because
 * of `bundleAwsSDK: true`. The bundles benchmark rebuilds each entry through the construct and
 * reports whether the bytes are identical, so a change on either side shows.
 */
export const LAMBDA_BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
} as const satisfies BuildOptions;

export interface LambdaBundle {
  /** The entry, relative to the project root. */
  readonly entry: string;
  /** The bundle's absolute path (`index.mjs`, as NodejsFunction names an ESM bundle). */
  readonly path: string;
  readonly bytes: number;
  /** gzip level 9: about what the deployment zip stores. */
  readonly gzipBytes: number;
  readonly mapBytes: number;
  readonly metafile: Metafile;
}

/** Bundles `entry` (relative to the project root) into `outdir/index.mjs` with the construct's options. */
export async function bundleLambda(
  entry: string,
  outdir: string,
  plugins: Plugin[] = [],
): Promise<LambdaBundle> {
  const path = join(outdir, 'index.mjs');
  const result = await build({
    ...LAMBDA_BUILD_OPTIONS,
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [entry],
    outfile: path,
    metafile: true,
    logLevel: 'error',
    plugins,
  });
  const code = await readFile(path);
  return {
    entry,
    path,
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    mapBytes: (await stat(`${path}.map`)).size,
    metafile: result.metafile,
  };
}

/** Every Lambda entry, relative to the project root, from the one definition CDK deploys. */
export async function lambdaEntries(): Promise<string[]> {
  return Object.values(FUNCTIONS)
    .map((fn) => fn.entry)
    .sort();
}

/** Bytes of the output per group of inputs, largest first. */
export function contributors(
  metafile: Metafile,
  groupOf: (input: string) => string,
): { group: string; bytes: number }[] {
  const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint !== undefined);
  if (output === undefined) return [];
  const groups = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const group = groupOf(input);
    groups.set(group, (groups.get(group) ?? 0) + bytesInOutput);
  }
  return [...groups]
    .map(([group, bytes]) => ({ group, bytes }))
    .sort((a, b) => b.bytes - a.bytes || a.group.localeCompare(b.group));
}

/** `zod`, `@smithy/core`, or the project folder (`lambdas/core`). */
export function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (match?.[1] !== undefined) return match[1];
  return input.split('/').slice(0, 2).join('/');
}

/** The input's folder without `node_modules/`, e.g. `zod/v4/locales`. */
export function folderOf(input: string): string {
  const path = input.includes('node_modules/') ? input.slice(input.lastIndexOf('node_modules/') + 13) : input;
  return path.slice(0, Math.max(path.lastIndexOf('/'), 0)) || path;
}
