import { inHistoryOrder } from '#core/intake/history-order';
import type {
  Binding,
  ClientItem,
  ClientStore,
  DisputeItem,
  DisputeStatus,
  DisputeStore,
  HistoryEntry,
  JurisdictionItem,
  JurisdictionStore,
  OutcomeItem,
  OutcomeStore,
} from '#core/intake/model';

/**
 * The intake ports in memory, for unit tests of the use cases. Each honours its interface's
 * contract as the DynamoDB adapters do: conditional writes answer false on a lost race (and only
 * then), `bind` never changes an existing binding, history puts are idempotent. Every call yields
 * first, so concurrent use cases interleave; values are copied in and out, so a use case cannot
 * change stored state by holding on to an object.
 *
 * A race is staged with `beforeNext(method, hook)`: the hook runs once, at the start of the next
 * call of that method (before its condition is checked), and usually writes through the store as
 * another client would. The call then fails or succeeds on its own condition.
 */

type Hook = () => Promise<void> | void;

class Hooks<M extends string> {
  private readonly pending = new Map<M, Hook[]>();

  add(method: M, hook: Hook): void {
    this.pending.set(method, [...(this.pending.get(method) ?? []), hook]);
  }

  async run(method: M): Promise<void> {
    const queue = this.pending.get(method);
    const hook = queue?.shift();
    if (hook) await hook();
  }
}

const copy = <T>(value: T): T => structuredClone(value);

const revisionKey = (revision: number) => `r${String(revision).padStart(10, '0')}`;

/** The history key the DynamoDB adapter uses: revisions by number, dispute steps by time. */
function historyKey(entry: HistoryEntry): string {
  if (entry.revision !== null) return revisionKey(entry.revision);
  return `d${entry.at}#${entry.dispute?.id ?? ''}#${entry.dispute?.step ?? ''}`;
}

export class MemoryOutcomeStore implements OutcomeStore {
  readonly items = new Map<string, OutcomeItem>();
  /** detainerId → history key → entry. */
  readonly history = new Map<string, Map<string, HistoryEntry>>();
  /** Every call, in order, as `method:detainerId`. */
  readonly calls: string[] = [];
  private readonly hooks = new Hooks<'create' | 'replace' | 'putHistory'>();

  beforeNext(method: 'create' | 'replace' | 'putHistory', hook: Hook): void {
    this.hooks.add(method, hook);
  }

  async get(detainerId: string): Promise<OutcomeItem | undefined> {
    await Promise.resolve();
    this.calls.push(`get:${detainerId}`);
    const item = this.items.get(detainerId);
    return item && copy(item);
  }

  async getMany(detainerIds: readonly string[]): Promise<Map<string, OutcomeItem>> {
    await Promise.resolve();
    this.calls.push(`getMany:${detainerIds.length}`);
    const found = new Map<string, OutcomeItem>();
    for (const id of detainerIds) {
      const item = this.items.get(id);
      if (item) found.set(id, copy(item));
    }
    return found;
  }

  async getByRef(ref: string): Promise<OutcomeItem | undefined> {
    await Promise.resolve();
    this.calls.push(`getByRef:${ref}`);
    const item = [...this.items.values()].find((candidate) => candidate.ref === ref);
    return item && copy(item);
  }

  async create(item: OutcomeItem): Promise<boolean> {
    await Promise.resolve();
    await this.hooks.run('create');
    this.calls.push(`create:${item.detainerId}`);
    if (this.items.has(item.detainerId)) return false;
    this.items.set(item.detainerId, copy(item));
    return true;
  }

  async replace(item: OutcomeItem, expectedRevision: number): Promise<boolean> {
    await Promise.resolve();
    await this.hooks.run('replace');
    this.calls.push(`replace:${item.detainerId}`);
    if (this.items.get(item.detainerId)?.revision !== expectedRevision) return false;
    this.items.set(item.detainerId, copy(item));
    return true;
  }

  async putHistory(detainerId: string, entry: HistoryEntry): Promise<void> {
    await Promise.resolve();
    await this.hooks.run('putHistory');
    this.calls.push(`putHistory:${detainerId}`);
    const entries = this.history.get(detainerId) ?? new Map<string, HistoryEntry>();
    entries.set(historyKey(entry), copy(entry));
    this.history.set(detainerId, entries);
  }

  async listHistory(detainerId: string): Promise<HistoryEntry[]> {
    await Promise.resolve();
    this.calls.push(`listHistory:${detainerId}`);
    // The adapter's own order, so the use cases see what they see deployed.
    return inHistoryOrder([...(this.history.get(detainerId)?.values() ?? [])].map(copy));
  }

