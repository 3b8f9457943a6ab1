/**
 * How fast one sender container may go, and how many recipients it keeps in flight to get there.
 * The account's rate is shared by the sender's concurrent containers; within one, a recipient
 * spends most of its time waiting on the ledger and SES, so one at a time reaches only
 * 1 / latency sends a second. Enough in flight to cover rate × latency lets the limiter, not the
 * round trips, set the pace. Used by the sender and by the CDK configuration (a deployment whose
 * batch cannot finish within its timeout is refused before it exists).
 */
import { RECIPIENTS_PER_MESSAGE } from './send-job';

/** Recipients of one batch in flight at most (a batch holds 50; more would only queue on the limiter). */
export const MAX_IN_FLIGHT = 16;

/** A batch must send within this share of the timeout, the rest left for back-off and slow calls. */
export const BATCH_SHARE_OF_TIMEOUT = 2 / 3;

/** Sends a second one container may make. */
export function containerRate(ratePerSecond: number, containers: number): number {
  return ratePerSecond / containers;
}

/** Why a send configuration cannot work, in words that say what to change; undefined when it can. */
export function paceProblem(
  ratePerSecond: number,
  containers: number,
  timeoutSeconds: number,
): string | undefined {
  const share = containerRate(ratePerSecond, containers);
  const seconds = RECIPIENTS_PER_MESSAGE / share;
  const budget = timeoutSeconds * BATCH_SHARE_OF_TIMEOUT;
  if (seconds <= budget) return undefined;
  return (
    `${containers} senders at ${ratePerSecond} sends/s leave each ${share.toFixed(2)}/s: a batch of ` +
    `${RECIPIENTS_PER_MESSAGE} would take ${seconds.toFixed(0)} s, more than ${budget.toFixed(0)} s ` +
    `(${Math.round(BATCH_SHARE_OF_TIMEOUT * 100)}% of the ${timeoutSeconds} s timeout). Lower sendConcurrency ` +
    'or raise sendRatePerSecond.'
  );
}

/** Recipients to keep in flight for `rate` sends a second when one takes `latencyMs`. */
export function inFlightFor(ratePerSecond: number, latencyMs: number): number {
  // Twice the product and one more: latency varies from call to call, and a recipient not ready
  // when its grant is due loses that grant for good, while one waiting on the limiter costs only
  // its lease (at 100/s with 10 ms per recipient, 1.25 × the product kept 2 in flight: 0.88×).
  const needed = Math.ceil(ratePerSecond * (latencyMs / 1000) * 2) + 1;
  return Math.max(1, Math.min(MAX_IN_FLIGHT, needed));
}

/**
 * A recipient's time from claim to recorded send, as the container has seen it lately (an
 * exponentially weighted mean, so a slow spell raises it within a batch and passes).
 */
export class LatencyEstimate {
  private mean: number;

  constructor(
    initialMs: number,
    private readonly weight = 0.2,
  ) {
    this.mean = initialMs;
  }

  observe(ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.mean += (ms - this.mean) * this.weight;
  }

  get ms(): number {
    return this.mean;
  }
}
