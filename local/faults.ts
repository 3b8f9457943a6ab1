import { allTables, type TableDefinition } from '#adapters/table-definitions';
import { localTableName } from './tables';

/**
 * Fault modes of the local stack (contract §1; all off unless a test turns them on, never by
 * `npm start`): what AWS does on a bad day that the stand-ins never do by themselves. They act in
 * the gates in front of each stand-in, so the functions see them exactly as they would on AWS.
 * (The CDN stand-in's limit on wildcard invalidations in progress is always on: it is CloudFront's
 * own limit, not a fault.)
 */
export interface FaultModes {
  /**
   * DynamoDB global secondary indexes are eventually consistent: a Query on an index sees a write
   * only this many milliseconds after it landed. 0: indexes are current (dynalite's own way).
   */
  indexLagMs: number;
  /** SES answering slowly (ms added before each SendEmail answer). */
  sesDelayMs: number;
  /**
   * SES refusing sends: `throttling` (the sending rate, 429 TooManyRequestsException), `paused`
   * (sending paused for the account, SendingPausedException; GetAccount then says
   * `SendingEnabled: false`), `error` (a 500 before SES accepted anything: the caller cannot tell
   * that from a 500 after).
   */
  sesRefusal: 'none' | 'throttling' | 'paused' | 'error';
  /**
   * The account's 24-hour quota: each send SES accepts counts in `sent`; at `max24HourSend` SES
   * refuses with "Daily message quota exceeded" (a TooManyRequestsException) and GetAccount reports
   * the quota used. Setting `sent` lower is the rolling 24 hours passing. Undefined: no quota.
   */
  sesQuota: { max24HourSend: number; sent: number } | undefined;
  /**
   * Recipients SES refuses as the sandbox refuses an unverified address (400 MessageRejected
   * naming the address), while it accepts mail to every other.
   */
  sesRejectedAddresses: readonly string[];
  /**
   * Writes to one table held this long before they reach it (a slow write, or one retried by the
   * SDK): what another function reads meanwhile does not see them. Undefined: none held.
   */
  slowWrites: { readonly table: string; readonly ms: number } | undefined;
}

export const NO_FAULTS: FaultModes = {
  indexLagMs: 0,
  sesDelayMs: 0,
  sesRefusal: 'none',
  sesQuota: undefined,
  sesRejectedAddresses: [],
  slowWrites: undefined,
};

/** SES's answer at the 24-hour quota. */
export const DAILY_QUOTA_REFUSAL = {
  status: 429,
  type: 'TooManyRequestsException',
  message: 'Daily message quota exceeded.',
} as const;

/** The SES error a refusal mode answers SendEmail with. */
export function sesRefusal(
  mode: FaultModes['sesRefusal'],
): { status: number; type: string; message: string } | undefined {
  switch (mode) {
    case 'throttling':
      return { status: 429, type: 'TooManyRequestsException', message: 'Maximum sending rate exceeded.' };
    case 'paused':
      return { status: 400, type: 'SendingPausedException', message: 'Sending is paused for this account.' };
    case 'error':
      return {
        status: 500,
        type: 'InternalFailure',
        message: 'We encountered an internal error. Please try again.',
      };
    case 'none':
      return undefined;
  }
}

type Item = Record<string, Record<string, unknown>>;

interface RecentWrite {
  readonly table: string;
  readonly key: string;
  /** The item before this write; undefined when there was none. */
  readonly before: Item | undefined;
  readonly at: number;
}

function definitionOf(table: string): TableDefinition | undefined {
  return allTables.find((definition) => localTableName(definition) === table);
}

function keyOf(definition: TableDefinition, item: Item): string {
  const part = (name: string | undefined) => (name === undefined ? '' : JSON.stringify(item[name] ?? null));
  return `${part(definition.partitionKey)}|${part(definition.sortKey)}`;
}

function keyItem(definition: TableDefinition, item: Item): Item {
  const key: Item = {};
  for (const name of [definition.partitionKey, definition.sortKey]) {
    const value = name === undefined ? undefined : item[name];
    if (name !== undefined && value !== undefined) key[name] = value;
  }
  return key;
}

