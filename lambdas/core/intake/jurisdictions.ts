import { ConflictError, checkIfMatch, NotFoundError } from '#core/errors';
import { ALL_WEEKS } from '#core/reissue-marks';
import { backoff } from '#core/retry';
import type { Actor, HistoryEntry, JurisdictionItem, JurisdictionStore, PolicyVersion } from './model';
import { clientOf, displayName, policyInForce } from './model';
import type { FieldChange } from './outcome-record';
import type { PolicyInput } from './schemas';

/** A `PUT /jurisdictions/{id}`: the validated body and who sent it. */
export interface PutJurisdictionCommand {
  id: string;
  name: string;
  state: string;
  aor?: string;
  /** undefined: leave policies as they are; null: it never had one (a correction). */
  policy?: PolicyInput | null;
  reason?: string;
  actor: Actor;
  /** The revision the client last saw (If-Match), or '*' for "must exist". */
  ifMatch?: number | '*';
}

export interface JurisdictionView {
  id: string;
  name: string;
  state: string;
  aor?: string;
  policy: PolicyVersion | null;
  policies: PolicyVersion[];
  revision: number;
}

const MAX_ATTEMPTS = 60;

/**
 * Policy versions one jurisdiction keeps: far more than any county has enacted, and with the
 * largest versions (4 KB of text each) the item stays under half of DynamoDB's 400 KB.
 */
export const MAX_POLICY_VERSIONS = 50;

/**
 * Copies what a stored item holds of its past to the history table before it is replaced: its
 * last change, and the whole `history` array an item written before the history table kept.
 */
async function copyPastChanges(store: JurisdictionStore, stored: JurisdictionItem): Promise<void> {
  const legacy = (stored as JurisdictionItem & { history?: HistoryEntry[] }).history ?? [];
  for (const entry of [...legacy, ...(stored.lastChange === undefined ? [] : [stored.lastChange])]) {
    await store.putHistory(stored.id, entry);
  }
}

/** Every change of a jurisdiction, oldest first, with a last change its copy may still lack. */
export async function jurisdictionHistory(
  store: JurisdictionStore,
  item: JurisdictionItem,
): Promise<HistoryEntry[]> {
  const history = await store.listHistory(item.id);
  const legacy = (item as JurisdictionItem & { history?: HistoryEntry[] }).history ?? [];
  const all = [...legacy, ...history, ...(item.lastChange === undefined ? [] : [item.lastChange])];
  const byRevision = new Map<number, HistoryEntry>();
  for (const entry of all) if (entry.revision !== null) byRevision.set(entry.revision, entry);
  return [...byRevision.values()].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
}

/**
 * `GET /jurisdictions/{id}`: the jurisdiction with every policy version, its history and its
 * revision (its ETag). A jurisdiction token reads only its own; another id is absent (404).
 */
export async function getJurisdiction(
  deps: { jurisdictions: JurisdictionStore; today: () => string },
  id: string,
  actor: Actor,
): Promise<JurisdictionView & { history: HistoryEntry[] }> {
  if (actor.role === 'jurisdiction' && actor.jurisdictionId !== id)
    throw new NotFoundError(`no jurisdiction ${id}`);
  const item = await deps.jurisdictions.get(id);
  if (!item) throw new NotFoundError(`no jurisdiction ${id}`);
  return {
    ...viewJurisdiction(item, deps.today()),
    history: await jurisdictionHistory(deps.jurisdictions, item),
  };
}

/** A jurisdiction as the API answers it: its display name and the policy in force today. */
export function viewJurisdiction(item: JurisdictionItem, today: string): JurisdictionView {
  return {
    id: item.id,
    name: displayName(item),
    state: item.state,
    ...(item.aor === undefined ? {} : { aor: item.aor }),
    policy: policyInForce(item.policies, today) ?? null,
    policies: item.policies,
    revision: item.revision,
  };
}

function toVersion(policy: PolicyInput): PolicyVersion {
  const version: PolicyVersion = {
    enactedOn: policy.enactedOn,
    type: policy.type,
    summary: policy.summary,
    criteria: policy.criteria,
    source: policy.source,
  };
  if (policy.repealedOn !== undefined) version.repealedOn = policy.repealedOn;
  return version;
}

function mergePolicies(
  current: readonly PolicyVersion[],
  policy: PolicyInput | null | undefined,
): PolicyVersion[] {
  if (policy === undefined) return [...current];
  if (policy === null) return [];
  const version = toVersion(policy);
  const others = current.filter((p) => p.enactedOn !== version.enactedOn);
  return [...others, version].sort((a, b) => a.enactedOn.localeCompare(b.enactedOn));
}

/**
 * The policy change of a PUT, holding only what changed: the versions (by `enactedOn`) as they
 * were and as they are, each list only the versions added, corrected or removed. Replaying it
 * backwards from the current list gives the list before (the corrections log does).
 */
