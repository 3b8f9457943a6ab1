import { readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import {
  type Benchmark,
  type BenchmarkReport,
  type Measurement,
  median,
  ratio,
  type Unit,
} from './benchmark';

export interface Machine {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpuCount: list.length,
    memoryGiB: totalmem() / 1024 ** 3,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

function machineLine(machine: Machine): string {
  return (
    `${machine.cpuModel} × ${machine.cpuCount}, ${machine.memoryGiB.toFixed(1)} GiB, ` +
    `Node ${machine.node} (${machine.platform})`
  );
}

/** One benchmark's results as the run produced them. */
export interface Section {
  readonly benchmark: Benchmark;
  readonly report: BenchmarkReport;
  readonly machine: Machine;
  readonly command: string;
  readonly quick: boolean;
  readonly date: Date;
  readonly seconds: number;
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return '–';
  switch (unit) {
    case 'records/s':
      return `${value < 100 ? value.toFixed(1) : grouped.format(value)} records/s`;
    case 'messages/s':
      return `${value < 100 ? value.toFixed(1) : grouped.format(value)} messages/s`;
    case 'calls':
      return `${value.toFixed(2)} calls`;
    case 'items':
      return `${grouped.format(value)} items`;
    case 'RCU':
      return `${grouped.format(value)} RCU`;
    case 'MiB':
      return `${value.toFixed(1)} MiB`;
    case 'bytes':
      return value >= 10_240 ? `${(value / 1024).toFixed(1)} KiB` : `${grouped.format(value)} B`;
    case 'ms':
      return `${value.toFixed(1)} ms`;
  }
}

function formatRatio(value: number | undefined): string {
  if (value === undefined) return '';
  if (!Number.isFinite(value)) return '–';
  return `${value < 0.1 ? value.toFixed(3) : value.toFixed(2)}×`;
}

/** The columns shared by the console table and the Markdown table. */
function row(measurement: Measurement): string[] {
  const { samples, unit, baseline } = measurement;
  const range =
    samples.length > 1
      ? `${formatValue(Math.min(...samples), unit).split(' ')[0]} – ${formatValue(Math.max(...samples), unit)} (n=${samples.length})`
      : '';
  return [
    measurement.name,
    formatValue(median(samples), unit),
    range,
    baseline?.name ?? '',
    baseline === undefined ? '' : formatValue(median(baseline.samples), unit),
    formatRatio(ratio(measurement)),
  ];
}

const HEADER = ['measurement', 'median', 'range', 'baseline', 'baseline median', 'ratio'];

/** A plain-text table for the terminal. */
export function consoleTable(sections: readonly Section[]): string {
  const rows: string[][] = [];
  for (const section of sections) {
    rows.push([`[${section.benchmark.id}]`, '', '', '', '', '']);
    for (const measurement of section.report.measurements) rows.push(row(measurement));
  }
  const widths = HEADER.map((title, column) =>
    Math.max(title.length, ...rows.map((cells) => (cells[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(HEADER), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

const escapeCell = (text: string) => text.replaceAll('|', '\\|');

/** Text columns are left-aligned, figures right-aligned. */
const LEFT_ALIGNED = new Set([0, 3]);

/** A Markdown table with padded columns, as the project's formatter (Biome) lays it out. */
function markdownTable(rows: readonly (readonly string[])[]): string[] {
  const widths = HEADER.map((title, column) =>
    Math.max(3, title.length, ...rows.map((cells) => (cells[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${widths
      .map((width, column) => {
        const cell = cells[column] ?? '';
        return LEFT_ALIGNED.has(column) ? cell.padEnd(width) : cell.padStart(width);
      })
      .join(' | ')} |`;
  const rule = `| ${widths
    .map((width, column) => (LEFT_ALIGNED.has(column) ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`))
    .join(' | ')} |`;
  return [line(HEADER), rule, ...rows.map(line)];
}

function markdownSection(section: Section): string {
  const { benchmark, report } = section;
  const lines = [
    startMarker(benchmark.id),
    `## ${benchmark.title}`,
    '',
    `Run ${section.date.toISOString().slice(0, 16).replace('T', ' ')} UTC with \`${section.command}\`` +
      ` (${section.quick ? '**quick run: rough figures**' : 'full run'}, ${section.seconds.toFixed(0)} s)` +
      ` on ${machineLine(section.machine)}.`,
    '',
    benchmark.description,
    '',
    ...markdownTable(report.measurements.map((measurement) => row(measurement).map(escapeCell))),
  ];
  if (report.notes !== undefined && report.notes.length > 0) {
    lines.push('', ...report.notes.map((note) => `- ${note}`));
  }
  lines.push(endMarker(benchmark.id));
  return lines.join('\n');
}

const startMarker = (id: string) => `<!-- bench:${id}:start -->`;
const endMarker = (id: string) => `<!-- bench:${id}:end -->`;

/** The sections already in the document, by benchmark id, so a subset run keeps the others. */
function existingSections(document: string): Map<string, string> {
  const sections = new Map<string, string>();
  const pattern = /<!-- bench:([\w-]+):start -->[\s\S]*?<!-- bench:\1:end -->/g;
  for (const match of document.matchAll(pattern)) {
    if (match[1] !== undefined) sections.set(match[1], match[0]);
  }
  return sections;
}

function preamble(machine: Machine): string {
  return [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (`scripts/bench.ts`, one module per concern in `bench/`); do not edit',
    'by hand. `npm run bench -- --only <id>` re-runs some sections and keeps the others;',
    '`--quick` is for trying the harness (its sections say so). The benchmarks are not part of `npm test`.',
    'To add one: a module in `bench/` that exports a `Benchmark` (`bench/support/benchmark.ts`), listed',
    'in `BENCHMARKS` in `scripts/bench.ts`.',
    '',
    '## Machine and method',
    '',
    `- Last run on: ${machineLine(machine)}.`,
    '- **The machine is shared and noisy, with 2 cores**: absolute figures move by 10–20 % between runs.',
    '  Each subject is measured back to back with its baseline in the same process, several times;',
    '  the ratios are steadier than the absolute figures. Compare ratios, and re-run before trusting',
    '  a difference under about 15 %.',
    '- **median**: of the repetitions; **range**: their minimum and maximum; **ratio**: subject ÷',
    '  baseline, the median of the per-repetition ratios when both were measured in each repetition,',
    '  else the ratio of the medians.',
  ].join('\n');
}

/**
 * Writes the document: the preamble for this run, then one section per benchmark in `order`,
 * this run's where it ran one, else the one already in the file.
 */
export async function writeDocument(
  path: string,
  order: readonly Benchmark[],
  sections: readonly Section[],
  machine: Machine,
): Promise<void> {
  let previous = '';
  try {
    previous = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const kept = existingSections(previous);
  const fresh = new Map(sections.map((section) => [section.benchmark.id, markdownSection(section)]));
  const bodies = order.flatMap((benchmark) => {
    const body = fresh.get(benchmark.id) ?? kept.get(benchmark.id);
    return body === undefined ? [] : [body];
  });
  await writeFile(path, `${[preamble(machine), ...bodies].join('\n\n')}\n`);
}
