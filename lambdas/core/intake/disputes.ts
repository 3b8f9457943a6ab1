import { randomBytes } from 'node:crypto';
import { ConflictError, DomainError, ForbiddenError, NotFoundError, ValidationError } from '#core/errors';
import { weeksTouched } from '#core/reissue-marks';
import type { Actor, DisputeItem, DisputeStatus, DisputeStore, OutcomeItem, OutcomeStore } from './model';
import { clientOf } from './model';
import { actorMaySee } from './outcomes';

/** What disputes need: the record store to find and annotate the record, the dispute store, a clock. */
export interface DisputeDeps {
  outcomes: OutcomeStore;
  disputes: DisputeStore;
  now: () => Date;
  /** Today's date in the report's time zone: which of the record's weeks have ended. */
  today?: () => string;
  /**
   * Marks ended weeks for the next run to re-check (as record writes do: before the write);
   * optional as IntakeDeps' is (tests of other flows leave it out), wired in the intake handler.
   */
  markDirty?: (weeks: readonly string[], at: string) => Promise<void>;
  /**
   * Tells the editors a dispute was opened (contract §2), after it is stored; it never fails the
   * request (the adapter logs and counts a failed send: the dispute stands either way).
   */
  notifyEditors?: (dispute: DisputeItem) => Promise<void>;
}

function disputeSeq(): string {
  return `D${randomBytes(9).toString('base64url')}`;
}

async function findRecord(
  deps: DisputeDeps,
  target: { ref?: string; detainerId?: string },
  actor: Actor,
): Promise<OutcomeItem> {
  const item =
    target.ref !== undefined
      ? await deps.outcomes.getByRef(target.ref)
      : await deps.outcomes.get(target.detainerId ?? '');
  const label = target.ref !== undefined ? `ref ${target.ref}` : `record ${target.detainerId}`;
  if (!item || !actorMaySee(actor, item.record)) throw new NotFoundError(`no ${label}`);
  return item;
}

export interface DisputeView {
  id: string;
  status: DisputeStatus;
  ref: string;
  detainerId?: string;
  reason: string;
  openedAt: string;
  openedBy: { id: string; name: string };
  resolution?: DisputeItem['resolution'];
}

/** What a caller sees: a jurisdiction token gets the ref, never the internal detainer id. */
export function viewDispute(dispute: DisputeItem, actor: Actor): DisputeView {
  const view: DisputeView = {
    id: dispute.id,
    status: dispute.status,
    ref: dispute.ref,
    reason: dispute.reason,
    openedAt: dispute.openedAt,
    openedBy: dispute.openedBy,
  };
  if (actor.role !== 'jurisdiction') view.detainerId = dispute.detainerId;
  if (dispute.resolution) view.resolution = dispute.resolution;
  return view;
}

/** Contract §2: open disputes one client may hold about one record. */
export const OPEN_PER_RECORD = 3;
/** Contract §2: disputes one client may open in any 24 hours. */
export const OPENED_PER_DAY = 100;

/** Too many disputes opened in 24 hours: a 429 that says when the next may be opened. */
export class TooManyDisputesError extends DomainError {
  constructor(retryAt: string, now: Date) {
    const seconds = Math.max(1, Math.ceil((Date.parse(retryAt) - now.getTime()) / 1000));
    super(
      429,
      `at most ${OPENED_PER_DAY} disputes may be opened in 24 hours; the next one at ${retryAt}`,
      [],
      {
        'retry-after': String(seconds),
      },
    );
  }
}

/**
 * Disputes about published rows. Primary course: find the record (by its public ref or its
 * detainer id; a jurisdiction token sees only records that name it, others are "absent"), reserve
 * the request's Idempotency-Key, take one of the client's open disputes about the record (409)
 * and one of its openings of the last 24 hours (429), store the dispute, and add a step to the
 * record's history that does not change its revision. A repeated Idempotency-Key answers the
 * dispute it opened, and takes nothing.
 */
