/**
 * A test stack in a process of its own, on the DATA_DIR given, so a test can kill it with SIGKILL
 * (no stop, no flush) and start it again on the same data. Its data is kept on disk (not in
 * memory); the queues named after the directory start with their event source mapping disabled.
 * The bootstrap token comes from INTAKE_TOKEN. Prints `ready` once the stack runs.
 *
 *   node --import tsx tests/support/stack-child.ts <dataDir> [disabled queue]…
 */
import { startLocalStack } from '#local/stack';

const [dataDir, ...disabled] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: stack-child.ts <dataDir> [disabled queue]…');
await startLocalStack({
  dataDir,
  quiet: true,
  timeScale: 0.01,
  disabledEventSources: disabled,
});
process.stdout.write('ready\n');
