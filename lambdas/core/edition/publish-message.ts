import * as z from 'zod/mini';
import '#core/zod-messages';

const week = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/));

/**
 * The publish queue's message: one week of a weekly run, as the report function queues it. Each
 * week is its own step, so a week that fails is retried on its own and never holds back another.
 * The week to email names the run's re-issues in `after`: the publisher lets them go first (a
 * few short waits), so its email already lists them under "Corrections to earlier editions"; one
 * still pending then is listed by the next emailed edition. The report function makes it and the
 * publisher reads it, both through this one schema.
 */
export const publishMessageSchema = z.strictObject({
  week,
  email: z.boolean(),
  /** The same run's re-issues, to publish first (only on the week to email). */
  after: z.optional(z.array(week).check(z.maxLength(1000))),
  /** The run's scheduled time. */
  runAt: z.iso.datetime({ offset: true }),
  /**
   * Every week of the run: when the last of them is assembled, the editors get the run's drafts
   * in one email (contract §3). Absent from a message that is not a run's (an editor's approval).
   */
  run: z.optional(z.array(week).check(z.maxLength(1000))),
  /** How often the week to email has already waited for the re-issues (queued again, delayed). */
  waited: z.optional(z.int().check(z.minimum(0), z.maximum(100))),
});

export type PublishMessage = z.infer<typeof publishMessageSchema>;

/** How often the week to email waits for the run's re-issues before it goes out anyway. */
export const MAX_WAITS_FOR_REISSUES = 2;

/**
 * Whether the week to email should wait: some of the run's re-issues are still marked (not yet
 * published) and it has not waited its share already. Waiting queues the message again with a
 * delay, so it never uses up the week's own retries.
 */
export function shouldWaitForReissues(message: PublishMessage, stillMarked: readonly string[]): boolean {
  const pending = (message.after ?? []).filter((week) => stillMarked.includes(week));
  return pending.length > 0 && (message.waited ?? 0) < MAX_WAITS_FOR_REISSUES;
}

/**
 * The publish queue's other message: build the jurisdiction index and the whole-archive data
 * files (contract §4 freshness: once per weekly run, after its last week). Each publication from
 * the queue sends one, delayed; the first to arrive after the run's last week builds them, and
 * the others find nothing changed since and do nothing.
 */
export const archiveMessageSchema = z.strictObject({ archive: z.literal(true) });

/** How long an archive message waits: long enough for a run's weeks to land before it. */
export const ARCHIVE_DELAY_SECONDS = 60;