/** The item writes a DynamoDB request makes: `{ table, key }` of each. */
export function writesOf(operation: string, input: Record<string, unknown>): { table: string; key: Item }[] {
  const one = (table: unknown, item: unknown): { table: string; key: Item }[] => {
    if (typeof table !== 'string' || item === null || typeof item !== 'object') return [];
    const definition = definitionOf(table);
    return definition === undefined ? [] : [{ table, key: keyItem(definition, item as Item) }];
  };
  switch (operation) {
    case 'PutItem':
      return one(input.TableName, input.Item);
    case 'UpdateItem':
    case 'DeleteItem':
      return one(input.TableName, input.Key);
    case 'BatchWriteItem':
      return Object.entries((input.RequestItems as Record<string, unknown[]> | undefined) ?? {}).flatMap(
        ([table, requests]) =>
          requests.flatMap((request) => {
            const r = request as { PutRequest?: { Item: unknown }; DeleteRequest?: { Key: unknown } };
            return one(table, r.PutRequest?.Item ?? r.DeleteRequest?.Key);
          }),
      );
    default:
      return [];
  }
}

/**
 * Index lag: the writes of the last `indexLagMs`, each with the item as it was before, so that a
 * Query on an index answers as the index stood `indexLagMs` ago: an item written since is shown
 * as it was then (or not at all, if it did not exist or was not in the queried partition). An
 * approximation of a GSI's lag that keeps what the product can observe: the key condition's
 * partition, the order by the index's sort key; a sort-key condition and paging are not replayed.
 */
export class IndexLag {
  private readonly writes: RecentWrite[] = [];

  constructor(private readonly lagMs: () => number) {}

  get active(): boolean {
    return this.lagMs() > 0;
  }

  /** Notes a write about to land, with the item as it is now. */
  note(table: string, key: Item, before: Item | undefined): void {
    const definition = definitionOf(table);
    if (definition === undefined) return;
    this.prune();
    this.writes.push({ table, key: keyOf(definition, key), before, at: Date.now() });
  }

  private prune(): void {
    const horizon = Date.now() - Math.max(this.lagMs(), 0);
    while (this.writes.length > 0 && (this.writes[0]?.at ?? 0) < horizon) this.writes.shift();
  }

  /** The Query answer as the index stood `indexLagMs` ago. */
  rewrite(input: Record<string, unknown>, output: { Items?: Item[]; Count?: number }): typeof output {
    this.prune();
    const table = typeof input.TableName === 'string' ? input.TableName : '';
    const definition = definitionOf(table);
    const index = definition?.indexes.find((i) => i.name === input.IndexName);
    if (definition === undefined || index === undefined) return output;
    const recent = this.writes.filter((write) => write.table === table);
    if (recent.length === 0) return output;
    // The oldest write of the window holds the item as the lagging index still has it.
    const then = new Map<string, Item | undefined>();
    for (const write of recent) if (!then.has(write.key)) then.set(write.key, write.before);
    const partition = partitionValue(input, index.partitionKey);
    const items = (output.Items ?? []).filter((item) => !then.has(keyOf(definition, item)));
    for (const before of then.values()) {
      if (before === undefined || partition === undefined) continue;
      if (JSON.stringify(before[index.partitionKey] ?? null) === JSON.stringify(partition))
        items.push(before);
    }
    const sortKey = index.sortKey;
    if (sortKey !== undefined) {
      const text = (item: Item) => JSON.stringify(item[sortKey] ?? '');
      items.sort((a, b) => (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0));
      if (input.ScanIndexForward === false) items.reverse();
    }
    return { ...output, Items: items, Count: items.length };
  }
}

/** The value a Query's key condition gives the index's partition key (`#a = :v` or `a = :v`). */
function partitionValue(
  input: Record<string, unknown>,
  attribute: string,
): Record<string, unknown> | undefined {
  const condition = typeof input.KeyConditionExpression === 'string' ? input.KeyConditionExpression : '';
  const names = (input.ExpressionAttributeNames as Record<string, string> | undefined) ?? {};
  const values =
    (input.ExpressionAttributeValues as Record<string, Record<string, unknown>> | undefined) ?? {};
  for (const match of condition.matchAll(/([#\w.]+)\s*=\s*(:\w+)/g)) {
    const [, name = '', value = ''] = match;
    if ((names[name] ?? name) === attribute) return values[value];
  }
  return undefined;
}
