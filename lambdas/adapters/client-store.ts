import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import type { ClientItem, ClientStore } from '#core/intake/model';
import { conditionalWrite, documents, scanAll } from './dynamodb';
import { clientsTable } from './table-definitions';

/**
 * Two items per client: `client#<id>` (listing, revoking) and `token#<sha256>` (a GetItem per
 * authenticated call). The token item is written first on create and revoked first on revoke, so
 * a call that dies halfway never leaves a working token without its client, or a revoked client
 * whose token still works.
 */
const clientKey = (id: string) => `client#${id}`;
const tokenKey = (hash: string) => `token#${hash}`;

function toClient(attributes: Record<string, unknown> | undefined): ClientItem | undefined {
  if (!attributes) return undefined;
  const { pk: _pk, tokenHash: _hash, ...client } = attributes;
  return client as unknown as ClientItem;
}

export class DynamoClientStore implements ClientStore {
  constructor(private readonly table = requireEnv(clientsTable.envVar)) {}

  async create(client: ClientItem, tokenHash: string): Promise<void> {
    await documents.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: tokenKey(tokenHash), ...client },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await documents.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: clientKey(client.id), tokenHash, ...client },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async bindToken(client: ClientItem, tokenHash: string): Promise<'active' | 'revoked'> {
    const previous = await documents.send(
      new GetCommand({ TableName: this.table, Key: { pk: clientKey(client.id) }, ConsistentRead: true }),
    );
    const oldHash = previous.Item?.tokenHash;
    // The same token: a revoked client stays revoked (only a new token makes a new one).
    if (oldHash === tokenHash) return previous.Item?.revokedAt === undefined ? 'active' : 'revoked';
    if (typeof oldHash === 'string' && oldHash !== tokenHash) {
      // The bootstrap token was changed: the old one stops working.
      await documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: tokenKey(oldHash) },
          UpdateExpression: 'SET revokedAt = :at',
          ExpressionAttributeValues: { ':at': client.createdAt },
        }),
      );
    }
    await documents.send(
      new PutCommand({ TableName: this.table, Item: { pk: tokenKey(tokenHash), ...client } }),
    );
    await documents.send(
      new PutCommand({ TableName: this.table, Item: { pk: clientKey(client.id), tokenHash, ...client } }),
    );
    return 'active';
  }

  async findByTokenHash(tokenHash: string): Promise<ClientItem | undefined> {
    const out = await documents.send(
      new GetCommand({ TableName: this.table, Key: { pk: tokenKey(tokenHash) }, ConsistentRead: true }),
    );
    return toClient(out.Item);
  }

  async get(id: string): Promise<ClientItem | undefined> {
    const out = await documents.send(
      new GetCommand({ TableName: this.table, Key: { pk: clientKey(id) }, ConsistentRead: true }),
    );
    return toClient(out.Item);
  }

  async list(): Promise<ClientItem[]> {
    // The clients table holds a few dozen items: a filtered Scan is the simple, cheap read.
    const items = await scanAll<Record<string, unknown>>({
      TableName: this.table,
      FilterExpression: 'begins_with(pk, :prefix)',
      ExpressionAttributeValues: { ':prefix': 'client#' },
    });
    const clients = items.flatMap((item) => toClient(item) ?? []);
    return clients.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async revoke(id: string, at: string): Promise<ClientItem | undefined> {
    const current = await documents.send(
      new GetCommand({ TableName: this.table, Key: { pk: clientKey(id) }, ConsistentRead: true }),
    );
    const tokenHash = current.Item?.tokenHash;
    if (!current.Item || typeof tokenHash !== 'string') return undefined;
    const revokedAt = typeof current.Item.revokedAt === 'string' ? current.Item.revokedAt : at;
    for (const pk of [tokenKey(tokenHash), clientKey(id)]) {
      await conditionalWrite(
        documents.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk },
            UpdateExpression: 'SET revokedAt = :at',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':at': revokedAt },
          }),
        ),
      );
    }
    return toClient({ ...current.Item, revokedAt });
  }
}
