import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import type { Binding, HistoryEntry, JurisdictionItem, JurisdictionStore } from '#core/intake/model';
import { conditionalWrite, documents } from './dynamodb';
import { jurisdictionHistoryTable, jurisdictionsTable } from './table-definitions';

/** The one value of the sparse `byPolicy` index key. */
export const POLICY_KEY = 'yes';

/** The history's sort key of a revision: zero-padded, so the table sorts it in order. */
function historyKey(revision: number | null): string {
  return `r${String(revision ?? 0).padStart(10, '0')}`;
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

  async get(id: string): Promise<JurisdictionItem | undefined> {
    const out = await documents.send(
      new GetCommand({ TableName: this.table, Key: { id }, ConsistentRead: true }),
    );
    return out.Item as JurisdictionItem | undefined;
  }

  async bind(id: string, state: string, name: string, at: string): Promise<Binding> {
    const known = await documents.send(
      new GetCommand({
        TableName: this.table,
        Key: { id },
        ConsistentRead: true,
        ProjectionExpression: '#s, #n, recordName, recordNameAt',
        ExpressionAttributeNames: { '#s': 'state', '#n': 'name' },
      }),
    );
    const item = known.Item as
      | { state?: unknown; name?: unknown; recordName?: unknown; recordNameAt?: unknown }
      | undefined;
    if (typeof item?.state === 'string') {
      // The same rule noteRecordName applies after the write: a newer record's other name, while
      // no PUT /jurisdictions gave one.
      const renames =
        item.name === undefined &&
        item.recordName !== name &&
        (typeof item.recordNameAt !== 'string' || item.recordNameAt <= at);
      return { state: item.state, renames };
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
    const bound = out.Attributes?.state;
    const renames = out.Attributes?.name === undefined && out.Attributes?.recordName !== name;
    return { state: typeof bound === 'string' ? bound : state, renames };
  }

  async noteRecordName(id: string, name: string, at: string): Promise<boolean> {
    // Same name already, or a newer record's name is there: nothing to do.
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
    // The record name is the one shown only while no PUT /jurisdictions gave a name.
    return landed && attributes?.name === undefined;
  }

  async save(item: JurisdictionItem, expectedRevision: number): Promise<boolean> {
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