export async function openDispute(
  deps: DisputeDeps,
  target: { ref?: string; detainerId?: string },
  reason: string,
  actor: Actor,
  idempotencyKey?: string,
): Promise<DisputeView> {
  // An editor reads records and reviews drafts; disputes are the jurisdictions' and intake's.
  if (actor.role === 'editor') throw new ForbiddenError('an editor token may not open disputes');
  const item = await findRecord(deps, target, actor);
  let id = disputeSeq();
  if (idempotencyKey !== undefined) {
    const known = await deps.disputes.idempotentDispute(actor.id, idempotencyKey);
    if (known !== undefined) {
      const existing = await deps.disputes.get(known);
      if (existing) return viewDispute(existing, actor);
      // Reserved by a call that stopped before it stored its dispute: this one stores it.
      id = known;
    } else if (!(await deps.disputes.reserveIdempotencyKey(actor.id, idempotencyKey, id))) {
      const racing = await deps.disputes.idempotentDispute(actor.id, idempotencyKey);
      const existing = racing === undefined ? undefined : await deps.disputes.get(racing);
      if (existing) return viewDispute(existing, actor);
      throw new ConflictError(
        'a request with this Idempotency-Key is still being handled: send it again shortly',
      );
    }
  }
  const now = deps.now();
  const at = now.toISOString();
  // The record's slot first: a refused dispute (409, 429) uses up none of the day's openings.
  if (!(await deps.disputes.holdRecordSlot(actor.id, item.detainerId, OPEN_PER_RECORD))) {
    throw new ConflictError(
      `this client already holds ${OPEN_PER_RECORD} open disputes about this record: wait for one to be resolved`,
    );
  }
  const slot = await deps.disputes.takeOpeningSlot(actor.id, at, OPENED_PER_DAY);
  if (slot.retryAt !== undefined) {
    await deps.disputes.releaseRecordSlot(actor.id, item.detainerId);
    throw new TooManyDisputesError(slot.retryAt, now);
  }
  const dispute: DisputeItem = {
    id,
    status: 'open',
    detainerId: item.detainerId,
    ref: item.ref,
    jurisdictionIds: [
      item.record.jurisdiction.id,
      ...(item.record.transferredTo ? [item.record.transferredTo.id] : []),
    ],
    reason,
    openedAt: at,
    openedBy: clientOf(actor),
  };
  if (!(await deps.disputes.create(dispute))) {
    // Stored meanwhile by a call with the same Idempotency-Key: give its slot back, answer it.
    await deps.disputes.releaseRecordSlot(actor.id, item.detainerId);
    const existing = await deps.disputes.get(id);
    if (existing) return viewDispute(existing, actor);
  }
  await deps.outcomes.putHistory(item.detainerId, {
    revision: null,
    at,
    client: clientOf(actor),
    reason,
    changes: [{ field: 'dispute', before: null, after: 'open' }],
    dispute: { id: dispute.id, step: 'opened' },
  });
  await deps.notifyEditors?.(dispute);
  return viewDispute(dispute, actor);
}

export type DisputeListStatus = 'open' | 'resolved' | 'all' | 'corrected' | 'rejected';

export interface DisputePage {
  disputes: (DisputeView & { ageSeconds: number })[];
  /** Pass as `cursor` for the next page; null on the last. */
  next: string | null;
}

interface Cursor {
  openedAt: string;
  id: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.openedAt, cursor.id])).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string') {
      return { openedAt: value[0], id: value[1] };
    }
  } catch {
    // Reported below.
  }
  throw new ValidationError('the cursor is not one this API gave', [
    { path: 'cursor', message: 'pass the `next` of the previous page as it was' },
  ]);
}

const after = (d: DisputeItem, cursor: Cursor | undefined) =>
  cursor === undefined ||
  d.openedAt > cursor.openedAt ||
  (d.openedAt === cursor.openedAt && d.id > cursor.id);
const byOpening = (a: DisputeItem, b: DisputeItem) =>
  a.openedAt.localeCompare(b.openedAt) || a.id.localeCompare(b.id);

/**
 * A page of disputes with a status (`resolved`: corrected or rejected), oldest first, each with
 * its age; a jurisdiction token sees only those about it. Reads at most a page's worth per
 * status past the cursor, never every dispute.
 */
