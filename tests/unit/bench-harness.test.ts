import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Benchmark, median, ratio } from '../../bench/support/benchmark';
import { closedLoop } from '../../bench/support/closed-loop';
import { describeMachine, writeDocument } from '../../bench/support/report';

/** The harness behind `npm run bench` (the benchmarks themselves are not part of `npm test`). */
const benchmark = (id: string): Benchmark => ({
  id,
  title: `Title ${id}`,
  description: `What ${id} measures.`,
  run: async () => ({ measurements: [] }),
});

describe('bench harness', () => {
  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('pairs samples measured back to back, else divides the medians', () => {
    // Prepare: the machine slowed down in the second repetition for both subject and baseline.
    const paired = {
      name: 's',
      unit: 'ms',
      samples: [10, 40],
      baseline: { name: 'b', samples: [5, 20] },
    } as const;
    const unpaired = {
      name: 's',
      unit: 'ms',
      samples: [10, 40, 25],
      baseline: { name: 'b', samples: [5] },
    } as const;
    // Assess
    expect(ratio(paired)).toBe(2);
    expect(ratio(unpaired)).toBe(5);
    expect(ratio({ name: 's', unit: 'ms', samples: [1] })).toBeUndefined();
  });

  it('counts every client’s records in a closed loop', async () => {
    // Act: 10 clients, each call yields to the others before it counts.
    const result = await closedLoop({ clients: 10, durationMs: 60_000, maxOperations: 200 }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return 3;
    });
    // Assess
    expect(result.operations).toBe(200);
    expect(result.records).toBe(600);
  });

  it('rewrites the sections that ran and keeps the others', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'ddor-bench-doc-'));
    try {
      const path = join(directory, 'BENCHMARKS.md');
      const machine = describeMachine();
      const first = { machine, command: 'npm run bench', quick: false, date: new Date(0), seconds: 1 };
      const [a, b] = [benchmark('alpha'), benchmark('beta')];
      await writeDocument(
        path,
        [a, b],
        [
          { ...first, benchmark: a, report: { measurements: [], notes: ['old alpha'] } },
          { ...first, benchmark: b, report: { measurements: [], notes: ['old beta'] } },
        ],
        machine,
      );
      await writeDocument(
        path,
        [a, b],
        [{ ...first, quick: true, benchmark: b, report: { measurements: [], notes: ['new beta'] } }],
        machine,
      );
      const document = await readFile(path, 'utf8');
      expect(document).toContain('old alpha');
      expect(document).toContain('new beta');
      expect(document).not.toContain('old beta');
      expect(document.indexOf('Title alpha')).toBeLessThan(document.indexOf('Title beta'));
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
