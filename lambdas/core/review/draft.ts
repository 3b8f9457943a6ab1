/**
 * A draft's review state and the rules that move it (CONTRACT.md §3 "Editorial review"), as pure
 * functions: every decision is kept, an approval is of one assembled content (its hash), and the
 * review mode decides what publishes without one. Storage and the weekly run build on these; no
 * clock is read here (each step takes `at`).
 */
import { ConflictError, ValidationError } from '#core/errors';
import { todayIn } from '#core/reporting-week';

export const REVIEW_MODES = ['window', 'required', 'off'] as const;
export type ReviewMode = (typeof REVIEW_MODES)[number];

export type DraftStatus = 'awaiting-review' | 'held' | 'approved' | 'published';

export type DecisionKind =
  | 'assembled'
  | 'reassembled'
  | 'approve'
  | 'hold'
  | 'approval-lapsed'
  | 'window-extended'
  | 'published'
  | 'published-by-operator';

/** One decision or event of a draft's review, kept for good and shown in Section IV. */
export interface Decision {
  readonly kind: DecisionKind;
  /** ISO instant. */
  readonly at: string;
  /** Who: an editor's client name, the operator's `--as` name, or `schedule` for the run itself. */
  readonly by: string;
  /** The content hash the decision was about. */
  readonly contentHash: string;
  readonly reason?: string;
}

export interface Draft {
  /** The edition's week (its Saturday). */
  readonly week: string;
  /** The weekly run that made it: its drafts are reviewed as one set. */
  readonly runId: string;
  /** The own content's hash of the assembly the draft holds now. */
  readonly contentHash: string;
  readonly status: DraftStatus;
  /** The hash an approval is of, while it stands. */
  readonly approvedHash?: string;
  /** Under `window`: when the draft publishes unless held (ISO instant). */
  readonly publishAt?: string;
  readonly decisions: readonly Decision[];
}

const HOUR_MS = 3_600_000;
/** Under `window`, a content change this close to `publishAt` moves it one hour later. */
const LATE_CHANGE_HOURS = 1;

const later = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

/** A new draft of a run: awaiting review; under `window` it publishes `windowHours` after the run. */
export function newDraft(input: {
  week: string;
  runId: string;
  contentHash: string;
  mode: Exclude<ReviewMode, 'off'>;
  windowHours: number;
  runAt: string;
}): Draft {
  if (!(input.windowHours > 0))
    throw new ValidationError('the review window must be a positive number of hours');
  return {
    week: input.week,
    runId: input.runId,
    contentHash: input.contentHash,
    status: 'awaiting-review',
    ...(input.mode === 'window' ? { publishAt: later(input.runAt, input.windowHours * HOUR_MS) } : {}),
    decisions: [{ kind: 'assembled', at: input.runAt, by: 'schedule', contentHash: input.contentHash }],
  };
}

function refusePublished(draft: Draft, what: string): void {
  if (draft.status === 'published')
    throw new ConflictError(`the draft of ${draft.week} is already published: ${what}`);
}

/**
 * An editor approves the draft as it stands: the approval is of its present content hash. When
 * the editor says which content they read (`seenHash`, from draft.json) and it has changed since,
 * the approval is refused: it would approve what nobody read. Approving also releases a hold;
 * an approved draft publishes at once in every mode.
 */
export function approve(draft: Draft, by: string, at: string, reason?: string, seenHash?: string): Draft {
  refusePublished(draft, 'nothing to approve');
  if (seenHash !== undefined && seenHash !== draft.contentHash) {
    throw new ConflictError(
      `the draft of ${draft.week} changed since it was read (its content is now ${draft.contentHash}): look at it again`,
    );
  }
  return {
    ...draft,
    status: 'approved',
    approvedHash: draft.contentHash,
    decisions: [
      ...draft.decisions,
      { kind: 'approve', at, by, contentHash: draft.contentHash, ...(reason ? { reason } : {}) },
    ],
  };
}

/** An editor holds the draft: it does not publish at the window's end; a reason is required. */
export function hold(draft: Draft, by: string, at: string, reason: string): Draft {
  refusePublished(draft, 'nothing to hold');
  if (reason.trim() === '') throw new ValidationError('a hold needs a reason: what must be checked first');
  const { approvedHash: _lapsed, ...rest } = draft;
  return {
    ...rest,
    status: 'held',
    decisions: [...draft.decisions, { kind: 'hold', at, by, contentHash: draft.contentHash, reason }],
  };
}

