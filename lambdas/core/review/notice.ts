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

/** A weekly run's progress towards its editors' email. */
export interface RunNotices {
  /** Records `week` as settled in `runId`; answers every week settled so far. */
  settle(runId: string, week: string): Promise<readonly string[]>;
  /** Claims the run's email (true once, for the first caller). */
  claim(runId: string, at: string): Promise<boolean>;
  /** Gives the claim back after a send failed, so the message's retry sends it. */
  release(runId: string): Promise<void>;
  /** Whether the run's email was claimed (sent, or being sent). */
  claimed(runId: string): Promise<boolean>;
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
  /** Sends the email to every editor (EDITOR_EMAILS). */
  readonly send: (email: EditorsEmail) => Promise<void>;
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
  if (!(await deps.runs.claim(runId, deps.now().toISOString()))) return 'nothing';
  try {
    await deps.send(deps.render(await noticeWeeks(deps, drafts), 'run'));
  } catch (error) {
    await deps.runs.release(runId);
    throw error;
  }
  return 'sent';
}

/**
 * A draft whose content changed after its run's email: the editors are told at once (its
 * approval, if any, lapsed). Before the run's email, the run's email will show it anyway.
 */
export async function noticeChanged(deps: NoticeDeps, stored: StoredDraft): Promise<boolean> {
  if (!(await deps.runs.claimed(stored.draft.runId))) return false;
  await deps.send(deps.render(await noticeWeeks(deps, [stored]), 'changed'));
  return true;
}
