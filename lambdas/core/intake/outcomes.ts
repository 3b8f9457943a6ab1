import { randomBytes } from 'node:crypto';
import { ConflictError, checkIfMatch, NotFoundError, OutOfTimeError, ValidationError } from '#core/errors';
import { ALL_WEEKS, weeksTouched } from '#core/reissue-marks';
import { backoff } from '#core/retry';
import type { Actor, HistoryEntry, JurisdictionStore, OutcomeItem, OutcomeStore } from './model';
import { clientOf } from './model';
import {
  futureDateIssues,
  type JurisdictionRef,
  type OutcomeRecord,
  recordChanges,
  resolveRecord,
  sameRecord,
} from './outcome-record';
import type { OutcomeInput } from './schemas';

/** What recording outcomes needs: the stores, the report's clock and the re-issue marks. */
export interface IntakeDeps {
  outcomes: OutcomeStore;
  jurisdictions: JurisdictionStore;
  /** Today's date in the report's time zone. */
  today: () => string;
  now: () => Date;
  /**
   * Marks ended weeks whose published edition a change may alter, so the next run re-checks
   * them. Called before the write: a crash after it leaves a harmless extra check, never a miss.
   */
  markDirty?: (weeks: readonly string[], at: string) => Promise<void>;
  /**
   * Notes, before the write, the revision the write makes; a noted write marks its weeks too (no
   * `markDirty` call beside it). A week's mark is cleared only once a publication has read that
   * revision (see core/edition/reissue.ts).
   */
  markWrite?: (
    weeks: readonly string[],
    write: { detainerId: string; revision: number },
    at: string,
  ) => Promise<void>;
}

export type WriteResult = 'created' | 'updated' | 'unchanged';

export interface WriteOutcome {
  result: WriteResult;
  revision: number;
  record: OutcomeRecord;
}

export interface PutOutcomeCommand {
  detainerId: string;
  input: OutcomeInput;
  reason?: string;
  /** The revision the client last saw (If-Match), or '*' for "must exist". */
  ifMatch?: number | '*';
  actor: Actor;
  /**
   * Aborted when the call must stop starting work (its deadline, or a batch that failed): no write
   * begins after it, and a write already begun runs to its end, so nothing lands after the answer.
   */
  signal?: AbortSignal;
  /**
   * The stored record as a batch read it a moment ago (`null`: not stored then), used by the
   * first attempt instead of its own read. A write since makes the conditional put fail, and the
   * retry reads afresh.
   */
  known?: OutcomeItem | null;
}

/** Throws when the call may start no more writes. Checked before each attempt's first write. */
function checkTime(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new OutOfTimeError();
}

/** A lost race is retried with jittered backoff; this bounds a call under extreme contention. */
const MAX_ATTEMPTS = 60;

/** A new public reference: random, never derived from the detainer id. */
export function newRef(): string {
  // 15 random bytes: 120 bits, unguessable and never derived from the detainer id.
  return `R${randomBytes(15).toString('base64url')}`;
}

/**
 * Recording outcomes. Primary course: read the stored record; apply defaults and kept values;
 * an equal record is `unchanged`; otherwise check If-Match, bind the named jurisdictions to their
 * states (a conflict changes nothing), copy the previous change to the history, mark the ended
 * weeks the change touches, then write the record with a single conditional put on its revision
 * (it carries its own change). A lost race re-reads and tries again, so two clients writing one
 * record never lose an update.
 */
