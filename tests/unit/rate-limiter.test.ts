import { describe, expect, it } from 'vitest';
import { RateLimiter } from '#core/mail/rate-limiter';

/** A clock that only moves when the limiter sleeps: the times it grants are exact. */
function virtualTime() {
  let now = 0;
  return {
    clock: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

describe('the send rate limiter', () => {
  it('never lets more than the rate through in any one-second window', async () => {
    const time = virtualTime();
    const limiter = new RateLimiter(10, time.clock, time.sleep);
    const granted: number[] = [];
    for (let i = 0; i < 50; i++) {
      await limiter.take();
      granted.push(time.now());
    }
    for (const start of granted) {
      const inWindow = granted.filter((t) => t >= start && t < start + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(10);
    }
    // And it keeps the average: 49 intervals of 100 ms after the first call.
    expect(granted.at(-1)).toBeCloseTo(4900, 0);
  });

  it('saves up no burst over an idle spell: the second after it sees the rate, not twice it', async () => {
    const time = virtualTime();
    const limiter = new RateLimiter(10, time.clock, time.sleep);
    await limiter.take();
    await time.sleep(5_000);
    const start = time.now();
    const granted: number[] = [];
    for (let i = 0; i < 30; i++) {
      await limiter.take();
      granted.push(time.now());
    }
    for (const at of granted) {
      expect(granted.filter((t) => t >= at && t < at + 1000).length).toBeLessThanOrEqual(10);
    }
    expect(granted.filter((t) => t < start + 1000)).toHaveLength(10);
  });

  it('shares one rate between concurrent callers', async () => {
    const time = virtualTime();
    const limiter = new RateLimiter(5, time.clock, time.sleep);
    await Promise.all(Array.from({ length: 20 }, () => limiter.take()));
    expect(time.now()).toBeCloseTo(19 * 200, 0);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RateLimiter(0)).toThrow(/positive/);
  });
});
