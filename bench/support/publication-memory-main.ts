/**
 * Child of report-assembly-main.ts: one publication's work (read, assemble, render every file),
 * alone in a fresh process, as in a publisher Lambda environment, whose memory setting caps the
 * whole process. Measured here rather than in the benchmark's own process, which holds the five
 * years of weeks it wrote and every figure it measured before.
 * Usage (by the benchmark): node --import tsx publication-memory-main.ts '<{"env", "week"} as JSON>'
 */
import { runAsChild } from './child-process';
import { peakMemory, publicationTools } from './publication-tools';

interface Job {
  readonly env: Record<string, string>;
  readonly week: string;
}

async function main(job: Job): Promise<{ peakRss: number; baseRss: number }> {
  Object.assign(process.env, job.env);
  const tools = await publicationTools();
  return peakMemory(() => tools.publish(job.week));
}

void runAsChild(() => main(JSON.parse(process.argv[2] ?? '{}') as Job));