/**
 * The draft assembled again after a record changed. The same content changes nothing but the
 * record of it. Other content: an approval lapses (awaiting review again; the editors must be told
 * what changed), a hold stays, and under `window` a change within the last hour before
 * `publishAt` moves it one hour later, so nobody is surprised by what they had no time to see.
 */
export function reassemble(
  draft: Draft,
  contentHash: string,
  at: string,
  /** An hour as the window counts it: shorter locally, where LOCAL_TIME_SCALE shrinks the window. */
  hourMs: number = HOUR_MS,
): { draft: Draft; changed: boolean } {
  refusePublished(draft, 'a published edition changes by a new revision, not its draft');
  if (contentHash === draft.contentHash) return { draft, changed: false };
  const decisions: Decision[] = [
    ...draft.decisions,
    { kind: 'reassembled', at, by: 'schedule', contentHash },
  ];
  let status = draft.status;
  if (draft.status === 'approved') {
    status = 'awaiting-review';
    decisions.push({ kind: 'approval-lapsed', at, by: 'schedule', contentHash });
  }
  let publishAt = draft.publishAt;
  const left = publishAt === undefined ? Number.NaN : Date.parse(publishAt) - Date.parse(at);
  // Only a draft that would publish by itself soon: a held one waits anyway, and a change after
  // the window's end (the draft publishing now) moves nothing.
  if (publishAt !== undefined && draft.status !== 'held' && left >= 0 && left < hourMs * LATE_CHANGE_HOURS) {
    publishAt = later(publishAt, hourMs * LATE_CHANGE_HOURS);
    decisions.push({ kind: 'window-extended', at, by: 'schedule', contentHash });
  }
  const { approvedHash: _lapsed, ...rest } = draft;
  return {
    draft: { ...rest, contentHash, status, ...(publishAt === undefined ? {} : { publishAt }), decisions },
    changed: true,
  };
}

/** Whether the draft publishes now, without an operator: approved, or its window ended unheld. */
export function isDue(draft: Draft, mode: Exclude<ReviewMode, 'off'>, at: string): boolean {
  if (draft.status === 'published' || draft.status === 'held') return false;
  if (draft.status === 'approved') return draft.approvedHash === draft.contentHash;
  return mode === 'window' && draft.publishAt !== undefined && Date.parse(at) >= Date.parse(draft.publishAt);
}

/**
 * The draft published: by the review (approval or the window's end) or by an operator's
 * `npm run publish`, which overrides any state and is recorded as such.
 */
export function published(draft: Draft, at: string, operator?: string): Draft {
  refusePublished(draft, 'it was published once');
  const decision: Decision =
    operator === undefined
      ? { kind: 'published', at, by: 'schedule', contentHash: draft.contentHash }
      : { kind: 'published-by-operator', at, by: operator, contentHash: draft.contentHash };
  return { ...draft, status: 'published', decisions: [...draft.decisions, decision] };
}

/** Section IV's sentence on the review of the published edition; dates in the report's time zone. */
export function reviewSentence(draft: Draft, timeZone: string): string {
  const last = draft.decisions.at(-1);
  const approval = [...draft.decisions].reverse().find((decision) => decision.kind === 'approve');
  const day = (iso: string) => todayIn(timeZone, new Date(iso));
  if (last?.kind === 'published-by-operator') {
    const holdAt = draft.decisions.findLastIndex((decision) => decision.kind === 'hold');
    const approveAt = draft.decisions.findLastIndex((decision) => decision.kind === 'approve');
    // A hold no approval released was standing when the operator published over it.
    const held = holdAt > approveAt ? draft.decisions[holdAt] : undefined;
    return `Published by the operator ${last.by} on ${day(last.at)}${
      held !== undefined
        ? `, over ${held.by}'s hold of ${day(held.at)} (${held.reason ?? 'no reason given'})`
        : approval && approval.contentHash === draft.contentHash
          ? `, after ${approval.by} approved it`
          : ''
    }.`;
  }
  if (approval && approval.contentHash === draft.contentHash) {
    return `Reviewed as a draft and approved by ${approval.by} on ${day(approval.at)}.`;
  }
  return `Offered for review as a draft; no editor held it, and it was published when its review window ended${
    last ? ` on ${day(last.at)}` : ''
  }.`;
}
