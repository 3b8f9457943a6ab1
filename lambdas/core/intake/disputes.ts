import { randomBytes } from 'node:crypto';
import { ConflictError, ForbiddenError, NotFoundError } from '#core/errors';
import type { Actor, DisputeItem, DisputeStatus, DisputeStore, OutcomeItem, OutcomeStore } from './model';
import { clientOf } from './model';
import { actorMaySee } from './outcomes';

/** What disputes need: the record store to find and annotate the record, the dispute store, a clock. */
export interface DisputeDeps {
  outcomes: OutcomeStore;
  disputes: DisputeStore;
  now: () => Date;
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

/**
 * Disputes about published rows. Primary course: find the record (by its public ref or its
 * detainer id; a jurisdiction token sees only records that name it, others are "absent"), store
 * the dispute, and add a step to the record's history that does not change its revision.
 */
export async function openDispute(
  deps: DisputeDeps,
  target: { ref?: string; detainerId?: string },
  reason: string,
  actor: Actor,
): Promise<DisputeView> {
  const item = await findRecord(deps, target, actor);
  const at = deps.now().toISOString();
  const dispute: DisputeItem = {
    id: disputeSeq(),
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
  await deps.disputes.create(dispute);
  await deps.outcomes.putHistory(item.detainerId, {
    revision: null,
    at,
    client: clientOf(actor),
    reason,
    changes: [{ field: 'dispute', before: null, after: 'open' }],
    dispute: { id: dispute.id, step: 'opened' },
  });
  return viewDispute(dispute, actor);
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
  if (actor.role === 'jurisdiction')
    throw new ForbiddenError('a jurisdiction token may not resolve disputes');
  const dispute = await deps.disputes.get(id);
  if (!dispute) throw new NotFoundError(`no dispute ${id}`);
  if (dispute.status !== 'open') throw new ConflictError(`dispute ${id} is already ${dispute.status}`);
  const at = deps.now().toISOString();
  const resolved: DisputeItem = {
    ...dispute,
    status: outcome,
    resolution: { outcome, reason, at, by: clientOf(actor) },
  };
  if (!(await deps.disputes.resolve(resolved)))
    throw new ConflictError(`dispute ${id} was resolved meanwhile`);
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
