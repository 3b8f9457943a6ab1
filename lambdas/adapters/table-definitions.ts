/**
 * The one description of every DynamoDB table: the CDK stack and the local stack both build
 * their tables from it, so keys and indexes cannot drift between deployed and local.
 *
 * Keys are designed for the reads the product makes: the weekly report reads one week's issued
 * records and one week's recorded declines with Query on a week index (never a Scan); indexes
 * are sparse, so a voided record (its week attributes removed) drops out of every week at once.
 */
export interface IndexDefinition {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export interface TableDefinition {
  /** Logical name: the CDK construct id and the suffix of the local table name. */
  readonly logicalName: string;
  /** The environment variable that carries the table's physical name into a function. */
  readonly envVar: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly indexes: readonly IndexDefinition[];
  /**
   * The attribute DynamoDB's TTL reads (epoch seconds): items past it are deleted in the
   * background, within days. Never relied on for correctness: readers check the time themselves.
   */
  readonly timeToLiveAttribute?: string;
}

/** Outcome records: one item per detainer, holding the current record, revision and week keys. */
export const outcomesTable: TableDefinition = {
  logicalName: 'Outcomes',
  envVar: 'OUTCOMES_TABLE',
  partitionKey: 'detainerId',
  indexes: [
    // Records issued in a week (both kinds), by the Saturday that starts the week.
    { name: 'byIssuedWeek', partitionKey: 'issuedWeek', sortKey: 'detainerId' },
    // Declines recorded in a week (learnedOn), set only while status is declined and not voided.
    { name: 'byDeclinedWeek', partitionKey: 'declinedWeek', sortKey: 'detainerId' },
    // The opaque public reference shown in Section II, which disputes accept.
    { name: 'byRef', partitionKey: 'ref' },
  ],
};

/** Every revision and dispute step of a record: its history, in order. */
export const historyTable: TableDefinition = {
  logicalName: 'OutcomeHistory',
  envVar: 'HISTORY_TABLE',
  partitionKey: 'detainerId',
  sortKey: 'seq',
  indexes: [],
};

/** Jurisdictions: the state an id is bound to, names, and every policy version. */
export const jurisdictionsTable: TableDefinition = {
  logicalName: 'Jurisdictions',
  envVar: 'JURISDICTIONS_TABLE',
  partitionKey: 'id',
  indexes: [
    // Sparse: only jurisdictions with at least one policy version carry `hasPolicy`, so the report
    // finds every candidate for Section III with one Query, whatever records the week has.
    { name: 'byPolicy', partitionKey: 'hasPolicy', sortKey: 'id' },
  ],
};

/**
 * Every change a `PUT /jurisdictions/{id}` made, one item per revision (`r0000000001` …): kept
 * apart from the jurisdiction item so that no past makes it pass DynamoDB's 400 KB item limit.
 */
export const jurisdictionHistoryTable: TableDefinition = {
  logicalName: 'JurisdictionHistory',
  envVar: 'JURISDICTION_HISTORY_TABLE',
  partitionKey: 'id',
  sortKey: 'revision',
  indexes: [],
};

/** API clients: one item per client and one per token hash (tokens are never stored). */
export const clientsTable: TableDefinition = {
  logicalName: 'Clients',
  envVar: 'CLIENTS_TABLE',
  partitionKey: 'pk',
  indexes: [],
};

/** Disputes about published rows or records. */
export const disputesTable: TableDefinition = {
  logicalName: 'Disputes',
  envVar: 'DISPUTES_TABLE',
  partitionKey: 'id',
  indexes: [{ name: 'byStatus', partitionKey: 'status', sortKey: 'openedAt' }],
};

/**
 * Published editions: one item per revision (`rev` = r0000000001 …), written once with a
 * conditional put (the commit point of a publication), plus per-week control items (`send#r1`
 * fan-out progress, `dirty` marks). A sparse index lists every revision for the archive and feed.
 */
export const editionsTable: TableDefinition = {
  logicalName: 'Editions',
  envVar: 'EDITIONS_TABLE',
  partitionKey: 'week',
  sortKey: 'rev',
  indexes: [{ name: 'archive', partitionKey: 'archive', sortKey: 'weekRev' }],
};

/** The per-recipient send ledger: one item per (edition, address), written before and after each send. */
export const sendLedgerTable: TableDefinition = {
  logicalName: 'SendLedger',
  envVar: 'SEND_LEDGER_TABLE',
  partitionKey: 'edition',
  sortKey: 'address',
  indexes: [],
  // Each entry expires LEDGER_RETENTION_DAYS after it was written (lambdas/adapters/ledger-store.ts).
  timeToLiveAttribute: 'expiresAt',
};

/**
 * Email subscribers, keyed by mailbox (contract §5: one mailbox, one subscription).
 * `confirmedShard` (`c#0` … `c#9`) is set only while the subscriber is confirmed, so that sparse
 * index holds exactly the recipients of the next edition: the sender Queries it page by page, one
 * shard per worker if it wants parallel reads, and no single index partition takes every write.
 * `pendingKey` is set only while pending, so `byForgetAt` lists the mailboxes that never confirmed
 * by when they are forgotten: the daily sweep deletes them with one Query.
 */
export const subscribersTable: TableDefinition = {
  logicalName: 'Subscribers',
  envVar: 'SUBSCRIBERS_TABLE',
  partitionKey: 'mailbox',
  indexes: [
    { name: 'byConfirmedShard', partitionKey: 'confirmedShard', sortKey: 'mailbox' },
    { name: 'byForgetAt', partitionKey: 'pendingKey', sortKey: 'forgetAt' },
  ],
};

/**
 * Counters of what strangers may start (contract §5): each source's accepted subscription
 * requests in its window (`src#…`) and each hour's confirmation budget (`budget#…`). Short-lived:
 * every item carries its expiry for DynamoDB's TTL.
 */
export const limitsTable: TableDefinition = {
  logicalName: 'Limits',
  envVar: 'LIMITS_TABLE',
  partitionKey: 'key',
  indexes: [],
  timeToLiveAttribute: 'expiresAt',
};

export const intakeTables = [
  outcomesTable,
  historyTable,
  jurisdictionsTable,
  jurisdictionHistoryTable,
  clientsTable,
  disputesTable,
];

export const allTables: readonly TableDefinition[] = [
  ...intakeTables,
  editionsTable,
  sendLedgerTable,
  subscribersTable,
  limitsTable,
];