  /**
   * The revisions of a record's history as readers see it, in order (dispute steps left out):
   * the history table's, and the item's own last change, which the next write copies there.
   */
  revisions(detainerId: string): number[] {
    const stored = [...(this.history.get(detainerId)?.values() ?? [])].flatMap((entry) =>
      entry.revision === null ? [] : [entry.revision],
    );
    const latest = this.items.get(detainerId)?.lastChange.revision;
    if (typeof latest === 'number' && !stored.includes(latest)) stored.push(latest);
    return stored.sort((a, b) => a - b);
  }

  /** The revisions in the history table alone. */
  copiedRevisions(detainerId: string): number[] {
    return [...(this.history.get(detainerId)?.values() ?? [])]
      .flatMap((entry) => (entry.revision === null ? [] : [entry.revision]))
      .sort((a, b) => a - b);
  }

  /** Loses one history copy, as a call that died between its record write and its copy would. */
  dropHistory(detainerId: string, revision: number): void {
    this.history.get(detainerId)?.delete(revisionKey(revision));
  }
}

export class MemoryJurisdictionStore implements JurisdictionStore {
  readonly items = new Map<string, JurisdictionItem>();
  private readonly hooks = new Hooks<'bind' | 'save'>();

  beforeNext(method: 'bind' | 'save', hook: Hook): void {
    this.hooks.add(method, hook);
  }

  async get(id: string): Promise<JurisdictionItem | undefined> {
    await Promise.resolve();
    const item = this.items.get(id);
    return item && copy(item);
  }

  async bind(id: string, state: string, name: string, at: string): Promise<Binding> {
    await Promise.resolve();
    await this.hooks.run('bind');
    const known = this.items.get(id);
    if (known) {
      const renames =
        known.name === undefined && known.recordName !== name && (known.recordNameAt ?? '') <= at;
      return { state: known.state, renames };
    }
    this.items.set(id, {
      id,
      state,
      recordName: name,
      recordNameAt: at,
      policies: [],
      revision: 0,
      createdAt: at,
      updatedAt: at,
    });
    return { state, renames: false };
  }

  async noteRecordName(id: string, name: string, at: string): Promise<boolean> {
    await Promise.resolve();
    const item = this.items.get(id);
    if (!item) return false;
    if (item.recordNameAt !== undefined && item.recordNameAt > at) return false;
    if (item.recordName === name) return false;
    item.recordName = name;
    item.recordNameAt = at;
    return item.name === undefined;
  }

  async save(item: JurisdictionItem, expectedRevision: number): Promise<boolean> {
    await Promise.resolve();
    await this.hooks.run('save');
    const current = this.items.get(item.id);
    if (current === undefined ? expectedRevision !== 0 : current.revision !== expectedRevision) return false;
    this.items.set(item.id, copy(item));
    return true;
  }

  /** Each jurisdiction's history, by revision (the JurisdictionHistory table). */
  readonly history = new Map<string, Map<number, HistoryEntry>>();

  async putHistory(id: string, entry: HistoryEntry): Promise<void> {
    await Promise.resolve();
    const entries = this.history.get(id) ?? new Map<number, HistoryEntry>();
    entries.set(entry.revision ?? 0, copy(entry));
    this.history.set(id, entries);
  }

  async listHistory(id: string): Promise<HistoryEntry[]> {
    await Promise.resolve();
    return [...(this.history.get(id)?.values() ?? [])].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  }
}

export class MemoryDisputeStore implements DisputeStore {
  readonly items = new Map<string, DisputeItem>();
  private readonly hooks = new Hooks<'resolve'>();

  beforeNext(method: 'resolve', hook: Hook): void {
    this.hooks.add(method, hook);
  }

  /** The control items, as the adapter keeps them beside the disputes. */
  private readonly openings = new Map<string, string[]>();
  private readonly recordSlots = new Map<string, number>();
  private readonly keys = new Map<string, string>();

  async create(dispute: DisputeItem): Promise<boolean> {
    await Promise.resolve();
    if (this.items.has(dispute.id)) return false;
    this.items.set(dispute.id, copy(dispute));
    return true;
  }

  async listByStatusFrom(
    status: DisputeStatus,
    from: string,
    want: number,
    accept: (dispute: DisputeItem) => boolean,
  ): Promise<DisputeItem[]> {
    const all = await this.listByStatus(status);
    return all.filter((d) => d.openedAt >= from && accept(d)).slice(0, want);
  }

