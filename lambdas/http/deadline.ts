import type { Context } from 'aws-lambda';

/**
 * Time kept at the end of a call for the writes already begun to finish and the answer to go out.
 * Past the function's timeout Lambda ends the call and its answer is lost, while a write it sent
 * may still land: so work stops starting this long before, and what began ends before the answer.
 */
export const ANSWER_MARGIN_MS = 3_000;

/** Aborts when the call should start no more work: its remaining time less ANSWER_MARGIN_MS. */
export function callDeadline(context: Pick<Context, 'getRemainingTimeInMillis'>): AbortSignal {
  return AbortSignal.timeout(Math.max(0, context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS));
}
