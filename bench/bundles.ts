import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Plugin } from 'esbuild';
import { FUNCTIONS } from '#config/runtime';
import { type Benchmark, type BenchOptions, type Measurement, median } from './support/benchmark';
import { coldImport, type ImportTiming } from './support/cold-import';
import { constructBundles } from './support/construct-bundles';
import {
  bundleLambda,
  contributors,
  folderOf,
  type LambdaBundle,
  lambdaEntries,
  PROJECT_ROOT,
  packageOf,
} from './support/lambda-bundle';
import { formatValue } from './support/report';

/** The entry the baseline plugin answers with a subject's own SDK clients (`sdkBaseline`). */
const BASELINE_ENTRY = 'ddor-sdk-baseline';
const ZOD_FLOOR_CLASSIC = 'bench/fixtures/zod-classic-schema.ts';
const ZOD_FLOOR_MINI = 'bench/fixtures/zod-mini-schema.ts';
const TOP = 5;

/** The modes a bundle is imported in: plain, and as the functions run (NODE_OPTIONS in the construct). */
const MODES = [
  { label: 'node', flags: [] },
  { label: 'node --enable-source-maps', flags: ['--enable-source-maps'] },
] as const;

interface Plan {
  readonly repetitions: number;
}
const FULL: Plan = { repetitions: 7 };
const QUICK: Plan = { repetitions: 3 };

/** `lambdas/intake/api/handler.ts` → `intake`: the function's name in `#config/runtime`. */
const functionName = (entry: string) =>
  Object.entries(FUNCTIONS).find(([, fn]) => fn.entry === entry)?.[0] ?? basename(dirname(entry));

const NAMED_ZOD_IMPORT = /^import \{ z \} from 'zod';$/gm;

/**
 * A what-if, not a change: the project's files as if they imported zod as a namespace
 * (`import * as z from 'zod'`, the same API). `rewritten` collects the files it changed.
 */
function zodNamespaceImport(rewritten: Set<string>): Plugin {
  const projectFiles = new RegExp(`^${join(PROJECT_ROOT, 'lambdas').replaceAll('/', '\\/')}\\/.*\\.ts$`);
  return {
    name: 'zod-namespace-import',
    setup(build) {
      build.onLoad({ filter: projectFiles }, async ({ path }) => {
        const source = await readFile(path, 'utf8');
        const contents = source.replace(NAMED_ZOD_IMPORT, "import * as z from 'zod';");
        if (contents !== source) rewritten.add(path.slice(PROJECT_ROOT.length));
        return { contents, loader: 'ts' };
      });
    },
  };
}

/** The SDK client packages (`@aws-sdk/client-*`) and observability modules a bundle holds. */
function sdkPackagesOf(bundle: LambdaBundle): {
  clients: string[];
  documentClient: boolean;
  powertools: string[];
} {
  const packages = new Set(contributors(bundle.metafile, packageOf).map(({ group }) => group));
  return {
    clients: [...packages].filter((name) => /^@aws-sdk\/client-/.test(name)).sort(),
    documentClient: packages.has('@aws-sdk/lib-dynamodb'),
    powertools: [...packages]
      .filter((name) => /^@aws-lambda-powertools\/(logger|metrics)$/.test(name))
      .sort(),
  };
}

/**
 * The baseline of one function (issue 14): a handler that only creates the SDK clients that
 * function's bundle holds (and the DocumentClient, and the Powertools logger and metrics when it
 * has them), with the same options, so the ratio is the product's own code and its other libraries.
 * The class of each client is read from its package, so a new client needs no change here.
 */
