import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import type { Binding, HistoryEntry, JurisdictionItem, JurisdictionStore } from '#core/intake/model';
import { batchGetAll, conditionalWrite, documents } from './dynamodb';
import { jurisdictionHistoryTable, jurisdictionsTable } from './table-definitions';

/** The one value of the sparse `byPolicy` index key. */
export const POLICY_KEY = 'yes';

/** The history's sort key of a revision: zero-padded, so the table sorts it in order. */
function historyKey(revision: number | null): string {
  return `r${String(revision ?? 0).padStart(10, '0')}`;
}

/**
 * Bindings as this container last read or wrote them, for a minute. A binding changes only by an
 * admin's PUT /jurisdictions with a reason (its state) or a record naming it otherwise (its record
 * name), so nearly every write re-reads what it read a moment ago: cached, a new record costs no
 * jurisdiction call. The price: for up to a minute after another container's admin change, this
 * one may check a record against the state it knew (a PUT through this container forgets at once).
 */
const BINDING_CACHE_MS = 60_000;
/** Jurisdictions remembered at most (about 200 bytes each); the oldest is forgotten first. */
const BINDING_CACHE_SIZE = 10_000;

interface KnownBinding {
  readonly state: string;
  /** A PUT /jurisdictions gave the name shown: record names then change nothing shown. */
  readonly named: boolean;
  readonly recordName: unknown;
  readonly recordNameAt: unknown;
  readonly until: number;
}

const known = new Map<string, KnownBinding>();

function remember(id: string, item: Record<string, unknown> | undefined): void {
  if (typeof item?.state !== 'string') return;
  known.delete(id);
  if (known.size >= BINDING_CACHE_SIZE) known.delete(known.keys().next().value ?? '');
  known.set(id, {
    state: item.state,
    named: item.name !== undefined,
    recordName: item.recordName,
    recordNameAt: item.recordNameAt,
    until: Date.now() + BINDING_CACHE_MS,
  });
}

function recall(id: string): KnownBinding | undefined {
  const binding = known.get(id);
  if (binding === undefined || binding.until > Date.now()) return binding;
  known.delete(id);
  return undefined;
}

/** Forgets every remembered binding (tests that change bindings behind the store's back). */
export function forgetBindings(): void {
  known.clear();
}

export class DynamoJurisdictionStore implements JurisdictionStore {
  private historyTableName: string | undefined;

  constructor(private readonly table = requireEnv(jurisdictionsTable.envVar)) {}

  /** Read at first use: a function that never writes or lists the history needs no grant on it. */
  private get history(): string {
    this.historyTableName ??= requireEnv(jurisdictionHistoryTable.envVar);
    return this.historyTableName;
  }

  async putHistory(id: string, entry: HistoryEntry): Promise<void> {
    await documents.send(
      new PutCommand({ TableName: this.history, Item: { id, revision: historyKey(entry.revision), entry } }),
    );
  }