export async function putOutcome(deps: IntakeDeps, command: PutOutcomeCommand): Promise<WriteOutcome> {
  const today = deps.today();
  const dateIssues = futureDateIssues(command.input, today);
  if (dateIssues.length > 0) throw new ValidationError('the record has dates in the future', dateIssues);

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    await backoff(attempt);
    checkTime(command.signal);
    const stored =
      attempt === 0 && command.known !== undefined
        ? (command.known ?? undefined)
        : await deps.outcomes.get(command.detainerId);
    if (stored?.voided) {
      throw new ConflictError(`record ${command.detainerId} was voided and cannot be written`);
    }
    const record = resolveRecord(command.input, stored?.record, today);
    if (stored && sameRecord(stored.record, record)) {
      return { result: 'unchanged', revision: stored.revision, record: stored.record };
    }
    checkIfMatch(`record ${command.detainerId}`, stored?.revision, command.ifMatch);
    // The attempt's first write is the binding: past this point it runs to the record write.
    checkTime(command.signal);
    const renames = await bindJurisdictions(deps.jurisdictions, record, deps.now().toISOString());

    const at = deps.now().toISOString();
    const revision = (stored?.revision ?? 0) + 1;
    const lastChange: HistoryEntry = {
      revision,
      at,
      client: clientOf(command.actor),
      reason: command.reason ?? null,
      changes: recordChanges(stored?.record, record),
    };
    const item: OutcomeItem = {
      detainerId: command.detainerId,
      revision,
      voided: false,
      ref: stored?.ref ?? newRef(),
      record,
      createdAt: stored?.createdAt ?? at,
      updatedAt: at,
      lastChange,
    };
    if (stored) {
      // The previous change may not have reached the history if a call died after its write.
      await deps.outcomes.putHistory(stored.detainerId, stored.lastChange);
    }
    const dirty = weeksTouched([stored?.record, record], today);
    await markWeeks(deps, dirty, { detainerId: command.detainerId, revision }, at);
    // Before the write too: a crash after it must not lose the re-check a new name needs.
    if (renames && deps.markDirty) await deps.markDirty([ALL_WEEKS], at);
    const written = stored
      ? await deps.outcomes.replace(item, stored.revision)
      : await deps.outcomes.create(item);
    if (!written) continue;
    // The change stays on the record item alone until the next write copies it to the history
    // (above): readers merge it (getOutcome, the corrections log), so a write costs no history call.
    await noteNames(deps, record, at, renames);
    return { result: stored ? 'updated' : 'created', revision, record };
  }
  throw new ConflictError(`record ${command.detainerId} is being changed by others too often: try again`);
}

function namedJurisdictions(record: OutcomeRecord): JurisdictionRef[] {
  return record.transferredTo ? [record.jurisdiction, record.transferredTo] : [record.jurisdiction];
}

/**
 * A known id with another state contradicts stored facts: 409, before anything is written.
 * Answers whether the write would change a shown name.
 */
async function bindJurisdictions(
  store: JurisdictionStore,
  record: OutcomeRecord,
  at: string,
): Promise<boolean> {
  let renames = false;
  for (const [index, ref] of namedJurisdictions(record).entries()) {
    const { state: bound, renames: renamed } = await store.bind(ref.id, ref.state, ref.name, at);
    if (renamed) renames = true;
    if (bound !== ref.state) {
      const path = index === 0 ? 'jurisdiction.state' : 'transferredTo.state';
      throw new ConflictError(`jurisdiction ${ref.id} is bound to state ${bound}, not ${ref.state}`, [
        {
          path,
          message: `jurisdiction ${ref.id} is ${bound}; only an admin correction may change its state`,
        },
      ]);
    }
  }
  return renames;
}

/**
 * A shown name that changed may alter every published week that names the jurisdiction. Marked
 * here only when the check before the write did not foresee it (another write got in between).
 */
async function noteNames(
  deps: IntakeDeps,
  record: OutcomeRecord,
  at: string,
  marked: boolean,
): Promise<void> {
  let renamed = false;
  for (const ref of namedJurisdictions(record)) {
    if (await deps.jurisdictions.noteRecordName(ref.id, ref.name, at)) renamed = true;
  }
  if (renamed && !marked && deps.markDirty) await deps.markDirty([ALL_WEEKS], at);
}

/** True when a jurisdiction token may see this record: it names the token's jurisdiction. */
export function actorMaySee(actor: Actor, record: OutcomeRecord): boolean {
  if (actor.role !== 'jurisdiction') return true;
  return record.jurisdiction.id === actor.jurisdictionId || record.transferredTo?.id === actor.jurisdictionId;
}

export interface OutcomeView {
  detainerId: string;
  ref: string;
  revision: number;
  voided: boolean;
  record: OutcomeRecord;
  history: HistoryEntry[];
}

/**
 * Reads one record with its history, merged with a last change the history copy may still lack.
 * A jurisdiction token sees only records that name its jurisdiction; others are "absent" (404).
 */
export async function getOutcome(
  deps: Pick<IntakeDeps, 'outcomes'>,
  detainerId: string,
  actor: Actor,
): Promise<OutcomeView> {
  const stored = await deps.outcomes.get(detainerId);
  if (!stored || !actorMaySee(actor, stored.record)) throw new NotFoundError(`no record ${detainerId}`);
  return viewOf(deps, stored);
}

