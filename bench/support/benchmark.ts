/**
 * The shape every benchmark module in `bench/` exports, and the few statistics the runner
 * applies to what they measure. A module measures; `scripts/bench.ts` computes medians and
 * ratios, prints the table and writes docs/BENCHMARKS.md.
 */

/** How a figure is printed (and which way is better is left to the reader's sense of the unit). */
export type Unit = 'records/s' | 'messages/s' | 'calls' | 'items' | 'RCU' | 'bytes' | 'MiB' | 'ms';

/** The figures a measurement is compared against. */
export interface Baseline {
  /** What it is, e.g. "raw PutItem, 10 clients". */
  readonly name: string;
  /**
   * One figure per repetition. When as many as the subject's, sample i of both was measured
   * back to back in repetition i, and the ratio is the median of the per-repetition ratios.
   */
  readonly samples: readonly number[];
}

export interface Measurement {
  /** What was measured, e.g. "PUT /outcomes/{id}, 10 clients". */
  readonly name: string;
  readonly unit: Unit;
  /** One figure per repetition (a size has one); the report shows their median and range. */
  readonly samples: readonly number[];
  /** @default - no baseline, no ratio */
  readonly baseline?: Baseline;
}

export interface BenchmarkReport {
  readonly measurements: readonly Measurement[];
  /** Markdown lines shown under the table: findings, breakdowns, caveats. */
  readonly notes?: readonly string[];
}

export interface BenchOptions {
  /** Fewer and shorter repetitions: for trying the harness, not for figures to quote. */
  readonly quick: boolean;
  /** Progress lines (stderr), so that stdout holds only the results. */
  readonly log: (line: string) => void;
}

/** One concern measured against its baseline; add it to the list in scripts/bench.ts. */
export interface Benchmark {
  /** Short and stable: the section key in docs/BENCHMARKS.md and what `--only` matches. */
  readonly id: string;
  readonly title: string;
  /** Markdown: what is measured, how, and what it is compared against. */
  readonly description: string;
  run(options: BenchOptions): Promise<BenchmarkReport>;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  if (sorted.length % 2 === 1) return upper;
  return ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}

/**
 * subject ÷ baseline. Paired samples (same count, measured back to back) give the median of
 * the per-repetition ratios, which cancels the drift of a shared machine between repetitions;
 * otherwise the ratio of the medians.
 */
export function ratio(measurement: Measurement): number | undefined {
  const { baseline, samples } = measurement;
  if (baseline === undefined) return undefined;
  if (samples.length > 1 && samples.length === baseline.samples.length) {
    return median(samples.map((value, index) => value / (baseline.samples[index] ?? Number.NaN)));
  }
  return median(samples) / median(baseline.samples);
}
