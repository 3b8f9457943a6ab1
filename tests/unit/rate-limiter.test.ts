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
    const granted: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        await limiter.take();
        granted.push(time.now());
      }),
    );
    expect(time.now()).toBeCloseTo(19 * 200, 0);
    for (const at of granted) {
      expect(granted.filter((t) => t >= at && t < at + 1000).length).toBeLessThanOrEqual(5);
    }
  });

  it('keeps the rate when every timer fires late, as setTimeout does under load', async () => {
    // Each sleep ends 1.5 ms after it was due: a limiter that spaces grants 1/rate from the
    // moment it woke loses that every time (5 ms apart at 200/s become 6.5: 154/s).
    let now = 0;
    const limiter = new RateLimiter(
      200,
      () => now,
      async (ms) => {
        now += ms + 1.5;
      },
    );
    const granted: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      await limiter.take();
      granted.push(now);
    }
    const perSecond = (granted.length - 1) / (((granted.at(-1) ?? 0) - (granted[0] ?? 0)) / 1000);
    expect(perSecond).toBeGreaterThanOrEqual(0.95 * 200);
    let start = 0;
    for (let end = 0; end < granted.length; end++) {
      while ((granted[end] ?? 0) - (granted[start] ?? 0) >= 1000) start++;
      expect(end - start + 1).toBeLessThanOrEqual(200);
    }
  });

  it('grants a rate under one a second at its own spacing', async () => {
    const time = virtualTime();
    const limiter = new RateLimiter(0.5, time.clock, time.sleep);
    await limiter.take();
    await limiter.take();
    await limiter.take();
    expect(time.now()).toBe(4000);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RateLimiter(0)).toThrow(/positive/);
  });
});