function policyChange(
  before: readonly PolicyVersion[],
  after: readonly PolicyVersion[],
): FieldChange | undefined {
  const key = (p: PolicyVersion) => JSON.stringify(p);
  const was = before.filter((p) => !after.some((q) => key(q) === key(p)));
  const now = after.filter((p) => !before.some((q) => key(q) === key(p)));
  return was.length === 0 && now.length === 0 ? undefined : { field: 'policy', before: was, after: now };
}

function diff(field: string, before: unknown, after: unknown, changes: FieldChange[]): void {
  if (JSON.stringify(before ?? null) !== JSON.stringify(after ?? null)) {
    changes.push({ field, before: before ?? null, after: after ?? null });
  }
}

/**
 * Jurisdictions and their policies (Section III). Primary course: read the item; check the state
 * binding (only an admin with a reason may move an id to another state); merge the policy into
 * the version list by `enactedOn` (new date adds a version, same date corrects it, `null` clears
 * them all); write with a conditional put on the item's revision, retrying a lost race.
 */
export async function putJurisdiction(
  deps: {
    jurisdictions: JurisdictionStore;
    now: () => Date;
    today: () => string;
    markDirty?: (weeks: readonly string[], at: string) => Promise<void>;
  },
  command: PutJurisdictionCommand,
): Promise<{ result: 'created' | 'updated' | 'unchanged'; jurisdiction: JurisdictionView }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    await backoff(attempt);
    const stored = await deps.jurisdictions.get(command.id);
    if (stored && stored.state !== command.state) {
      if (command.actor.role !== 'admin' || command.reason === undefined) {
        throw new ConflictError(
          `jurisdiction ${command.id} is bound to state ${stored.state}, not ${command.state}`,
          [
            {
              path: 'state',
              message: `only an admin PUT with a reason may correct the state of ${command.id} (now ${stored.state})`,
            },
          ],
        );
      }
    }
    const at = deps.now().toISOString();
    const policies = mergePolicies(stored?.policies ?? [], command.policy);
    if (policies.length > MAX_POLICY_VERSIONS && policies.length > (stored?.policies.length ?? 0)) {
      throw new ConflictError(
        `jurisdiction ${command.id} already has ${MAX_POLICY_VERSIONS} policy versions, the most it keeps`,
        [
          {
            path: 'policy.enactedOn',
            message: 'correct an existing version by its enactedOn, or clear the list with "policy": null',
          },
        ],
      );
    }
    const changes: FieldChange[] = [];
    diff('jurisdiction.name', stored ? displayName(stored) : undefined, command.name, changes);
    diff('jurisdiction.state', stored?.state, command.state, changes);
    diff('aor', stored?.aor, command.aor, changes);
    const policy = policyChange(stored?.policies ?? [], policies);
    if (policy !== undefined) changes.push(policy);
    const nameChanged = stored?.name !== command.name;
    if (stored && changes.length === 0 && !nameChanged) {
      return { result: 'unchanged', jurisdiction: viewJurisdiction(stored, deps.today()) };
    }
    // As outcome writes (contract §2): an unchanged write is 200 whatever If-Match says.
    checkIfMatch(`jurisdiction ${command.id}`, stored?.revision, command.ifMatch);
    const revision = (stored?.revision ?? 0) + 1;
    const entry: HistoryEntry = {
      revision,
      at,
      client: clientOf(command.actor),
      reason: command.reason ?? null,
      changes,
    };
    const item: JurisdictionItem = {
      id: command.id,
      state: command.state,
      name: command.name,
      policies,
      revision,
      lastChange: entry,
      createdAt: stored?.createdAt ?? at,
      updatedAt: at,
    };
    // The previous change may not have reached the history if a call died after its write.
    if (stored !== undefined) await copyPastChanges(deps.jurisdictions, stored);
    // Before the write. A new jurisdiction is in no published week unless a policy of it was
    // already in effect: then Section III of every week since changes.
    const affectsPublished = stored !== undefined || policies.some((p) => p.enactedOn <= deps.today());
    if (affectsPublished && deps.markDirty) await deps.markDirty([ALL_WEEKS], at);
    if (stored?.recordName !== undefined) item.recordName = stored.recordName;
    if (stored?.recordNameAt !== undefined) item.recordNameAt = stored.recordNameAt;
    if (command.aor !== undefined) item.aor = command.aor;
    if (await deps.jurisdictions.save(item, stored?.revision ?? 0)) {
      await deps.jurisdictions.putHistory(item.id, entry);
      return { result: stored ? 'updated' : 'created', jurisdiction: viewJurisdiction(item, deps.today()) };
    }
  }
  throw new ConflictError(`jurisdiction ${command.id} is being changed by others too often: try again`);
}