async function sdkBaseline(bundle: LambdaBundle): Promise<{ source: string; label: string }> {
  const { clients, documentClient, powertools } = sdkPackagesOf(bundle);
  const imports: string[] = [];
  const clientsMade: string[] = [];
  const othersMade: string[] = [];
  for (const [index, name] of clients.entries()) {
    const types = await readFile(
      join(PROJECT_ROOT, 'node_modules', name, 'dist-types', 'index.d.ts'),
      'utf8',
    );
    const className = /export \* from "\.\/(\w+Client)"/.exec(types)?.[1];
    if (className === undefined) throw new Error(`no client class in ${name}`);
    imports.push(`import { ${className} as C${index} } from '${name}';`);
    clientsMade.push(`new C${index}({})`);
  }
  const dynamo = clients.indexOf('@aws-sdk/client-dynamodb');
  if (documentClient && dynamo >= 0) {
    imports.push("import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';");
    othersMade.push(`DynamoDBDocumentClient.from(clients[${dynamo}] as never)`);
  }
  if (powertools.includes('@aws-lambda-powertools/logger')) {
    imports.push("import { Logger } from '@aws-lambda-powertools/logger';");
    othersMade.push("new Logger({ serviceName: 'ddor' })");
  }
  if (powertools.includes('@aws-lambda-powertools/metrics')) {
    imports.push("import { Metrics } from '@aws-lambda-powertools/metrics';");
    othersMade.push("new Metrics({ namespace: 'ddor', serviceName: 'ddor' })");
  }
  const source = [
    ...imports,
    `const clients: unknown[] = [${clientsMade.join(', ')}];`,
    `const others: unknown[] = [${othersMade.join(', ')}];`,
    'export const handler = async () => ({ statusCode: 200, body: String(clients.length + others.length) });',
  ].join('\n');
  const short = clients.map((name) => name.replace('@aws-sdk/client-', '')).join(', ');
  return { source, label: `${short}${powertools.length > 0 ? ' + Powertools' : ''}` };
}

/** An esbuild plugin that makes `BASELINE_ENTRY` the given source, resolved from the project. */
function baselineEntry(source: string): Plugin {
  return {
    name: 'sdk-baseline',
    setup(build) {
      build.onResolve({ filter: /^ddor-sdk-baseline$/ }, () => ({
        path: BASELINE_ENTRY,
        namespace: 'sdk-baseline',
      }));
      build.onLoad({ filter: /.*/, namespace: 'sdk-baseline' }, () => ({
        contents: source,
        loader: 'ts',
        resolveDir: PROJECT_ROOT,
      }));
    },
  };
}

interface Variant {
  readonly label: string;
  readonly bundle: LambdaBundle;
}

/**
 * Imports every variant in every mode `repetitions` times, in a rotating order so that no
 * variant always runs first or last. The first round is a discarded warm-up (file cache).
 */
async function importTimings(
  variants: readonly Variant[],
  repetitions: number,
  log: BenchOptions['log'],
): Promise<Map<string, ImportTiming[]>> {
  const timings = new Map<string, ImportTiming[]>();
  const key = (variant: Variant, mode: (typeof MODES)[number]) => `${variant.label}|${mode.label}`;
  for (let round = -1; round < repetitions; round++) {
    if (round >= 0) log(`  cold imports, repetition ${round + 1}/${repetitions}`);
    for (const mode of MODES) {
      const order = variants.map((_, index) => variants[(index + Math.max(round, 0)) % variants.length]);
      for (const variant of order) {
        if (variant === undefined) continue;
        const timing = await coldImport(variant.bundle.path, mode.flags);
        if (round < 0) continue;
        const list = timings.get(key(variant, mode)) ?? [];
        list.push(timing);
        timings.set(key(variant, mode), list);
      }
    }
  }
  return timings;
}

