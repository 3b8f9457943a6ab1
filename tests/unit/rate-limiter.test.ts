import { describe, expect, it } from 'vitest';
import { RateLimiter } from '#core/mail/rate-limiter';
import { peakInWindow } from '../../bench/support/windows';

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
    // And it keeps the average: ten a window of 1,020 ms, 100 ms apart within it.
    expect(granted.at(-1)).toBeCloseTo(4 * (1000 / 0.98) + 900, 0);
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
    expect(time.now()).toBeCloseTo(3 * (1000 / 0.98) + 4 * 200, 0);
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
    // Never more than the rate within 1,020 ms: the 2 % slack for the latency of each send.
    expect(peakInWindow(granted, 1000 / 0.98).count).toBeLessThanOrEqual(200);
  });

  it.each([
    [3.5, 3],
    [5, 5],
    [0.4, 1],
  ])('holds a share of %s/s to %s grants in any second, whole grants only', async (rate, most) => {
    const time = virtualTime();
    const limiter = new RateLimiter(rate, time.clock, time.sleep);
    const granted: number[] = [];
    for (let i = 0; i < 40; i++) {
      await limiter.take();
      granted.push(time.now());
    }
    expect(peakInWindow(granted, 1000).count).toBeLessThanOrEqual(most);
    // And no slower than the whole count a second allows.
    const perSecond = (granted.length - 1) / (((granted.at(-1) ?? 0) - (granted[0] ?? 0)) / 1000);
    expect(perSecond).toBeGreaterThanOrEqual(Math.min(rate, most) * 0.95);
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
