import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import type { ReviewStore, StoredDraft } from '#core/review/gate';
import type { RunNotices } from '#core/review/notice';
import { conditionalWrite, documents, queryAll } from './dynamodb';
import { editionsTable } from './table-definitions';

/**
 * Drafts live in the Editions table under a reserved partition (`_review`, no week can equal it),
 * one item per week (`rev` = the week): one Query lists them all for `npm run status` and for the
 * approval of a whole run, and nothing of them is public. Writes are conditional on `version`.
 */
const REVIEW_PARTITION = '_review';

interface DraftItem extends StoredDraft {
  week: typeof REVIEW_PARTITION;
  rev: string;
}

function toStored(item: Record<string, unknown>): StoredDraft {
  const { week: _partition, rev: _rev, ...stored } = item as unknown as DraftItem;
  return stored;
}

export class DynamoReviewStore implements ReviewStore {
  constructor(private readonly table = requireEnv(editionsTable.envVar)) {}

  async get(week: string): Promise<StoredDraft | undefined> {
    const { Item } = await documents.send(
      new GetCommand({
        TableName: this.table,
        Key: { week: REVIEW_PARTITION, rev: week },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : toStored(Item);
  }

  async list(): Promise<StoredDraft[]> {
    const items = await queryAll<Record<string, unknown>>({
      TableName: this.table,
      KeyConditionExpression: '#week = :p',
      ExpressionAttributeNames: { '#week': 'week' },
      ExpressionAttributeValues: { ':p': REVIEW_PARTITION },
      ScanIndexForward: false,
      ConsistentRead: true,
    });
    return items.map(toStored);
  }

  async save(stored: StoredDraft, expectedVersion: number): Promise<boolean> {
    const item: DraftItem = { ...stored, week: REVIEW_PARTITION, rev: stored.draft.week };
    return conditionalWrite(
      documents.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(rev)' : 'version = :expected',
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      ),
    );
  }
}

/**
 * Each weekly run's progress towards its editors' email (`_runs` partition, `rev` = the run's
 * id): the weeks settled so far as a string set (ADD is idempotent, so a redelivered message
 * counts once), when the email was claimed (a lease: a claimant that died mid-send is taken
 * over), which editors it reached (a hash of each address, never the address) and when it was
 * done. One small item a week: kept, like the
 * drafts' decisions.
 */
const RUNS_PARTITION = '_runs';

export class DynamoRunNotices implements RunNotices {
  constructor(private readonly table = requireEnv(editionsTable.envVar)) {}

  private key(runId: string) {
    return { week: RUNS_PARTITION, rev: runId };
  }

  async settle(runId: string, week: string): Promise<readonly string[]> {
    const { Attributes } = await documents.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(runId),
        UpdateExpression: 'ADD settled :week',
        ExpressionAttributeValues: { ':week': new Set([week]) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const settled = Attributes?.settled as Set<string> | undefined;
    return settled === undefined ? [] : [...settled];
  }

  async claim(runId: string, at: string, staleBefore: string): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(runId),
          UpdateExpression: 'SET notifiedAt = :at',
          // First, or taking over from a claimant that died mid-send (its lease ran out).
          ConditionExpression:
            'attribute_not_exists(notifiedAt) OR (attribute_not_exists(sentAt) AND notifiedAt < :stale)',
          ExpressionAttributeValues: { ':at': at, ':stale': staleBefore },
        }),
      ),
    );
  }

  async sentTo(runId: string): Promise<ReadonlySet<string>> {
    const { Item } = await documents.send(
      new GetCommand({ TableName: this.table, Key: this.key(runId), ConsistentRead: true }),
    );
    return new Set((Item?.sentTo as Set<string> | undefined) ?? []);
  }

  async markSent(runId: string, recipient: string): Promise<void> {
    await documents.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(runId),
        UpdateExpression: 'ADD sentTo :recipient',
        ExpressionAttributeValues: { ':recipient': new Set([recipient]) },
      }),
    );
  }

  async finish(runId: string, at: string): Promise<void> {
    await documents.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(runId),
        UpdateExpression: 'SET sentAt = :at',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  }

  async release(runId: string): Promise<void> {
    await documents.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(runId),
        UpdateExpression: 'REMOVE notifiedAt',
      }),
    );
  }

  async claimed(runId: string): Promise<boolean> {
    const { Item } = await documents.send(
      new GetCommand({ TableName: this.table, Key: this.key(runId), ConsistentRead: true }),
    );
    return typeof Item?.notifiedAt === 'string';
  }
}

/**
 * Same-name pairs an editor acknowledged for good (contract §3, `same-name`): one item each in
 * the `_acks` partition, `rev` = the pair's key (`sameNamePairKey`), with who, when and why.
 * Put once (a repeat changes nothing); read whole by each draft's checks (one Query).
 */
const ACKS_PARTITION = '_acks';

export interface Acknowledgement {
  readonly pair: string;
  readonly by: string;
  readonly at: string;
  readonly reason?: string;
}

export class DynamoAcknowledgements {
  constructor(private readonly table = requireEnv(editionsTable.envVar)) {}

  /** True when this acknowledgement is new; false when the pair was acknowledged before. */
  async add(ack: Acknowledgement): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new PutCommand({
          TableName: this.table,
          Item: { week: ACKS_PARTITION, rev: ack.pair, ...ack },
          ConditionExpression: 'attribute_not_exists(rev)',
        }),
      ),
    );
  }

  async pairs(): Promise<Set<string>> {
    const items = await queryAll<{ rev: string }>({
      TableName: this.table,
      KeyConditionExpression: '#week = :p',
      ExpressionAttributeNames: { '#week': 'week' },
      ExpressionAttributeValues: { ':p': ACKS_PARTITION },
      ProjectionExpression: 'rev',
    });
    return new Set(items.map((item) => item.rev));
  }
}
