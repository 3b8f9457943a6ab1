/**
 * The review gate of a publication (CONTRACT.md §3 "Editorial review"): under `window` or
 * `required`, a week the schedule would publish is first a draft, kept in a store of drafts; it
 * publishes once it is due (approved as it stands, or its window ended unheld). The rules are the
 * pure ones of draft.ts; this module reads and writes the stored draft with conditional writes,
 * so two publications of one week (a redelivered message beside an approval) never lose a
 * decision.
 */
import type { Edition } from '#core/edition/model';
import { ConflictError } from '#core/errors';
import { type CheckContext, type CheckFinding, NO_CONTEXT, reviewChecks } from './checks';
import {
  approve,
  type Draft,
  hold,
  isDue,
  newDraft,
  published,
  type ReviewMode,
  reassemble,
  reviewSentence,
} from './draft';

/** A draft as stored: its review state, the run's email intent and what the checks found. */
export interface StoredDraft {
  readonly draft: Draft;
  /** Bumped by every write: the condition of the next. */
  readonly version: number;
  /** The week was its run's week to email: it is emailed when it publishes (contract §3). */
  readonly email: boolean;
  /** The checks of the content the draft holds now. */
  readonly checks: readonly CheckFinding[];
  /** The preview links given out (desk.ts): each key's SHA-256 only, with its expiry. */
  readonly previewKeys?: readonly PreviewKey[];
  /** The content hash the editors were last emailed about (notice.ts). */
  readonly notifiedHash?: string;
}

/** One preview key as kept: its SHA-256 only, so nobody who reads the table can open a draft. */
export interface PreviewKey {
  readonly sha256: string;
  readonly expiresAt: string;
}

export interface ReviewStore {
  get(week: string): Promise<StoredDraft | undefined>;
  /** Every draft, newest week first. */
  list(): Promise<StoredDraft[]>;
  /** Writes `stored` if the stored version is still `expectedVersion` (0: none yet); false otherwise. */
  save(stored: StoredDraft, expectedVersion: number): Promise<boolean>;
}

/** The review mode of a publication the schedule asks for; `windowHours` already scaled locally. */
export interface ReviewSettings {
  readonly mode: Exclude<ReviewMode, 'off'>;
  readonly windowHours: number;
  /**
   * The local time scale (LOCAL_TIME_SCALE; 1 deployed): the late-change hour shrinks with the
   * window, so a local test sees the same extension a deployment would.
   * @default 1
   */
  readonly timeScale?: number;
}

export interface GateInput {
  readonly week: string;
  readonly edition: Edition;
  /** The run the publication belongs to (its scheduled time). */
  readonly runId: string;
  readonly email: boolean;
  readonly at: string;
  readonly context?: CheckContext;
}

export interface GateOutcome {
  /** Publish now: approved as it stands, or its window ended unheld. */
  readonly publish: boolean;
  readonly stored: StoredDraft;
  /** The draft is new, or its content changed (the editors are told). */
  readonly changed: boolean;
}

const ATTEMPTS = 5;

/**
 * The draft of `input.week` made or assembled again from `input.edition`, and whether it is due.
 * A week whose last draft was published starts a new one (a re-issue is reviewed too).
 */
