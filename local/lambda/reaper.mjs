// Kills the local stack's function processes when the stack process dies, however it dies.
// A function process the stack has frozen (SIGSTOP) cannot notice that its parent is gone, so this
// watcher, started detached, holds the list: a line "+pid" adds one, "-pid" removes it, and the end
// of stdin (the stack's end, even by SIGKILL) kills every one left, frozen or not.
import { createInterface } from 'node:readline';

const pids = new Set();
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const pid = Number(line.slice(1));
  if (!Number.isInteger(pid) || pid <= 0) return;
  if (line.startsWith('+')) pids.add(pid);
  else pids.delete(pid);
});
lines.on('close', () => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  process.exit(0);
});
