import type { FieldChange, OutcomeRecord } from './outcome-record';
import type { ClientRole } from './schemas';

/**
 * What the domain needs from storage. The DynamoDB adapters in lambdas/adapters implement these;
 * the domain never imports an AWS SDK.
 */

/** Who is calling: an API client resolved from its bearer token. */
export interface Actor {
  id: string;
  name: string;
  role: ClientRole;
  /** Set for the jurisdiction role: the one jurisdiction this client speaks for. */
  jurisdictionId?: string;
}

/** One step of a record's history: a revision, or (revision null) a dispute step. */
export interface HistoryEntry {
  revision: number | null;
  at: string;
  client: { id: string; name: string };
  reason: string | null;
  changes: FieldChange[];
  dispute?: { id: string; step: 'opened' | 'corrected' | 'rejected' };
}

export interface OutcomeItem {
  detainerId: string;
  revision: number;
  voided: boolean;
  /** Opaque public reference, random, given when the record is first stored. */
  ref: string;
  record: OutcomeRecord;
  createdAt: string;
  updatedAt: string;
  /** The change that made `revision`; copied to the history table by the next write (see OutcomeStore). */
  lastChange: HistoryEntry;
}

/**
 * Outcome records and their history. Without transactions the record item is the source of
 * truth: it carries its last change, which is copied (idempotently) to the history table before
 * the next write replaces it. The history table so holds every change but the latest, and readers
 * add the item's own: a write costs no history call, and a crash anywhere loses nothing.
 */
export interface OutcomeStore {
  get(detainerId: string): Promise<OutcomeItem | undefined>;
  /**
   * Many records at once (consistent), for a batch: the ids not stored are absent from the map.
   * Optional: without it each write reads its own record.
   */
  getMany?(detainerIds: readonly string[]): Promise<Map<string, OutcomeItem>>;
  getByRef(ref: string): Promise<OutcomeItem | undefined>;
  /** Stores a new record; false when one already exists. */
  create(item: OutcomeItem): Promise<boolean>;
  /** Replaces the record if its stored revision is still `expectedRevision`; false otherwise. */
  replace(item: OutcomeItem, expectedRevision: number): Promise<boolean>;
  putHistory(detainerId: string, entry: HistoryEntry): Promise<void>;
  listHistory(detainerId: string): Promise<HistoryEntry[]>;
}

export interface PolicyVersion {
  enactedOn: string;
  repealedOn?: string;
  type: string;
  summary: string;
  criteria: string;
  source: string;
}

export interface JurisdictionItem {
  id: string;
  state: string;
  /** The name given by PUT /jurisdictions/{id}; wins over record names. */
  name?: string;
  /** The name in the most recently written record that names the id. */
  recordName?: string;
  recordNameAt?: string;
  aor?: string;
  policies: PolicyVersion[];
  /** Bumped by PUT /jurisdictions only; guards its read-modify-write. */
  revision: number;
  /**
   * The change that made `revision` (absent before the first PUT). The history itself is in the
   * JurisdictionHistory table, one item per revision, so the item stays far below DynamoDB's
   * 400 KB whatever its past; this copy is what a write that died before copying it leaves.
   */
  lastChange?: HistoryEntry;
  createdAt: string;
  updatedAt: string;
}

/** What `bind` found: the state the id is bound to, and whether the write would rename it. */
export interface Binding {
  readonly state: string;
  readonly renames: boolean;
}

export interface JurisdictionStore {
  get(id: string): Promise<JurisdictionItem | undefined>;
  /**
   * Binds `id` to `state` if the id is new; answers the state it is bound to (which the caller
   * compares), and whether a record naming it `name` at `at` would change the name the report
   * shows (so the caller marks every week before its write). Only a conditional create: never
   * changes an existing binding.
   */
  bind(id: string, state: string, name: string, at: string): Promise<Binding>;
  /**
   * Records the name of the latest record that names the id (only if `at` is newer); true when
   * that changed the name the report shows.
   */
  noteRecordName(id: string, name: string, at: string): Promise<boolean>;
  /** Creates (expectedRevision 0) or replaces the item if its revision is still expected. */
  save(item: JurisdictionItem, expectedRevision: number): Promise<boolean>;
  /** Copies a change to the history (deterministic key and content: again is harmless). */
  putHistory(id: string, entry: HistoryEntry): Promise<void>;
  /** Every change of the jurisdiction, oldest first (without a last change not yet copied). */
  listHistory(id: string): Promise<HistoryEntry[]>;
}

