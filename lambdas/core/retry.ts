/** Retrying a lost conditional write, shared by every flow that races on one item. */

/** Full-jitter backoff: spreads racing writers apart so one of them wins each round. */
export function backoff(attempt: number): Promise<void> {
  if (attempt === 0) return Promise.resolve();
  const ceiling = Math.min(100, 2 ** Math.min(attempt, 7));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
