import type { Reporter, TestModule } from 'vitest/node';

/**
 * A vitest reporter beside the default one: at the end of a run, every test file's duration,
 * slowest first, so CI shows where the run's minutes go (`npm test` must stay under 10).
 */
export default class DurationsReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    const rows = modules
      .map((module) => ({
        file: module.moduleId.replace(`${process.cwd()}/`, ''),
        ms: module.diagnostic().duration,
      }))
      .sort((a, b) => b.ms - a.ms);
    const total = rows.reduce((sum, row) => sum + row.ms, 0);
    const lines = rows.map((row) => `${(row.ms / 1000).toFixed(1).padStart(7)} s  ${row.file}`);
    console.log(
      `\ntest file durations (sum ${(total / 1000).toFixed(0)} s, files run in parallel):\n${lines.join('\n')}`,
    );
  }
}
