/**
 * Child of report-assembly-main.ts: one publication's work (read, assemble, render every file),
 * alone in a fresh process, as in a publisher Lambda environment, whose memory setting caps the
 * whole process. Measured here rather than in the benchmark's own process, which holds the five
 * years of weeks it wrote and every figure it measured before.
 * Usage (by the benchmark, with the endpoint and tables in the environment):
 * node --import tsx publication-memory-main.ts WEEK
 */
import { runAsChild } from './child-process';
import { peakMemory, publicationTools } from './publication-tools';

async function main(week: string): Promise<{ peakRss: number; baseRss: number }> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(week))
    throw new Error(`usage: publication-memory-main.ts WEEK, not ${week}`);
  const tools = await publicationTools();
  return peakMemory(() => tools.publish(week));
}

void runAsChild(() => main(process.argv[2] ?? ''));