/** The answer for a stored record: it, and its history with the item's own last change. */
async function viewOf(deps: Pick<IntakeDeps, 'outcomes'>, stored: OutcomeItem): Promise<OutcomeView> {
  const history = await deps.outcomes.listHistory(stored.detainerId);
  // The latest change is on the record item even if its copy to the history never landed.
  if (!history.some((entry) => entry.revision === stored.revision)) {
    history.push(stored.lastChange);
    history.sort(compareHistory);
  }
  return {
    detainerId: stored.detainerId,
    ref: stored.ref,
    revision: stored.revision,
    voided: stored.voided,
    record: stored.record,
    history,
  };
}

/**
 * The record a published row's `ref` names (contract §2 `GET /outcomes?ref=`), as
 * `GET /outcomes/{detainerId}` answers it. A jurisdiction token finds only its own: another's
 * ref answers 404 as an unknown one does, so a ref reveals nothing it may not read.
 */
export async function getOutcomeByRef(
  deps: Pick<IntakeDeps, 'outcomes'>,
  ref: string,
  actor: Actor,
): Promise<OutcomeView | Omit<OutcomeView, 'detainerId'>> {
  const found = await deps.outcomes.getByRef(ref);
  if (!found || !actorMaySee(actor, found.record)) throw new NotFoundError(`no record with ref ${ref}`);
  // getByRef read the item itself (consistently, past the index): its view needs no second read.
  const view = await viewOf(deps, found);
  if (actor.role !== 'jurisdiction') return view;
  // A jurisdiction knows its rows by ref; the internal detainer id is never shown to it from a
  // ref (as a dispute's view never shows it), so a public ref does not lead to it.
  const { detainerId: _internal, ...withoutId } = view;
  return withoutId;
}

function compareHistory(a: HistoryEntry, b: HistoryEntry): number {
  const ra = a.revision ?? Number.POSITIVE_INFINITY;
  const rb = b.revision ?? Number.POSITIVE_INFINITY;
  return ra - rb || a.at.localeCompare(b.at);
}

export interface VoidCommand {
  detainerId: string;
  reason: string;
  actor: Actor;
  /** As PutOutcomeCommand's. */
  signal?: AbortSignal;
}

/** The weeks' re-issue marks and the write they stand for, before the write. */
async function markWeeks(
  deps: IntakeDeps,
  weeks: readonly string[],
  write: { detainerId: string; revision: number },
  at: string,
): Promise<void> {
  if (weeks.length === 0) return;
  // A noted write marks its week as well (the store keeps one item for both); a store that
  // cannot note writes only marks.
  if (deps.markWrite) await deps.markWrite(weeks, write, at);
  else await deps.markDirty?.(weeks, at);
}

/** Voids a record entered in error: it leaves every week, keeps its history; again is a no-op. */
export async function voidOutcome(
  deps: IntakeDeps,
  command: VoidCommand,
): Promise<WriteOutcome & { voided: true }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    await backoff(attempt);
    checkTime(command.signal);
    const stored = await deps.outcomes.get(command.detainerId);
    if (!stored) throw new NotFoundError(`no record ${command.detainerId}`);
    if (stored.voided)
      return { result: 'unchanged', revision: stored.revision, record: stored.record, voided: true };
    const at = deps.now().toISOString();
    const revision = stored.revision + 1;
    const lastChange: HistoryEntry = {
      revision,
      at,
      client: clientOf(command.actor),
      reason: command.reason,
      changes: [{ field: 'voided', before: false, after: true }],
    };
    checkTime(command.signal);
    await deps.outcomes.putHistory(stored.detainerId, stored.lastChange);
    const dirty = weeksTouched([stored.record], deps.today());
    await markWeeks(deps, dirty, { detainerId: stored.detainerId, revision }, at);
    const written = await deps.outcomes.replace(
      { ...stored, revision, voided: true, updatedAt: at, lastChange },
      stored.revision,
    );
    if (!written) continue;
    // A void is the record's last change (no write follows it to copy it): copied now.
    await deps.outcomes.putHistory(stored.detainerId, lastChange);
    return { result: 'updated', revision, record: stored.record, voided: true };
  }
  throw new ConflictError(`record ${command.detainerId} is being changed by others too often: try again`);
}
