/**
 * A token bucket holding at most one token: `take()` resolves when the caller may make one more
 * call without exceeding `ratePerSecond` in any window, not just on average (SES enforces its
 * maximum send rate per second, so a burst of a second's reserve would be throttled). The sender
 * shares one per container.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly ratePerSecond: number,
    private readonly clock: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    if (!(ratePerSecond > 0)) throw new Error('the send rate must be a positive number per second');
    // Start with one token: a burst at start-up would overshoot the rate over short windows.
    this.tokens = 1;
    this.last = clock();
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
      // One token at most, even after an idle spell: a second's worth saved up would let one
      // second see twice the rate.
      this.tokens = Math.min(1, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(((1 - this.tokens) / this.ratePerSecond) * 1000);
    }
  }
}
