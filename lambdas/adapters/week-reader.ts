import { BatchGetCommand, paginateQuery, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import type { TrendPoint } from '#core/edition/model';
import type { WeekData, WeekSource } from '#core/edition/week-data';
import type { JurisdictionItem, OutcomeItem } from '#core/intake/model';
import { weeksEndingWith } from '#core/reporting-week';
import { documents } from './dynamodb';
import { POLICY_KEY } from './jurisdiction-store';
import { jurisdictionsTable, outcomesTable } from './table-definitions';

/**
 * Reads one week for the edition with Queries only, never a Scan: the cost follows the size of
 * the week, not of the archive. Primary course: the week's issued records (`byIssuedWeek`) and
 * recorded declines (`byDeclinedWeek`), every jurisdiction with a policy (`byPolicy`), then the
 * other jurisdictions those records name (BatchGetItem), and a count per earlier week for the
 * trend. Every page is followed; what was read is counted so a benchmark can set it against a
 * full-table Scan.
 */

/** What a part of the read cost. */
export interface ReadStats {
  /** Requests sent: Query pages and BatchGetItem calls (retries of unprocessed keys included). */
  requests: number;
  /** Items DynamoDB evaluated (Query `ScannedCount`; for BatchGetItem, the items returned). */
  scannedCount: number;
  /** Items returned, or counted by a `Select: 'COUNT'` Query (`Count`). */
  count: number;
  /** Read capacity units consumed, as DynamoDB reports them. */
  capacityUnits: number;
}

export interface WeekReadStats {
  issued: ReadStats;
  declined: ReadStats;
  policies: ReadStats;
  jurisdictions: ReadStats;
  trend: ReadStats;
  total: ReadStats;
}

export interface WeekRead {
  data: WeekData;
  stats: WeekReadStats;
}

export interface WeekReaderOptions {
  /**
   * `Limit` of each Query page; absent: DynamoDB's own (1 MB a page).
   * Small pages exercise pagination in tests and measure request counts in benchmarks.
   */
  pageSize?: number;
}

/** BatchGetItem takes at most 100 keys a call. */
const BATCH_GET_KEYS = 100;
/** Retries of UnprocessedKeys (throttling), with exponential back-off from BACKOFF_MS. */
const BATCH_GET_ATTEMPTS = 8;
const BACKOFF_MS = 25;
/** The trend's weeks before this one (the assembly adds this week: 12 in all). */
const EARLIER_WEEKS = 11;

function emptyStats(): ReadStats {
  return { requests: 0, scannedCount: 0, count: 0, capacityUnits: 0 };
}

function sumStats(parts: readonly ReadStats[]): ReadStats {
  const total = emptyStats();
  for (const part of parts) {
    total.requests += part.requests;
    total.scannedCount += part.scannedCount;
    total.count += part.count;
    total.capacityUnits += part.capacityUnits;
  }
  return total;
}

function withoutAttributes(item: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) if (!names.includes(key)) out[key] = value;
  return out;
}

/** The stored item without the index keys the store adds (they are not part of the record). */
function toOutcome(item: Record<string, unknown>): OutcomeItem {
  return withoutAttributes(item, ['issuedWeek', 'declinedWeek']) as unknown as OutcomeItem;
}