export async function reviewDraft(
  store: ReviewStore,
  settings: ReviewSettings,
  input: GateInput,
): Promise<GateOutcome> {
  const contentHash = input.edition.edition.contentHash;
  const checks = reviewChecks(input.edition, input.context ?? NO_CONTEXT);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const existing = await store.get(input.week);
    const open = existing !== undefined && existing.draft.status !== 'published' ? existing : undefined;
    let draft: Draft;
    let changed: boolean;
    if (open === undefined) {
      draft = newDraft({
        week: input.week,
        runId: input.runId,
        contentHash,
        mode: settings.mode,
        windowHours: settings.windowHours,
        runAt: input.at,
      });
      changed = true;
    } else {
      ({ draft, changed } = reassemble(
        open.draft,
        contentHash,
        input.at,
        3_600_000 * (settings.timeScale ?? 1),
      ));
    }
    const email = input.email || (open?.email ?? false);
    // The same content can have other findings (a dispute opened, a pair acknowledged): kept too.
    const sameChecks = open !== undefined && JSON.stringify(open.checks) === JSON.stringify(checks);
    if (open !== undefined && !changed && email === open.email && sameChecks) {
      return { publish: isDue(open.draft, settings.mode, input.at), stored: open, changed: false };
    }
    const stored: StoredDraft = {
      draft,
      version: (existing?.version ?? 0) + 1,
      email,
      checks,
      // A new content keeps the links already given: they open the draft as it is now.
      ...(open?.previewKeys === undefined ? {} : { previewKeys: open.previewKeys }),
      ...(open?.notifiedHash === undefined ? {} : { notifiedHash: open.notifiedHash }),
    };
    if (await store.save(stored, existing?.version ?? 0)) {
      return { publish: isDue(draft, settings.mode, input.at), stored, changed };
    }
  }
  throw new Error(`the draft of ${input.week} is changing too fast to review`);
}

/**
 * The draft as the publication about to commit will leave it, and Section IV's sentence on its
 * review: by the review, or by an operator (`npm run publish`), which overrides a hold. Undefined
 * when the week has no open draft (review off, or an operator publishing a week never drafted).
 */
export function publishingDraft(
  stored: StoredDraft | undefined,
  contentHash: string,
  at: string,
  timeZone: string,
  operator?: string,
): { draft: Draft; sentence: string } | undefined {
  if (stored === undefined || stored.draft.status === 'published') return undefined;
  const current = reassemble(stored.draft, contentHash, at).draft;
  const done = published(current, at, operator);
  return { draft: done, sentence: reviewSentence(done, timeZone) };
}

/** Records, after the commit, that the draft of `week` was published (a no-op when it already is). */
export async function settlePublished(
  store: ReviewStore,
  week: string,
  contentHash: string,
  at: string,
  operator?: string,
): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const existing = await store.get(week);
    if (existing === undefined || existing.draft.status === 'published') return;
    const current = reassemble(existing.draft, contentHash, at).draft;
    const stored = { ...existing, draft: published(current, at, operator), version: existing.version + 1 };
    if (await store.save(stored, existing.version)) return;
  }
  throw new Error(`could not record the publication of the draft of ${week}`);
}

export type ReviewDecision =
  | { readonly decision: 'approve'; readonly reason?: string; readonly seenHash?: string }
  | { readonly decision: 'hold'; readonly reason: string };

/**
 * An editor's decision on the draft of `week` (ConflictError when there is none, or it is
 * published already). The caller publishes an approved draft at once.
 */
export async function decide(
  store: ReviewStore,
  week: string,
  decision: ReviewDecision,
  by: string,
  at: string,
): Promise<StoredDraft> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const existing = await store.get(week);
    if (existing === undefined) throw new ConflictError(`there is no draft of ${week} to review`);
    const draft =
      decision.decision === 'approve'
        ? approve(existing.draft, by, at, decision.reason, decision.seenHash)
        : hold(existing.draft, by, at, decision.reason);
    const stored = { ...existing, draft, version: existing.version + 1 };
    if (await store.save(stored, existing.version)) return stored;
  }
  throw new Error(`the draft of ${week} is changing too fast to review`);
}

/** Records that the editors were emailed the draft of `week` with `contentHash` (notice.ts). */
export async function recordNotified(store: ReviewStore, week: string, contentHash: string): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const existing = await store.get(week);
    if (existing === undefined || existing.notifiedHash === contentHash) return;
    if (
      await store.save(
        { ...existing, notifiedHash: contentHash, version: existing.version + 1 },
        existing.version,
      )
    )
      return;
  }
  throw new Error(`could not record that the editors were told of the draft of ${week}`);
}