export interface ClientItem {
  id: string;
  name: string;
  role: ClientRole;
  jurisdictionId?: string;
  createdAt: string;
  revokedAt?: string;
}

export interface ClientStore {
  /** Stores the client and the hash of its token. */
  create(client: ClientItem, tokenHash: string): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<ClientItem | undefined>;
  get(id: string): Promise<ClientItem | undefined>;
  list(): Promise<ClientItem[]>;
  revoke(id: string, at: string): Promise<ClientItem | undefined>;
  /**
   * Binds `client` to this token hash (the local bootstrap client): created if absent; kept as it
   * is, a revocation included, if it already has this token; made anew with it, the old token
   * revoked, if it had another. Answers whether the client is active now.
   */
  bindToken(client: ClientItem, tokenHash: string): Promise<'active' | 'revoked'>;
}

export type DisputeStatus = 'open' | 'corrected' | 'rejected';

export interface DisputeItem {
  id: string;
  status: DisputeStatus;
  detainerId: string;
  ref: string;
  /** The jurisdictions the disputed record names, for jurisdiction tokens' listing. */
  jurisdictionIds: string[];
  reason: string;
  openedAt: string;
  openedBy: { id: string; name: string };
  resolution?: {
    outcome: 'corrected' | 'rejected';
    reason: string;
    at: string;
    by: { id: string; name: string };
  };
}

export interface DisputeStore {
  /** Creates the dispute; false when one with its id exists already. */
  create(dispute: DisputeItem): Promise<boolean>;
  get(id: string): Promise<DisputeItem | undefined>;
  listByStatus(status: DisputeStatus): Promise<DisputeItem[]>;
  /**
   * Up to `want` disputes of a status that `accept` keeps, oldest first, opened at or after
   * `from` (reads no further than it needs: a page of `GET /disputes`).
   */
  listByStatusFrom(
    status: DisputeStatus,
    from: string,
    want: number,
    accept: (dispute: DisputeItem) => boolean,
  ): Promise<DisputeItem[]>;
  /** Resolves an open dispute; false when it was no longer open. */
  resolve(dispute: DisputeItem): Promise<boolean>;
  /**
   * Notes that `clientId` opens a dispute at `at`: refused (with when a slot frees) when it opened
   * `limit` in the 24 hours before.
   */
  takeOpeningSlot(clientId: string, at: string, limit: number): Promise<{ retryAt?: string }>;
  /** Counts one more open dispute of the client about the record: false when it holds `limit`. */
  holdRecordSlot(clientId: string, detainerId: string, limit: number): Promise<boolean>;
  /** One open dispute of the client about the record fewer (it was resolved). */
  releaseRecordSlot(clientId: string, detainerId: string): Promise<void>;
  /** The dispute id the client's Idempotency-Key stands for, if the key was used. */
  idempotentDispute(clientId: string, key: string): Promise<string | undefined>;
  /** Reserves the key for `id`; false when another request reserved it first. */
  reserveIdempotencyKey(clientId: string, key: string, id: string): Promise<boolean>;
}

/** The client a history entry names: id and name only, never its role or token. */
export function clientOf(actor: Actor): { id: string; name: string } {
  return { id: actor.id, name: actor.name };
}

/** The name the report shows: the PUT name, else the latest record's, else the id. */
export function displayName(item: JurisdictionItem): string {
  return item.name ?? item.recordName ?? item.id;
}

/** The policy version in force at the end of day `date`, if any. */
export function policyInForce(policies: readonly PolicyVersion[], date: string): PolicyVersion | undefined {
  return policies
    .filter((p) => p.enactedOn <= date && (p.repealedOn === undefined || p.repealedOn > date))
    .sort((a, b) => b.enactedOn.localeCompare(a.enactedOn))[0];
}