function toJurisdiction(item: Record<string, unknown>): JurisdictionItem {
  return withoutAttributes(item, ['hasPolicy']) as unknown as JurisdictionItem;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class DynamoWeekReader implements WeekSource {
  constructor(
    private readonly outcomes = requireEnv(outcomesTable.envVar),
    private readonly jurisdictions = requireEnv(jurisdictionsTable.envVar),
    private readonly options: WeekReaderOptions = {},
  ) {}

  async readWeek(week: string): Promise<WeekData> {
    return (await this.read(week)).data;
  }

  /** The week's data and what reading it cost. `week` is the Saturday that names it. */
  async read(week: string): Promise<WeekRead> {
    const stats = {
      issued: emptyStats(),
      declined: emptyStats(),
      policies: emptyStats(),
      jurisdictions: emptyStats(),
      trend: emptyStats(),
    };
    const [issuedItems, declinedItems, policyItems, trend] = await Promise.all([
      this.queryItems(this.weekQuery('byIssuedWeek', 'issuedWeek', week), stats.issued),
      this.queryItems(this.weekQuery('byDeclinedWeek', 'declinedWeek', week), stats.declined),
      this.queryItems(
        {
          TableName: this.jurisdictions,
          IndexName: 'byPolicy',
          KeyConditionExpression: 'hasPolicy = :yes',
          ExpressionAttributeValues: { ':yes': POLICY_KEY },
        },
        stats.policies,
      ),
      this.readTrend(week, stats.trend),
    ]);

    // The indexes are sparse (a voided record has no week keys); the filter guards a stale index read.
    const issued = issuedItems.map(toOutcome).filter((item) => !item.voided);
    const declined = declinedItems
      .map(toOutcome)
      .filter((item) => !item.voided && item.record.status === 'declined');

    const found = new Map<string, JurisdictionItem>();
    for (const item of policyItems.map(toJurisdiction)) found.set(item.id, item);
    const named = new Set<string>();
    for (const { record } of [...issued, ...declined]) {
      named.add(record.jurisdiction.id);
      if (record.transferredTo) named.add(record.transferredTo.id);
    }
    const missing = [...named].filter((id) => !found.has(id));
    for (const item of await this.batchGet(missing, stats.jurisdictions)) found.set(item.id, item);

    // In id order, so the data reads the same whatever order the pages arrived in.
    const jurisdictions = new Map([...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return {
      data: { week, issued, declined, jurisdictions, trend },
      stats: { ...stats, total: sumStats(Object.values(stats)) },
    };
  }

  private weekQuery(index: string, key: string, week: string, count = false): QueryCommandInput {
    return {
      TableName: this.outcomes,
      IndexName: index,
      KeyConditionExpression: '#week = :week',
      ExpressionAttributeNames: { '#week': key },
      ExpressionAttributeValues: { ':week': week },
      ...(count ? { Select: 'COUNT' } : {}),
    };
  }

  /** Every page of a Query; adds what it read to `stats`. */
  private async queryPages(
    input: QueryCommandInput,
    stats: ReadStats,
    onPage: (items: Record<string, unknown>[]) => void,
  ): Promise<void> {
    const pages = paginateQuery(
      {
        client: documents,
        ...(this.options.pageSize === undefined ? {} : { pageSize: this.options.pageSize }),
      },
      { ...input, ReturnConsumedCapacity: 'TOTAL' },
    );
    for await (const page of pages) {
      stats.requests++;
      stats.scannedCount += page.ScannedCount ?? 0;
      stats.count += page.Count ?? 0;
      stats.capacityUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
      onPage(page.Items ?? []);
    }
  }

  private async queryItems(input: QueryCommandInput, stats: ReadStats): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    await this.queryPages(input, stats, (page) => items.push(...page));
    return items;
  }

  private async queryCount(input: QueryCommandInput, stats: ReadStats): Promise<number> {
    const before = stats.count;
    await this.queryPages(input, stats, () => {});
    return stats.count - before;
  }

  /** Counts of the 11 weeks before `week`, oldest first: two COUNT Queries a week, no items read back. */
  private async readTrend(week: string, stats: ReadStats): Promise<TrendPoint[]> {
    const weeks = weeksEndingWith(week, EARLIER_WEEKS + 1).slice(0, EARLIER_WEEKS);
    return Promise.all(
      weeks.map(async (earlier) => {
        // Each count gets its own tally, as the two Queries run at once.
        const issuedStats = emptyStats();
        const declinedStats = emptyStats();
        const [issued, declined] = await Promise.all([
          this.queryCount(this.weekQuery('byIssuedWeek', 'issuedWeek', earlier, true), issuedStats),
          this.queryCount(this.weekQuery('byDeclinedWeek', 'declinedWeek', earlier, true), declinedStats),
        ]);
        Object.assign(stats, sumStats([stats, issuedStats, declinedStats]));
        return { week: earlier, issued, declined };
      }),
    );
  }

  /** The items of `ids`, 100 keys a call, retrying unprocessed keys; ids not stored are left out. */
  private async batchGet(ids: readonly string[], stats: ReadStats): Promise<JurisdictionItem[]> {
    const items: JurisdictionItem[] = [];
    for (let offset = 0; offset < ids.length; offset += BATCH_GET_KEYS) {
      let keys: Record<string, unknown>[] = ids.slice(offset, offset + BATCH_GET_KEYS).map((id) => ({ id }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt >= BATCH_GET_ATTEMPTS) {
          throw new Error(
            `jurisdictions: ${keys.length} keys still unprocessed after ${BATCH_GET_ATTEMPTS} attempts`,
          );
        }
        if (attempt > 0) await sleep(BACKOFF_MS * 2 ** (attempt - 1));
        const out = await documents.send(
          new BatchGetCommand({
            RequestItems: { [this.jurisdictions]: { Keys: keys, ConsistentRead: true } },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        const returned = out.Responses?.[this.jurisdictions] ?? [];
        stats.requests++;
        stats.scannedCount += returned.length;
        stats.count += returned.length;
        for (const used of out.ConsumedCapacity ?? []) stats.capacityUnits += used.CapacityUnits ?? 0;
        for (const item of returned) items.push(toJurisdiction(item));
        keys = out.UnprocessedKeys?.[this.jurisdictions]?.Keys ?? [];
      }
    }
    return items;
  }
}