export async function pageDisputes(
  deps: DisputeDeps,
  status: DisputeListStatus,
  actor: Actor,
  page: { limit: number; cursor?: string },
): Promise<DisputePage> {
  const statuses: DisputeStatus[] =
    status === 'all'
      ? ['open', 'corrected', 'rejected']
      : status === 'resolved'
        ? ['corrected', 'rejected']
        : [status];
  const cursor = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  const visible = (d: DisputeItem) =>
    (actor.role !== 'jurisdiction' || d.jurisdictionIds.includes(actor.jurisdictionId ?? '')) &&
    after(d, cursor);
  const lists = await Promise.all(
    statuses.map((s) => deps.disputes.listByStatusFrom(s, cursor?.openedAt ?? '', page.limit + 1, visible)),
  );
  const merged = lists.flat().sort(byOpening);
  const shown = merged.slice(0, page.limit);
  const last = shown.at(-1);
  const now = deps.now().getTime();
  return {
    disputes: shown.map((d) => ({
      ...viewDispute(d, actor),
      ageSeconds: Math.max(0, Math.floor((now - Date.parse(d.openedAt)) / 1000)),
    })),
    next: merged.length > page.limit && last !== undefined ? encodeCursor(last) : null,
  };
}

/** The disputes with a status, oldest first; a jurisdiction token sees only those about it. */
export async function listDisputes(
  deps: DisputeDeps,
  status: DisputeStatus | 'all',
  actor: Actor,
): Promise<DisputeView[]> {
  const statuses: DisputeStatus[] = status === 'all' ? ['open', 'corrected', 'rejected'] : [status];
  const lists = await Promise.all(statuses.map((s) => deps.disputes.listByStatus(s)));
  return lists
    .flat()
    .filter((d) => actor.role !== 'jurisdiction' || d.jurisdictionIds.includes(actor.jurisdictionId ?? ''))
    .sort((a, b) => a.openedAt.localeCompare(b.openedAt) || a.id.localeCompare(b.id))
    .map((d) => viewDispute(d, actor));
}

/**
 * A dispute resolved `corrected` says a published row was wrong: the weeks its record counts in
 * are marked, so the next run re-issues them if their own content changed (contract §2). Marked
 * before the resolution is written, as a record write marks before it writes: a crash between
 * leaves an extra re-check, never a missed one. A voided record counts nowhere, and its void
 * marked its weeks already.
 */
async function markRecordWeeks(deps: DisputeDeps, detainerId: string, at: string): Promise<void> {
  if (deps.markDirty === undefined || deps.today === undefined) return;
  const item = await deps.outcomes.get(detainerId);
  if (item === undefined || item.voided) return;
  const weeks = weeksTouched([item.record], deps.today());
  if (weeks.length > 0) await deps.markDirty(weeks, at);
}

/**
 * Resolves an open dispute as corrected or rejected, once: a second resolution is a 409. The
 * step is added to the record's history without changing its revision.
 */
export async function resolveDispute(
  deps: DisputeDeps,
  id: string,
  outcome: 'corrected' | 'rejected',
  reason: string,
  actor: Actor,
): Promise<DisputeView> {
  if (actor.role !== 'intake' && actor.role !== 'admin')
    throw new ForbiddenError(
      `a${actor.role === 'editor' ? 'n' : ''} ${actor.role} token may not resolve disputes`,
    );
  const dispute = await deps.disputes.get(id);
  if (!dispute) throw new NotFoundError(`no dispute ${id}`);
  if (dispute.status !== 'open') throw new ConflictError(`dispute ${id} is already ${dispute.status}`);
  const at = deps.now().toISOString();
  if (outcome === 'corrected') await markRecordWeeks(deps, dispute.detainerId, at);
  const resolved: DisputeItem = {
    ...dispute,
    status: outcome,
    resolution: { outcome, reason, at, by: clientOf(actor) },
  };
  if (!(await deps.disputes.resolve(resolved)))
    throw new ConflictError(`dispute ${id} was resolved meanwhile`);
  await deps.disputes.releaseRecordSlot(dispute.openedBy.id, dispute.detainerId);
  await deps.outcomes.putHistory(dispute.detainerId, {
    revision: null,
    at,
    client: clientOf(actor),
    reason,
    changes: [{ field: 'dispute', before: 'open', after: outcome }],
    dispute: { id, step: outcome },
  });
  return viewDispute(resolved, actor);
}
