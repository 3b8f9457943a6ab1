import { createServer } from 'node:http';
import { listen } from '#local/emulators';

/**
 * Below Linux's ephemeral range (32768–60999 by default). A port the system hands out for
 * `listen(0)` or for an outgoing connection's local end lies in that range, so a test that stops a
 * stack and starts it again on the same ports can lose one of them to a parallel test in between
 * (CI did: "port 42075 is already in use"). Ports chosen here are never handed out that way.
 */
const FIXED_RANGE = { from: 20_000, to: 32_000 } as const;

/** Whether `port` can be listened on now, tried with the local stack's own `listen`. */
async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    await listen(server, 'a test port', port);
  } catch {
    return false;
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return true;
}

/** A distinct free port outside the ephemeral range for each name, for a stack that must restart on them. */
export async function fixedPorts<Name extends string>(names: readonly Name[]): Promise<Record<Name, number>> {
  const chosen = new Set<number>();
  for (let attempt = 0; chosen.size < names.length; attempt += 1) {
    if (attempt > 1_000)
      throw new Error(`no ${names.length} free ports in ${FIXED_RANGE.from}–${FIXED_RANGE.to}`);
    const port = FIXED_RANGE.from + Math.floor(Math.random() * (FIXED_RANGE.to - FIXED_RANGE.from));
    if (!chosen.has(port) && (await isFree(port))) chosen.add(port);
  }
  const ports = [...chosen];
  return Object.fromEntries(names.map((name, index) => [name, ports[index]])) as Record<Name, number>;
}
