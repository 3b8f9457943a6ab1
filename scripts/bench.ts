/**
 * `npm run bench [-- --only <id>[,<id>…]] [--quick]`: runs the benchmark modules of `bench/`,
 * prints one table and writes docs/BENCHMARKS.md. Not part of `npm test`: the figures depend on
 * the machine, and the full run takes a few minutes.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { archiveSite } from '../bench/archive-site';
import { bundles } from '../bench/bundles';
import { fanOut } from '../bench/fan-out';
import { intakeThroughput } from '../bench/intake-throughput';
import { reportAssembly } from '../bench/report-assembly';
import type { Benchmark } from '../bench/support/benchmark';
import { consoleTable, describeMachine, type Section, writeDocument } from '../bench/support/report';

/** Every benchmark, in the order they run and appear in docs/BENCHMARKS.md. Add new modules here. */
const BENCHMARKS: readonly Benchmark[] = [intakeThroughput, bundles, reportAssembly, archiveSite, fanOut];

const DOCUMENT = fileURLToPath(new URL('../docs/BENCHMARKS.md', import.meta.url));

const USAGE = `usage: npm run bench [-- [--only <id>[,<id>…]] [--quick]]

  --only   run the benchmarks whose id contains one of the words (others keep their section)
  --quick  fewer, shorter repetitions: rough figures, for trying the harness

benchmarks: ${BENCHMARKS.map((benchmark) => benchmark.id).join(', ')}`;

function selected(only: readonly string[]): readonly Benchmark[] {
  const words = only.flatMap((value) => value.split(',')).map((word) => word.trim().toLowerCase());
  if (words.length === 0) return BENCHMARKS;
  const chosen = BENCHMARKS.filter((benchmark) => words.some((word) => benchmark.id.includes(word)));
  if (chosen.length === 0) throw new UsageError(`no benchmark matches --only ${words.join(',')}`);
  return chosen;
}

class UsageError extends Error {}

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const quick = values.quick;
  const benchmarks = selected(values.only ?? []);
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  const machine = describeMachine();
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const sections: Section[] = [];
  for (const benchmark of benchmarks) {
    log(`${benchmark.id}: ${benchmark.title}${quick ? ' (quick)' : ''}`);
    const date = new Date();
    const start = performance.now();
    const report = await benchmark.run({ quick, log });
    const seconds = (performance.now() - start) / 1000;
    log(`${benchmark.id}: done in ${seconds.toFixed(1)} s`);
    sections.push({ benchmark, report, machine, command, quick, date, seconds });
  }

  console.log(consoleTable(sections));
  for (const section of sections) {
    for (const note of section.report.notes ?? []) console.log(`\n[${section.benchmark.id}] ${note}`);
  }
  await writeDocument(DOCUMENT, BENCHMARKS, sections, machine);
  log(`\nwrote ${join('docs', 'BENCHMARKS.md')}`);
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
    console.error(`error: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  throw error;
}