  async takeOpeningSlot(clientId: string, at: string, limit: number): Promise<{ retryAt?: string }> {
    await Promise.resolve();
    const day = 24 * 60 * 60 * 1000;
    const times = (this.openings.get(clientId) ?? []).filter((t) => Date.parse(t) > Date.parse(at) - day);
    if (times.length >= limit) return { retryAt: new Date(Date.parse(times[0] ?? at) + day).toISOString() };
    this.openings.set(clientId, [...times, at]);
    return {};
  }

  async holdRecordSlot(clientId: string, detainerId: string, limit: number): Promise<boolean> {
    await Promise.resolve();
    const key = `${clientId}#${detainerId}`;
    const held = this.recordSlots.get(key) ?? 0;
    if (held >= limit) return false;
    this.recordSlots.set(key, held + 1);
    return true;
  }

  async releaseRecordSlot(clientId: string, detainerId: string): Promise<void> {
    await Promise.resolve();
    const key = `${clientId}#${detainerId}`;
    this.recordSlots.set(key, Math.max(0, (this.recordSlots.get(key) ?? 0) - 1));
  }

  async idempotentDispute(clientId: string, key: string): Promise<string | undefined> {
    await Promise.resolve();
    return this.keys.get(`${clientId}#${key}`);
  }

  async reserveIdempotencyKey(clientId: string, key: string, id: string): Promise<boolean> {
    await Promise.resolve();
    if (this.keys.has(`${clientId}#${key}`)) return false;
    this.keys.set(`${clientId}#${key}`, id);
    return true;
  }

  async get(id: string): Promise<DisputeItem | undefined> {
    await Promise.resolve();
    const item = this.items.get(id);
    return item && copy(item);
  }

  async listByStatus(status: DisputeStatus): Promise<DisputeItem[]> {
    await Promise.resolve();
    return [...this.items.values()]
      .filter((dispute) => dispute.status === status)
      .sort((a, b) => a.openedAt.localeCompare(b.openedAt))
      .map(copy);
  }

  async resolve(dispute: DisputeItem): Promise<boolean> {
    await Promise.resolve();
    await this.hooks.run('resolve');
    if (this.items.get(dispute.id)?.status !== 'open') return false;
    this.items.set(dispute.id, copy(dispute));
    return true;
  }
}

export class MemoryClientStore implements ClientStore {
  /** client id → the client and its token's hash (`client#<id>`). */
  readonly clients = new Map<string, { client: ClientItem; tokenHash: string }>();
  /** token hash → the client (`token#<sha256>`). */
  readonly tokens = new Map<string, ClientItem>();

  async create(client: ClientItem, tokenHash: string): Promise<void> {
    await Promise.resolve();
    if (this.tokens.has(tokenHash)) throw new Error('token exists (conditional put failed)');
    if (this.clients.has(client.id)) throw new Error(`client ${client.id} exists (conditional put failed)`);
    this.tokens.set(tokenHash, copy(client));
    this.clients.set(client.id, { client: copy(client), tokenHash });
  }

  async findByTokenHash(tokenHash: string): Promise<ClientItem | undefined> {
    await Promise.resolve();
    const client = this.tokens.get(tokenHash);
    return client && copy(client);
  }

  async get(id: string): Promise<ClientItem | undefined> {
    await Promise.resolve();
    const entry = this.clients.get(id);
    return entry && copy(entry.client);
  }

  async list(): Promise<ClientItem[]> {
    await Promise.resolve();
    return [...this.clients.values()]
      .map((entry) => copy(entry.client))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async revoke(id: string, at: string): Promise<ClientItem | undefined> {
    await Promise.resolve();
    const entry = this.clients.get(id);
    if (!entry) return undefined;
    // The first revocation's time is kept.
    const revokedAt = entry.client.revokedAt ?? at;
    const token = this.tokens.get(entry.tokenHash);
    if (token) token.revokedAt = revokedAt;
    entry.client.revokedAt = revokedAt;
    return copy(entry.client);
  }

  async bindToken(client: ClientItem, tokenHash: string): Promise<'active' | 'revoked'> {
    await Promise.resolve();
    const previous = this.clients.get(client.id);
    if (previous?.tokenHash === tokenHash)
      return previous.client.revokedAt === undefined ? 'active' : 'revoked';
    if (previous && previous.tokenHash !== tokenHash) {
      const old = this.tokens.get(previous.tokenHash);
      if (old) old.revokedAt = client.createdAt;
    }
    this.tokens.set(tokenHash, copy(client));
    this.clients.set(client.id, { client: copy(client), tokenHash });
    return 'active';
  }
}
