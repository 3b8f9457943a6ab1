/**
 * Every duration of the subscription flow (contract §5), in one place. The local stack shrinks
 * them all alike by LOCAL_TIME_SCALE (contract §1), so tests keep the deployed relationships (a
 * source window, an hourly budget, a link's week) and still finish; deployed the scale is 1.
 */
const SECOND = 1000;
const HOUR = 60 * 60 * SECOND;
const DAY = 24 * HOUR;

export interface SubscriptionTiming {
  /** A source may make SUBSCRIBE_SOURCE_LIMIT requests in any window this long (600 s). */
  readonly sourceWindowMs: number;
  /** At most one confirmation email per mailbox in this interval (1 hour). */
  readonly confirmationIntervalMs: number;
  /** The confirmation budget's period (1 hour). */
  readonly budgetPeriodMs: number;
  /** A confirmation request still waiting for budget after this long is dropped (24 hours). */
  readonly confirmationMaxWaitMs: number;
  /** How long a confirmation link works (7 days). */
  readonly confirmLinkMs: number;
  /** A mailbox that never confirms reads as absent this long after its last request (30 days). */
  readonly forgetAfterMs: number;
  /** How often the sweep deletes forgotten mailboxes (daily; the contract allows 3 days). */
  readonly sweepIntervalMs: number;
}

export const DEPLOYED_TIMING: SubscriptionTiming = {
  sourceWindowMs: 600 * SECOND,
  confirmationIntervalMs: HOUR,
  budgetPeriodMs: HOUR,
  confirmationMaxWaitMs: DAY,
  confirmLinkMs: 7 * DAY,
  forgetAfterMs: 30 * DAY,
  sweepIntervalMs: DAY,
};

/** The deployed timing with every duration multiplied by `scale` (0 < scale ≤ 1). */
export function scaledTiming(scale: number): SubscriptionTiming {
  if (!(scale > 0 && scale <= 1)) throw new RangeError('a time scale is above 0 and at most 1');
  const entries = Object.entries(DEPLOYED_TIMING).map(([name, ms]) => [
    name,
    Math.max(1, Math.round(ms * scale)),
  ]);
  return Object.fromEntries(entries) as unknown as SubscriptionTiming;
}
