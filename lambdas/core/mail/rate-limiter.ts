/**
 * SES counts its maximum send rate over each second; the limiter holds its count over a window
 * 2 % longer. A send's latency varies, so the second SES counts in is not quite the one the
 * limiter granted in, and that slack keeps SES's count within the rate. The slack is in the
 * window, not the count: a count is whole, and a rate of 10/s less 2 % rounded up is 10 again,
 * rounded down is 9.
 */
const WINDOW_MS = 1_000 / 0.98;
/**
 * How late a grant may be and the grid still hold (at least one interval): a timer's lateness is
 * made up, an idle spell is not.
 */
const CATCH_UP_MS = 10;

/**
 * The sender's limiter, one per container: `take()` resolves when the caller may make one more
 * call without exceeding `ratePerSecond` in any 1-s window, not just on average (SES enforces its
 * maximum send rate per second, so a second's reserve spent at once would be throttled).
 *
 * Grants follow a grid of 1/rate: each is due one interval after the previous one's slot, not
 * after the moment it was granted, so a timer that fires late (a `setTimeout` wakes a millisecond
 * or more late under load; 5 ms apart at 200/s became 6.5, 154/s) costs nothing: the next grant
 * is due sooner. A grant later than `CATCH_UP_MS` (or one interval, if longer) starts the grid
 * at itself, so an idle spell saves up at most one grant. And it keeps the times of the last
 * grants: a grant also waits until fewer than the rate's whole count fall in the last 1,020 ms,
 * which bounds the catching up.
 */
export class RateLimiter {
  private readonly perWindow: number;
  private readonly intervalMs: number;
  /** The grid slot of the last grant. */
  private slot = Number.NEGATIVE_INFINITY;
  /** The last `perWindow` grant times, oldest at `next` once the ring is full. */
  private readonly granted: number[] = [];
  private next = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    ratePerSecond: number,
    private readonly clock: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    if (!(ratePerSecond > 0)) throw new Error('the send rate must be a positive number per second');
    // Whole grants only: a container's share of the rate is often a fraction (14/s over 4 is
    // 3.5/s), and 4 a second from each would be 16/s in all.
    this.perWindow = Math.max(1, Math.floor(ratePerSecond));
    this.intervalMs = 1_000 / ratePerSecond;
  }

  take(): Promise<void> {
    // Callers queue so that concurrent invocations in one container share the rate fairly.
    const turn = this.queue.then(() => this.wait());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async wait(): Promise<void> {
    for (;;) {
      const now = this.clock();
      const earliest = this.earliestGrant();
      if (now >= earliest) {
        this.record(now);
        return;
      }
      await this.sleep(earliest - now);
    }
  }

  private earliestGrant(): number {
    const due = this.slot + this.intervalMs;
    const count = this.granted.length;
    if (count < this.perWindow) return due;
    const oldest = this.granted[this.next] ?? 0;
    return Math.max(due, oldest + WINDOW_MS);
  }

  private record(at: number): void {
    // On the grid while it keeps up; a grant later than that (the first, or after an idle
    // spell) starts the grid afresh at itself.
    const due = this.slot + this.intervalMs;
    this.slot = at - due <= Math.max(this.intervalMs, CATCH_UP_MS) ? due : at;
    if (this.granted.length < this.perWindow) {
      this.granted.push(at);
      return;
    }
    this.granted[this.next] = at;
    this.next = (this.next + 1) % this.perWindow;
  }
}
