import * as z from 'zod';

/**
 * The send queue's message: one batch of an edition revision's recipients. The publisher's
 * fan-out makes it and the sender reads it, both through this one schema.
 */

/** Recipients per queue message: small enough that one batch finishes well inside a visibility timeout. */
export const RECIPIENTS_PER_MESSAGE = 50;

export const sendJobSchema = z.strictObject({
  week: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  revision: z.number().int().positive(),
  /** The recipients' mailboxes (the subscribers' keys); the sender reads each one's address. */
  addresses: z.array(z.string().min(3).max(254)).min(1).max(RECIPIENTS_PER_MESSAGE),
  /**
   * Set on a batch queued again because SES reached the daily quota or paused the account's
   * sending: the sender asks SES (GetAccount) whether it may send before it tries anyone.
   */
  waitingFor: z.enum(['daily-quota', 'paused']).optional(),
});

export type SendJob = z.infer<typeof sendJobSchema>;

/** Splits a page of subscribers into queue jobs of at most RECIPIENTS_PER_MESSAGE. */
export function jobsFor(week: string, revision: number, addresses: readonly string[]): SendJob[] {
  const jobs: SendJob[] = [];
  for (let i = 0; i < addresses.length; i += RECIPIENTS_PER_MESSAGE) {
    jobs.push({ week, revision, addresses: addresses.slice(i, i + RECIPIENTS_PER_MESSAGE) });
  }
  return jobs;
}
