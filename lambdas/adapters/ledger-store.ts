import { GetCommand, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import type { ClaimResult, LedgerStore, QueueState, SendPause, SendProgress } from '#core/mail/send-ledger';
import { conditionalWrite, documents } from './dynamodb';
import { sendLedgerTable } from './table-definitions';

/** The progress item sits in the edition's partition under a key no address can have. */
const PROGRESS = '#progress';

/**
 * How long a recipient's ledger entry is kept (docs/ARCHITECTURE.md, personal data): the entry
 * exists to send each edition once, which is settled within days; DynamoDB's TTL then deletes it.
 * The sort key `address` holds the recipient's mailbox (`mailboxOf`), the subscriber's key.
 */
export const LEDGER_RETENTION_DAYS = 90;

function expiresAt(now: Date): number {
  return Math.floor(now.getTime() / 1000) + LEDGER_RETENTION_DAYS * 86_400;
}

/** The per-recipient send ledger: single-item conditional writes before and after each send. */
export class DynamoLedgerStore implements LedgerStore {
  constructor(private readonly table = requireEnv(sendLedgerTable.envVar)) {}

  async claim(
    edition: string,
    address: string,
    owner: string,
    now: Date,
    leaseMs: number,
  ): Promise<ClaimResult> {
    // New, a lease that expired, or a send whose answer never came once its hour is up (that
    // second send is counted in `resends`).
    const claimed = await conditionalWrite(
      documents
        .send(
          new UpdateCommand({
            TableName: this.table,
            Key: { edition, address },
            UpdateExpression:
              'SET #s = :sending, #owner = :owner, leaseUntil = :until, expiresAt = :expires ADD attempts :one, resends :resend',
            ConditionExpression:
              'attribute_not_exists(address) OR (#s = :sending AND leaseUntil < :now) OR (#s = :unknown AND resendAfter < :now)',
            ExpressionAttributeNames: { '#s': 'status', '#owner': 'owner' },
            ExpressionAttributeValues: {
              ':sending': 'sending',
              ':unknown': 'unknown',
              ':owner': owner,
              ':until': new Date(now.getTime() + leaseMs).toISOString(),
              ':expires': expiresAt(now),
              ':now': now.toISOString(),
              ':one': 1,
              ':resend': 0,
            },
            ReturnValues: 'UPDATED_OLD',
          }),
        )
        .then(async (out) => {
          if (out.Attributes?.status === 'unknown') {
            await documents.send(
              new UpdateCommand({
                TableName: this.table,
                Key: { edition, address },
                UpdateExpression: 'ADD resends :one',
                ExpressionAttributeValues: { ':one': 1 },
              }),
            );
          }
        }),
    );
    if (claimed) return 'claimed';
    const current = await documents.send(
      new GetCommand({ TableName: this.table, Key: { edition, address }, ConsistentRead: true }),
    );
    const status = current.Item?.status;
    return status === 'sending' || status === 'unknown' ? 'busy' : 'done';
  }

  async release(edition: string, address: string, owner: string, at: Date): Promise<void> {
    await conditionalWrite(
      documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { edition, address },
          UpdateExpression: 'SET leaseUntil = :past',
          ConditionExpression: '#owner = :owner AND #s = :sending',
          ExpressionAttributeNames: { '#s': 'status', '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':past': new Date(at.getTime() - 1).toISOString(),
            ':owner': owner,
            ':sending': 'sending',
          },
        }),
      ),
    );
  }

  async markRejected(
    edition: string,
    address: string,
    owner: string,
    reason: string,
    at: Date,
  ): Promise<void> {
    await this.settleOwned(edition, address, owner, 'rejected', 'rejectedBecause = :why, rejectedAt = :at', {
      ':why': reason,
      ':at': at.toISOString(),
    });
  }

  async markUnknown(
    edition: string,
    address: string,
    owner: string,
    at: Date,
    resendAfter: Date,
  ): Promise<void> {
    await this.settleOwned(edition, address, owner, 'unknown', 'unknownSince = :at, resendAfter = :after', {
      ':at': at.toISOString(),
      ':after': resendAfter.toISOString(),
    });
  }

  /** Ends this owner's live claim (`sending`) with another status and its fields, dropping the lease. */
  private async settleOwned(
    edition: string,
    address: string,
    owner: string,
    status: 'rejected' | 'unknown',
    fields: string,
    values: Record<string, unknown>,
  ): Promise<void> {
    await documents.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { edition, address },
        UpdateExpression: `SET #s = :status, ${fields} REMOVE leaseUntil`,
        ConditionExpression: '#owner = :owner AND #s = :sending',
        ExpressionAttributeNames: { '#s': 'status', '#owner': 'owner' },
        ExpressionAttributeValues: { ':status': status, ':sending': 'sending', ':owner': owner, ...values },
      }),
    );
  }

  async reconcile(edition: string, address: string, messageId: string, at: Date): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { edition, address },
          UpdateExpression:
            'SET #s = :sent, messageId = :id, sentAt = :at, reconciled = :yes REMOVE resendAfter',
          ConditionExpression: '#s = :unknown',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':sent': 'sent',
            ':unknown': 'unknown',
            ':id': messageId,
            ':at': at.toISOString(),
            ':yes': true,
          },
        }),
      ),
    );
  }

  async markSent(
    edition: string,
    address: string,
    owner: string,
    messageId: string,
    at: Date,
  ): Promise<void> {
    await documents.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { edition, address },
        UpdateExpression: 'SET #s = :sent, messageId = :id, sentAt = :at REMOVE leaseUntil',
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#s': 'status', '#owner': 'owner' },
        ExpressionAttributeValues: {
          ':sent': 'sent',
          ':id': messageId,
          ':at': at.toISOString(),
          ':owner': owner,
        },
      }),
    );
  }

  async markSkipped(edition: string, address: string, reason: string, at: Date): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { edition, address },
          UpdateExpression: 'SET #s = :skipped, skippedBecause = :why, skippedAt = :at, expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(address)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':skipped': 'skipped',
            ':why': reason,
            ':at': at.toISOString(),
            ':expires': expiresAt(at),
          },
        }),
      ),
    );
  }

  /**
   * The fan-out's state, and what the ledger says was done: counted from the recipient items
   * themselves, so a batch that died after some sends is never under-counted.
   */
  async queueState(edition: string): Promise<QueueState | undefined> {
    const out = await documents.send(
      new GetCommand({ TableName: this.table, Key: { edition, address: PROGRESS }, ConsistentRead: true }),
    );
    const item = out.Item;
    if (!item) return undefined;
    const state: QueueState = {
      status: item.queueStatus === 'queued' ? 'queued' : 'queueing',
      total: Number(item.total ?? 0),
    };
    if (item.pausedFor === 'daily-quota' || item.pausedFor === 'paused') {
      state.paused = { reason: item.pausedFor, nextCheckAt: String(item.nextCheckAt ?? '') };
    }
    return state;
  }

  async notePause(edition: string, pause: SendPause): Promise<void> {
    // Only an edition whose fan-out began has a progress item: never make one up.
    await conditionalWrite(
      documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { edition, address: PROGRESS },
          UpdateExpression: 'SET pausedFor = :r, nextCheckAt = :n',
          ConditionExpression: 'attribute_exists(address)',
          ExpressionAttributeValues: { ':r': pause.reason, ':n': pause.nextCheckAt },
        }),
      ),
    );
  }

  async clearPause(edition: string): Promise<void> {
    await conditionalWrite(
      documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { edition, address: PROGRESS },
          UpdateExpression: 'REMOVE pausedFor, nextCheckAt',
          ConditionExpression: 'attribute_exists(pausedFor)',
        }),
      ),
    );
  }

  async settledAddresses(edition: string): Promise<Set<string>> {
    const settled = new Set<string>();
    const pages = paginateQuery(
      { client: documents },
      {
        TableName: this.table,
        KeyConditionExpression: 'edition = :e',
        FilterExpression: '#s IN (:sent, :skipped, :rejected, :unknown)',
        ProjectionExpression: 'address',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':e': edition,
          ':sent': 'sent',
          ':skipped': 'skipped',
          ':rejected': 'rejected',
          ':unknown': 'unknown',
        },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) settled.add(String(item.address));
    }
    return settled;
  }

  async progress(edition: string): Promise<SendProgress | undefined> {
    const state = await this.queueState(edition);
    if (!state) return undefined;
    const counts = await this.countStatuses(edition);
    return {
      ...state,
      sent: counts.get('sent') ?? 0,
      // A reader SES refused is done too: not sent, never tried again for this edition.
      skipped: (counts.get('skipped') ?? 0) + (counts.get('rejected') ?? 0),
    };
  }

  /**
   * Every recipient's status of an edition, tallied in one pass over its partition (one read of
   * each item, not one per status asked about), only the status projected.
   */
  private async countStatuses(edition: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const pages = paginateQuery(
      { client: documents },
      {
        TableName: this.table,
        KeyConditionExpression: 'edition = :e',
        ProjectionExpression: '#s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':e': edition },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const status = typeof item.status === 'string' ? item.status : 'none';
        counts.set(status, (counts.get(status) ?? 0) + 1);
      }
    }
    return counts;
  }

  async startQueueing(edition: string, at: Date): Promise<void> {
    await documents.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { edition, address: PROGRESS },
        UpdateExpression:
          'SET queueStatus = if_not_exists(queueStatus, :q), startedAt = if_not_exists(startedAt, :at)',
        ExpressionAttributeValues: { ':q': 'queueing', ':at': at.toISOString() },
      }),
    );
  }

  async finishQueueing(edition: string, total: number, at: Date): Promise<void> {
    await documents.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { edition, address: PROGRESS },
        UpdateExpression: 'SET queueStatus = :q, #total = :t, queuedAt = :at',
        ExpressionAttributeNames: { '#total': 'total' },
        ExpressionAttributeValues: { ':q': 'queued', ':t': total, ':at': at.toISOString() },
      }),
    );
  }
}