export const bundles: Benchmark = {
  id: 'bundles',
  title: 'Lambda bundles',
  description:
    'Each Lambda entry (`FUNCTIONS` in `lambdas/config/runtime.ts`) bundled with the esbuild options of `AppFunction` ' +
    '(lib/constructs/function.ts: ESM, node22, minified, source map without sources, AWS SDK ' +
    'bundled, the `createRequire` banner): its size, gzip size (level 9) and source map size, and ' +
    'its cold import time (`await import(bundle)` timed with `performance.now()` in a fresh `node`, ' +
    'plain and with `--enable-source-maps` as the functions run), against a baseline of its own: ' +
    'a bundle with the same options that only creates the SDK clients the function bundles (each ' +
    '`@aws-sdk/client-*` package its metafile holds, the DocumentClient when it has it) and the ' +
    'Powertools logger and metrics, so the ratio is what the product adds beyond the SDK and ' +
    'observability. Then what the bundle is made of (esbuild metafile), and zod what-ifs.',
  async run({ quick, log }) {
    const plan = quick ? QUICK : FULL;
    const workdir = await mkdtemp(join(tmpdir(), 'ddor-bench-bundles-'));
    try {
      const entries = await lambdaEntries();
      if (entries.length === 0) throw new Error('no function entries in lambdas/config/runtime.ts');
      log(`  bundling ${entries.join(', ')} and an SDK-only baseline of each`);
      const subjects: Variant[] = [];
      const baselines = new Map<string, Variant>();
      const whatIfs = new Map<string, { variant: Variant; rewritten: readonly string[] }>();
      for (const entry of entries) {
        const name = functionName(entry);
        const subject = { label: name, bundle: await bundleLambda(entry, join(workdir, name)) };
        subjects.push(subject);
        const { source, label } = await sdkBaseline(subject.bundle);
        baselines.set(name, {
          label: `${name} SDK only (${label})`,
          bundle: await bundleLambda(BASELINE_ENTRY, join(workdir, `${name}-sdk-only`), [
            baselineEntry(source),
          ]),
        });
        const rewritten = new Set<string>();
        const bundle = await bundleLambda(entry, join(workdir, `${name}-zod-namespace`), [
          zodNamespaceImport(rewritten),
        ]);
        if (rewritten.size > 0) {
          whatIfs.set(name, {
            variant: { label: `${name}, zod namespace import`, bundle },
            rewritten: [...rewritten].sort(),
          });
        }
      }

      log('  bundling the same entries through AppFunction (the construct itself)');
      const viaConstruct = await constructBundles(entries, workdir);
      const fidelity: string[] = [];
      for (const subject of subjects) {
        const theirs = viaConstruct[subject.bundle.entry];
        const same = async (path: string) =>
          theirs !== undefined && (await readFile(theirs)).equals(await readFile(path));
        if (await same(subject.bundle.path)) {
          fidelity.push(`${subject.label} identical`);
          continue;
        }
        // Others may be editing the sources during the run: rebuild once before calling it drift.
        const again = await bundleLambda(subject.bundle.entry, join(workdir, `${subject.label}-again`));
        if (await same(again.path)) {
          fidelity.push(
            `${subject.label} identical (a source changed during the run; figures are from before)`,
          );
        } else {
          fidelity.push(`${subject.label} **DIFFERENT: update bench/support/lambda-bundle.ts**`);
          log(`  WARNING: ${subject.bundle.entry} differs from AppFunction's bundle`);
        }
      }

      log('  bundling the zod floor fixtures');
      const floorClassic = await bundleLambda(ZOD_FLOOR_CLASSIC, join(workdir, 'zod-classic'));
      const floorMini = await bundleLambda(ZOD_FLOOR_MINI, join(workdir, 'zod-mini'));

      const variants = [
        ...baselines.values(),
        ...subjects,
        ...[...whatIfs.values()].map((whatIf) => whatIf.variant),
      ];
      const baselineOf = (subject: Variant): Variant => {
        const found = baselines.get(subject.label);
        if (found === undefined) throw new Error(`no baseline for ${subject.label}`);
        return found;
      };
      const timings = await importTimings(variants, plan.repetitions, log);
      const importSamples = (variant: Variant, mode: (typeof MODES)[number]) =>
        (timings.get(`${variant.label}|${mode.label}`) ?? []).map((timing) => timing.importMs);

      const measurements: Measurement[] = [];
      const sizes = (subject: Variant, against: Variant, suffix = ''): Measurement[] => [
        {
          name: `${subject.label}${suffix}: bundle`,
          unit: 'bytes',
          samples: [subject.bundle.bytes],
          baseline: { name: `${against.label}: bundle`, samples: [against.bundle.bytes] },
        },
        {
          name: `${subject.label}${suffix}: bundle, gzip -9`,
          unit: 'bytes',
          samples: [subject.bundle.gzipBytes],
          baseline: { name: `${against.label}: bundle, gzip -9`, samples: [against.bundle.gzipBytes] },
        },
        {
          name: `${subject.label}${suffix}: source map`,
          unit: 'bytes',
          samples: [subject.bundle.mapBytes],
          baseline: { name: `${against.label}: source map`, samples: [against.bundle.mapBytes] },
        },
        ...MODES.map(
          (mode): Measurement => ({
            name: `${subject.label}${suffix}: cold import, ${mode.label}`,
            unit: 'ms',
            samples: importSamples(subject, mode),
            baseline: { name: `${against.label}: cold import`, samples: importSamples(against, mode) },
          }),
        ),
      ];
      for (const subject of subjects) measurements.push(...sizes(subject, baselineOf(subject)));

      const notes: string[] = [
        `Same options as AppFunction: each entry was also bundled through the construct itself ` +
          `(\`new AppFunction(…)\` in a throwaway app): ${fidelity.join(', ')}.`,
      ];
      for (const subject of subjects) {
        const whole = subject.bundle.bytes;
        const packages = contributors(subject.bundle.metafile, packageOf);
        for (const { group, bytes } of packages.slice(0, TOP)) {
          measurements.push({
            name: `${subject.label}: package ${group}`,
            unit: 'bytes',
            samples: [bytes],
            baseline: { name: `${subject.label}: whole bundle`, samples: [whole] },
          });
        }
        const folders = contributors(subject.bundle.metafile, folderOf).slice(0, TOP);
        notes.push(
          `Largest folders in the ${subject.label} bundle: ` +
            folders
              .map(
                ({ group, bytes }) =>
                  `\`${group}\` ${formatValue(bytes, 'bytes')} (${((bytes / whole) * 100).toFixed(0)} %)`,
              )
              .join(', ') +
            '.',
        );
        const whatIf = whatIfs.get(subject.label);
        if (whatIf !== undefined) {
          measurements.push(...sizes(whatIf.variant, subject, ' (what-if)'));
          const saved = whole - whatIf.variant.bundle.bytes;
          notes.push(
            `What-if for ${subject.label}: ${whatIf.rewritten.map((file) => `\`${file}\``).join(', ')} ` +
              `importing zod as a namespace: ${formatValue(saved, 'bytes')} smaller (${((saved / whole) * 100).toFixed(0)} %).`,
          );
        }
      }
      if (whatIfs.size > 0) {
        notes.push(
          "The zod what-if rebuilds with `import { z } from 'zod'` written as `import * as z from 'zod'` " +
            "(the same API; zod's documented form). Imported by name, `z` is a namespace object that " +
            'esbuild keeps whole, with `z.locales` (every language, about 260 KiB minified); imported as ' +
            'a namespace, only the members used stay, and only the English messages zod configures by default.',
        );
      }
      const boot = [...baselines.values()]
        .flatMap((baseline) => timings.get(`${baseline.label}|node`) ?? [])
        .map((timing) => timing.sinceStartMs - timing.importMs);
      notes.push(
        `Node's own start-up before the import (not in the figures): median ${formatValue(median(boot), 'ms')}. ` +
          'Lambda adds its runtime and the download of the code (the deployment zip holds the source map ' +
          'too) on top. Node 20 here, Node 22 on Lambda.',
      );
      measurements.push(
        {
          name: 'zod floor, zod/mini: bundle',
          unit: 'bytes',
          samples: [floorMini.bytes],
          baseline: { name: 'zod floor, classic (namespace import): bundle', samples: [floorClassic.bytes] },
        },
        {
          name: 'zod floor, zod/mini: bundle, gzip -9',
          unit: 'bytes',
          samples: [floorMini.gzipBytes],
          baseline: {
            name: 'zod floor, classic (namespace import): gzip -9',
            samples: [floorClassic.gzipBytes],
          },
        },
      );
      notes.push(
        `zod floor: the same small schema (strict objects, refined strings, enums, arrays, a cross-field ` +
          `rule, metadata, JSON Schema output) in \`${ZOD_FLOOR_CLASSIC}\` (classic API, namespace import) and ` +
          `\`${ZOD_FLOOR_MINI}\` (zod/mini): what moving the schemas to zod/mini could still save after the ` +
          'namespace import. `zod/v4/core` alone has no schema-building API: it is for libraries built on zod.',
        `Plan: ${plan.repetitions} cold imports per bundle and mode after one discarded warm-up round, ` +
          'rotating the order of the bundles each round.',
      );
      return { measurements, notes };
    } finally {
      await rm(workdir, { recursive: true, force: true });
    }
  },
};
