/**
 * The editors' email (CONTRACT.md §3 "Editorial review"): one per weekly run, sent when every
 * week of the run has been assembled (drafted, published or found unchanged), naming each draft
 * with its headline, what changed since the week's last revision, every check that found
 * something, and a preview link; and one more for a week whose draft changed after that email
 * (an approval lapsed, or new content before the window's end). Weeks of a run settle in any
 * order and any number of times (a redelivered message), so the run keeps the set of weeks
 * settled and the email is claimed once.
 */
import type { Edition } from '#core/edition/model';
import type { EditionRecord } from '#core/edition/ports';
import type { StoredDraft } from './gate';

/**
 * How long a claim of a run's email holds before another publication may take it over: longer
 * than the publisher's timeout, so only a claimant that died (timed out mid-send) loses it.
 */
export const NOTICE_LEASE_MS = 15 * 60_000;

/** A weekly run's progress towards its editors' email. */
export interface RunNotices {
  /** Records `week` as settled in `runId`; answers every week settled so far. */
  settle(runId: string, week: string): Promise<readonly string[]>;
  /**
   * Claims the run's email: true for the first caller, or for one that finds the claim older
   * than `staleBefore` with the email not finished (its claimant died mid-send).
   */
  claim(runId: string, at: string, staleBefore: string): Promise<boolean>;
  /** Gives the claim back after a send failed, so the message's retry sends it. */
  release(runId: string): Promise<void>;
  /** Whether the run's email was claimed (sent, or being sent). */
  claimed(runId: string): Promise<boolean>;
  /** The editors the run's email reached already (as `recipientKey`s), so a retry skips them. */
  sentTo(runId: string): Promise<ReadonlySet<string>>;
  markSent(runId: string, recipient: string): Promise<void>;
  /** The run's email reached every editor. */
  finish(runId: string, at: string): Promise<void>;
}

/** One week of the editors' email, as the renderer shows it. */
export interface NoticeWeek {
  readonly stored: StoredDraft;
  readonly edition: Edition;
  /** The week's latest published revision, if any: what the draft would change. */
  readonly latest?: EditionRecord;
  readonly preview: { readonly url: string; readonly expiresAt: string };
}

export interface EditorsEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

export interface NoticeDeps {
  readonly runs: RunNotices;
  readonly drafts: {
    /** Every draft (newest week first). */
    list(): Promise<StoredDraft[]>;
  };
  /** The draft's edition as assembled (the file the publisher kept for its content hash). */
  readonly edition: (stored: StoredDraft) => Promise<Edition | undefined>;
  readonly latest: (week: string) => Promise<EditionRecord | undefined>;
  /** A new preview link for the draft of `week`. */
  readonly preview: (week: string) => Promise<{ url: string; expiresAt: string }>;
  readonly render: (weeks: readonly NoticeWeek[], kind: 'run' | 'changed') => EditorsEmail;
  /** The editors (EDITOR_EMAILS). */
  readonly editors: readonly string[];
  /** Sends the email to one editor. */
  readonly sendTo: (to: string, email: EditorsEmail) => Promise<void>;
  /** What the run's item keeps of an editor who was sent it (never the address itself). */
  readonly recipientKey: (to: string) => string;
  /** Records that the editors were emailed the draft of `week` with this content. */
  readonly notified: (week: string, contentHash: string) => Promise<void>;
  readonly now: () => Date;
}

async function noticeWeeks(deps: NoticeDeps, drafts: readonly StoredDraft[]): Promise<NoticeWeek[]> {
  const weeks: NoticeWeek[] = [];
  for (const stored of [...drafts].sort((a, b) => a.draft.week.localeCompare(b.draft.week))) {
    const edition = await deps.edition(stored);
    if (edition === undefined) throw new Error(`the draft of ${stored.draft.week} has no kept edition`);
    const latest = await deps.latest(stored.draft.week);
    weeks.push({
      stored,
      edition,
      ...(latest === undefined ? {} : { latest }),
      preview: await deps.preview(stored.draft.week),
    });
  }
  return weeks;
}

/**
 * `week` of the run `runId` is settled; when it is the run's last, the drafts of its weeks still
 * waiting are emailed to the editors, once. A run that left no draft sends nothing.
 */
export async function settleRunWeek(
  deps: NoticeDeps,
  runId: string,
  week: string,
  runWeeks: readonly string[],
): Promise<'sent' | 'waiting' | 'nothing'> {
  const settled = new Set(await deps.runs.settle(runId, week));
  if (!runWeeks.every((w) => settled.has(w))) return 'waiting';
  // The run's weeks still waiting, including a draft an earlier run made and this one assembled again.
  const drafts = (await deps.drafts.list()).filter(
    (stored) => runWeeks.includes(stored.draft.week) && stored.draft.status !== 'published',
  );
  if (drafts.length === 0) return 'nothing';
  const now = deps.now();
  const stale = new Date(now.getTime() - NOTICE_LEASE_MS).toISOString();
  if (!(await deps.runs.claim(runId, now.toISOString(), stale))) return 'nothing';
  try {
    const email = deps.render(await noticeWeeks(deps, drafts), 'run');
    // Each editor once: a retry after a failed or cut-off send skips those already reached.
    const reached = await deps.runs.sentTo(runId);
    for (const to of deps.editors) {
      const key = deps.recipientKey(to);
      if (reached.has(key)) continue;
      await deps.sendTo(to, email);
      await deps.runs.markSent(runId, key);
    }
    await deps.runs.finish(runId, deps.now().toISOString());
  } catch (error) {
    await deps.runs.release(runId);
    throw error;
  }
  for (const stored of drafts) await deps.notified(stored.draft.week, stored.draft.contentHash);
  return 'sent';
}

/**
 * A draft whose content is not the one its editors were last emailed, after its run's email:
 * they are told at once (its approval, if any, lapsed). Before the run's email, that email will
 * show it anyway. Recorded once sent, so a retry after a failed send sends it again and a
 * redelivered message does not.
 */
export async function noticeChanged(deps: NoticeDeps, stored: StoredDraft): Promise<boolean> {
  if (stored.draft.status === 'published' || stored.notifiedHash === stored.draft.contentHash) return false;
  if (!(await deps.runs.claimed(stored.draft.runId))) return false;
  const email = deps.render(await noticeWeeks(deps, [stored]), 'changed');
  for (const to of deps.editors) await deps.sendTo(to, email);
  await deps.notified(stored.draft.week, stored.draft.contentHash);
  return true;
}
