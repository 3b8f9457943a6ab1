import * as z from 'zod/mini';
import '#core/zod-messages';

/**
 * The send queue's message: one batch of an edition revision's recipients. The publisher's
 * fan-out makes it and the sender reads it, both through this one schema.
 */

/** Recipients per queue message: small enough that one batch finishes well inside a visibility timeout. */
export const RECIPIENTS_PER_MESSAGE = 50;

export const sendJobSchema = z.strictObject({
  week: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/)),
  revision: z.int().check(z.positive()),
  /** The recipients' mailboxes (the subscribers' keys); the sender reads each one's address. */
  addresses: z
    .array(z.string().check(z.minLength(3), z.maxLength(254)))
    .check(z.minLength(1), z.maxLength(RECIPIENTS_PER_MESSAGE)),
  /**
   * Set on a batch queued again because SES reached the daily quota or paused the account's
   * sending: the sender asks SES (GetAccount) whether it may send before it tries anyone.
   */
  waitingFor: z.optional(z.enum(['daily-quota', 'paused'])),
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