  async listHistory(id: string): Promise<HistoryEntry[]> {
    const entries: HistoryEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await documents.send(
        new QueryCommand({
          TableName: this.history,
          KeyConditionExpression: 'id = :id',
          ExpressionAttributeValues: { ':id': id },
          ConsistentRead: true,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of out.Items ?? []) entries.push(item.entry as HistoryEntry);
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return entries;
  }

  /** Several jurisdictions at once (BatchGetItem, 100 a call), by id; ids not stored are left out. */
  async getMany(ids: readonly string[]): Promise<Map<string, JurisdictionItem>> {
    const items = await batchGetAll<JurisdictionItem>(
      this.table,
      ids.map((id) => ({ id })),
    );
    return new Map(items.map((item) => [item.id, item]));
  }

  async get(id: string): Promise<JurisdictionItem | undefined> {
    const out = await documents.send(
      new GetCommand({ TableName: this.table, Key: { id }, ConsistentRead: true }),
    );
    return out.Item as JurisdictionItem | undefined;
  }

  async bind(id: string, state: string, name: string, at: string): Promise<Binding> {
    const cached = recall(id);
    if (cached !== undefined) return { state: cached.state, renames: renamesShown(cached, name, at) };
    const read = await documents.send(
      new GetCommand({
        TableName: this.table,
        Key: { id },
        ConsistentRead: true,
        ProjectionExpression: '#s, #n, recordName, recordNameAt',
        ExpressionAttributeNames: { '#s': 'state', '#n': 'name' },
      }),
    );
    if (typeof read.Item?.state === 'string') {
      remember(id, read.Item);
      const found = recall(id);
      if (found !== undefined) return { state: found.state, renames: renamesShown(found, name, at) };
    }
    // if_not_exists everywhere: a racing first write of the same id keeps whichever state won.
    const out = await documents.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { id },
        UpdateExpression:
          'SET #s = if_not_exists(#s, :s), recordName = if_not_exists(recordName, :n), recordNameAt = if_not_exists(recordNameAt, :at), policies = if_not_exists(policies, :none), revision = if_not_exists(revision, :zero), createdAt = if_not_exists(createdAt, :at), updatedAt = if_not_exists(updatedAt, :at)',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':s': state, ':n': name, ':at': at, ':none': [], ':zero': 0 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    remember(id, out.Attributes);
    const bound = out.Attributes?.state;
    const renames = out.Attributes?.name === undefined && out.Attributes?.recordName !== name;
    return { state: typeof bound === 'string' ? bound : state, renames };
  }

  async noteRecordName(id: string, name: string, at: string): Promise<boolean> {
    // Same name already (as this container knows it), or a newer record's name is there: the
    // conditional update would fail, and a failed one is still a call.
    const cached = recall(id);
    if (cached !== undefined && cached.recordName === name) return false;
    let attributes: Record<string, unknown> | undefined;
    const landed = await conditionalWrite(
      documents
        .send(
          new UpdateCommand({
            TableName: this.table,
            Key: { id },
            UpdateExpression: 'SET recordName = :n, recordNameAt = :at',
            ConditionExpression:
              'attribute_exists(id) AND (attribute_not_exists(recordNameAt) OR recordNameAt <= :at) AND (attribute_not_exists(recordName) OR recordName <> :n)',
            ExpressionAttributeValues: { ':n': name, ':at': at },
            ReturnValues: 'ALL_NEW',
          }),
        )
        .then((out) => {
          attributes = out.Attributes;
        }),
    );
    // Refused: what is stored is not known, so it is read again next time.
    if (landed) remember(id, attributes);
    else known.delete(id);
    // The record name is the one shown only while no PUT /jurisdictions gave a name.
    return landed && attributes?.name === undefined;
  }

  async save(item: JurisdictionItem, expectedRevision: number): Promise<boolean> {
    known.delete(item.id);
    return conditionalWrite(
      documents.send(
        new PutCommand({
          TableName: this.table,
          Item: withPolicyKey(item),
          ConditionExpression: 'attribute_not_exists(id) OR revision = :expected',
          ExpressionAttributeValues: { ':expected': expectedRevision },
        }),
      ),
    );
  }
}

/**
 * The item as stored: `hasPolicy` (the sparse `byPolicy` index key) is set while the item has any
 * policy version and absent otherwise, so a put that clears the policies also leaves the index.
 */
function withPolicyKey(item: JurisdictionItem): Record<string, unknown> {
  // An item read back from the table carries the attribute: drop it and decide afresh.
  const { hasPolicy: _stale, ...rest } = item as JurisdictionItem & { hasPolicy?: unknown };
  return item.policies.length > 0 ? { ...rest, hasPolicy: POLICY_KEY } : rest;
}

/**
 * The same rule noteRecordName applies after the write: a newer record's other name changes the
 * name shown, while no PUT /jurisdictions gave one.
 */
function renamesShown(binding: KnownBinding, name: string, at: string): boolean {
  return (
    !binding.named &&
    binding.recordName !== name &&
    (typeof binding.recordNameAt !== 'string' || binding.recordNameAt <= at)
  );
}
