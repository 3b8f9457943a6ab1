/**
 * Child process of the fan-out benchmark (see bench/fan-out.ts): runs the local stack's emulators
 * (dynalite in a process of its own, s3rver, the SES server, the SQS server), writes confirmed
 * subscribers, and for each run starts a sender process (fan-out-sender-main.ts), runs
 * the publisher's fan-out as `lambdas/edition/publish/publisher` wires it, waits until the ledger counts
 * every recipient, and stops the sender for its report.
 * Usage (by the benchmark): node --import tsx fan-out-main.ts '<plan as JSON>'
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Edition } from '#core/edition/model';
import type { JurisdictionItem } from '#core/intake/model';
import { S3RVER_CREDENTIALS, startS3, startSes } from '#local/emulators';
import { productQueues, SEND_QUEUE } from '#local/product';
import { queueArn } from '#local/sqs/queues';
import { type SqsServer, startSqsServer } from '#local/sqs/server';
import { applyLocalEnvironment, LOCAL_BUCKETS } from '#local/stack';
import { ensureTables } from '#local/tables';
import { batchWrite } from './batch-write';
import { childLog, runAsChild, startChild } from './child-process';
import { startDynaliteProcess } from './dynalite-main';
import type { SenderMode, SenderReport } from './fan-out-sender-main';
import { jurisdictionItem, seededRandom, weekOutcomes } from './synthetic-outcomes';
import { peakInWindow } from './windows';

export interface FanOutRun {
  readonly label: string;
  readonly subscribers: number;
  readonly mode: SenderMode;
  /** SEND_RATE_PER_SECOND, the configured maximum (SEND_CONCURRENCY 1: one process sends). */
  readonly ratePerSecond: number;
}

export interface FanOutPlan {
  /** In order; each run's subscriber count at least the previous one's (subscribers are only added). */
  readonly runs: readonly FanOutRun[];
  /** The edition whose email is sent: a synthetic week of this shape. */
  readonly edition: {
    readonly issued: number;
    readonly declinedSameWeek: number;
    readonly declinedEarlier: number;
  };
  readonly jurisdictions: number;
}

export interface RunFigures {
  readonly run: FanOutRun;
  /** Recipients the fan-out queued. */
  readonly queued: number;
  /** Epoch ms: fan-out start and end (every job queued), and when the ledger counted everyone. */
  readonly fanOutStart: number;
  readonly fanOutEnd: number;
  readonly completeAt: number;
  readonly ledger: { readonly sent: number; readonly skipped: number };
  /** Messages left in the send queue and its dead-letter queue after the sender stopped. */
  readonly leftInQueue: number;
  readonly leftInDlq: number;
  readonly sender: SenderReport;
  /** An end-to-end run as the SES server saw it: when it accepted each message. */
  readonly accepted?: SesAcceptance;
  /** Sends recorded unknown that the SES server had accepted, settled as a Send event would. */
  readonly reconciledUnknown: number;
}

export interface SesAcceptance {
  readonly count: number;
  /** Epoch ms of the first and last message accepted. */
  readonly firstAt: number;
  readonly lastAt: number;
  /** Most messages accepted in any 1-s window, and when it began (ms after the first). */
  readonly peakWindow: number;
  readonly peakWindowAt: number;
}

export interface FanOutResult {
  readonly runs: readonly RunFigures[];
  /**
   * The same dynalite's raw conditional UpdateItem rate on the send ledger (the claim's shape, a
   * new key each), measured after each run at 1,000/s: what the ledger allows at most.
   */
  readonly rawLedgerUpdates: readonly {
    readonly run: string;
    readonly perSecond: number;
    readonly inFlight: number;
  }[];
  readonly subscribersWritten: number;
  readonly seedSeconds: number;
  readonly email: { readonly subject: string; readonly htmlBytes: number; readonly textBytes: number };
  readonly editionHeadline: Edition['headline'];
}

const WEEK = '2024-01-06';
const STARTED_AT = '2023-06-01T12:00:00.000Z';
const POLL_MS = 250;
/** How often the SES server's store of sent messages is emptied during an end-to-end run. */
const SES_CLEAR_MS = 5_000;
/** The site the links in the mail point at (fictional; nothing is fetched from it). */
const SITE_URL = 'https://ddor.example.org';
const CREDENTIALS = {
  accessKeyId: S3RVER_CREDENTIALS.accessKeyId,
  secretAccessKey: S3RVER_CREDENTIALS.secretAccessKey,
};

export const subscriberAddress = (n: number) => `reader-${String(n).padStart(6, '0')}@example.org`;

/** A synthetic edition (fictional records), assembled in memory as the publisher would. */
async function syntheticEdition(plan: FanOutPlan): Promise<Edition> {
  const [{ assembleEdition }, { reportTimeZone }] = await Promise.all([
    import('#core/edition/assembly'),
    import('#config/env'),
  ]);
  const random = seededRandom(2024);
  const items = [
    ...weekOutcomes(
      { week: WEEK, ...plan.edition },
      { jurisdictions: plan.jurisdictions, random, idPrefix: 'SYN-FAN' },
    ),
  ];
  const jurisdictions = new Map<string, JurisdictionItem>();
  for (let n = 0; n < plan.jurisdictions; n++) {
    const item = jurisdictionItem(n, 20) as unknown as JurisdictionItem & { hasPolicy?: string };
    const { hasPolicy: _key, ...stored } = item;
    jurisdictions.set(item.id, stored);
  }
  const now = new Date();
  return assembleEdition(
    {
      week: WEEK,
      issued: items.filter((item) => item.record.issuedOn >= WEEK),
      declined: items.filter((item) => item.record.status === 'declined'),
      jurisdictions,
      trend: [],
    },
    {
      revision: 1,
      publishedAt: now.toISOString(),
      timeZone: reportTimeZone(),
      synthetic: true,
      nextEditionOn: '2024-01-20',
      openDisputes: { count: 0 },
      corrections: [],
      earlierCorrections: [],
      correctionsSinceLastEdition: 0,
    },
  );
}

/** The send queue and its dead-letter queue, with the settings local/product.ts gives them. */
async function createSendQueue(server: SqsServer, sqs: SQSClient): Promise<{ url: string; dlqUrl: string }> {
  const queue = productQueues().find((candidate) => candidate.name === SEND_QUEUE);
  if (queue?.dlqName === undefined) throw new Error(`local/product.ts has no ${SEND_QUEUE} queue with a DLQ`);
  const url = server.queueUrl(queue.name);
  const dlqUrl = server.queueUrl(queue.dlqName);
  await sqs.send(new CreateQueueCommand({ QueueName: queue.dlqName }));
  await sqs.send(new CreateQueueCommand({ QueueName: queue.name }));
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: url,
      Attributes: {
        VisibilityTimeout: String(queue.visibilityTimeout ?? 30),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: queueArn(queue.dlqName),
          maxReceiveCount: queue.maxReceiveCount,
        }),
      },
    }),
  );
  return { url, dlqUrl };
}

async function queueLength(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** Confirmed subscribers as DynamoSubscriberStore stores them, with their `byConfirmedShard` key. */
function* subscriberItems(from: number, to: number): Generator<Record<string, unknown>> {
  // Imported lazily by the caller; the shard function is pure.
  for (let n = from; n < to; n++) {
    const address = subscriberAddress(n);
    yield {
      mailbox: address,
      address,
      status: 'confirmed',
      id: `id-${n.toString(36).padStart(8, '0')}`,
      lastRequestAt: STARTED_AT,
      version: 2,
      createdAt: STARTED_AT,
      updatedAt: STARTED_AT,
      lastConfirmationSentAt: STARTED_AT,
      confirmedAt: STARTED_AT,
    };
  }
}

/** When the SES server accepted each message (epoch ms), in the order it did. */
const accepted: number[] = [];
/** The run's accepted messages by recipient: what SES's Send events would carry. */
const acceptedBy = new Map<string, string>();

/**
 * Times each message where SES counts it, as the SES server saves it to its store: the rate SES
 * limits is the rate it accepts at, which the sender's completions only approximate (a response's
 * latency varies with the server's load). The server calls the store module through its exports,
 * so wrapping the export is seen (persistMailbox in local/emulators.ts relies on the same).
 */
function timeSesAcceptance(): void {
  const store = createRequire(import.meta.url)('aws-ses-v2-local/dist/store.js') as {
    saveEmail: (email: { messageId?: string; destination?: { to?: string[] } }) => void;
  };
  const save = store.saveEmail;
  store.saveEmail = (email) => {
    accepted.push(performance.timeOrigin + performance.now());
    for (const to of email.destination?.to ?? []) acceptedBy.set(to, email.messageId ?? '');
    save(email);
  };
}

function acceptance(): SesAcceptance | undefined {
  const first = accepted[0];
  const last = accepted.at(-1);
  if (first === undefined || last === undefined) return undefined;
  const peak = peakInWindow(accepted, 1_000);
  return {
    count: accepted.length,
    firstAt: first,
    lastAt: last,
    peakWindow: peak.count,
    peakWindowAt: peak.from - first,
  };
}

/**
 * Deployed, SES's Send event for every message it accepted reaches the mail-events function,
 * which settles a send the sender recorded `unknown` (its answer never came: a timeout, a reset).
 * The benchmark has no event pipeline, so it does the same for the run's unknown recipients that
 * the SES server did accept, through the product's own `reconcileSend`. A send SES never received
 * stays unknown (retried after an hour, as deployed) and the run fails by its deadline, saying so.
 */
async function reconcileUnknown(table: string, edition: string, revision: number): Promise<number> {
  const [{ queryAll }, { DynamoLedgerStore }, { reconcileSend }, { EDITION_TAG, editionTag }] =
    await Promise.all([
      import('#adapters/dynamodb'),
      import('#adapters/ledger-store'),
      import('#core/mail/reconcile'),
      import('#core/mail/send-ledger'),
    ]);
  const ledger = new DynamoLedgerStore();
  const unknown = (
    await queryAll<{ address: string }>({
      TableName: table,
      KeyConditionExpression: 'edition = :e',
      FilterExpression: '#s = :unknown',
      ProjectionExpression: 'address',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':e': edition, ':unknown': 'unknown' },
      ConsistentRead: true,
    })
  ).map((item) => item.address);
  let settled = 0;
  for (const address of unknown) {
    const messageId = acceptedBy.get(address);
    if (messageId === undefined) continue;
    const [week] = edition.split('#');
    settled += await reconcileSend(
      ledger,
      { messageId, recipients: [address], tags: { [EDITION_TAG]: [editionTag(week ?? '', revision)] } },
      new Date(),
    );
  }
  if (unknown.length > 0)
    childLog(
      `    ${unknown.length} unknown sends; ${settled} settled from the SES server's acceptance, as a Send event would`,
    );
  return settled;
}

/** Where the emulators listen; the functions' environment is set from it (localEnvironment). */
interface Emulators {
  readonly dynamodb: string;
  readonly s3: string;
  readonly ses: string;
  readonly sqs: SqsServer;
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * The local stack's emulators, started as local/stack.ts starts them (s3rver with the stack's
 * buckets, the SES server, the SQS server in memory, the tables from table-definitions.ts, the
 * functions' environment from localEnvironment) but without the gateway, and with dynalite in a
 * process of its own, on disk: with 100,000 subscribers and a ledger item per send, an in-memory
 * dynalite sharing a heap with the SES server's store (every message sent, kept) slowed to a
 * crawl in garbage collection.
 */
async function main(plan: FanOutPlan): Promise<FanOutResult> {
  // Before any SDK client exists (the stack's environment sets it too, later).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dataDir = await mkdtemp(join(tmpdir(), 'ddor-bench-fan-out-'));
  const stops: (() => Promise<void>)[] = [];
  try {
    childLog('  starting the emulators (dynalite in its own process, on disk in a temporary directory)');
    const dynamo = await startDynaliteProcess(childLog, join(dataDir, 'dynamodb'));
    stops.push(dynamo.stop);
    const s3 = await startS3({ directory: join(dataDir, 's3'), buckets: Object.values(LOCAL_BUCKETS) });
    stops.push(s3.close);
    const ses = await startSes();
    stops.push(ses.close);
    timeSesAcceptance();
    const sqs = await startSqsServer();
    stops.push(sqs.close);
    const port = (url: string) => Number(new URL(url).port);
    const client = new DynamoDBClient({
      endpoint: dynamo.url,
      region: 'us-east-1',
      credentials: CREDENTIALS,
    });
    const tables = await ensureTables(client).finally(() => client.destroy());
    const environment = applyLocalEnvironment({
      ports: { dynamodb: port(dynamo.url), s3: s3.port, ses: ses.port, sqs: sqs.port },
      tables,
      buckets: LOCAL_BUCKETS,
      // The sender's variables, set by hand: this benchmark runs the sender's code in this process.
      environment: {
        SITE_URL,
        MAIL_FROM: 'reports@example.org',
        SUBSCRIPTION_SECRET_FILE: join(dataDir, 'subscription-secret'),
        SYNTHETIC_DATA: 'true',
        SEND_CONCURRENCY: '1',
        SEND_RATE_PER_SECOND: process.env.SEND_RATE_PER_SECOND ?? '50',
      },
    });
    return await measure(plan, { dynamodb: dynamo.url, s3: s3.url, ses: ses.url, sqs, environment });
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** As many in flight as the sender keeps at most (MAX_IN_FLIGHT), from one process as the sender. */
const RAW_IN_FLIGHT = 16;
const RAW_SECONDS = 8;

/**
 * Conditional UpdateItems shaped like the ledger's claim (a new key each, `attribute_not_exists`),
 * 16 in flight for 8 s, against the same dynalite the run used: updates a second.
 */
async function rawConditionalUpdates(
  documents: DynamoDBDocumentClient,
  table: string,
  edition: string,
): Promise<number> {
  let done = 0;
  const end = performance.now() + RAW_SECONDS * 1000;
  const start = performance.now();
  const worker = async (id: number) => {
    for (let n = 0; performance.now() < end; n++) {
      await documents.send(
        new UpdateCommand({
          TableName: table,
          Key: { edition, address: `raw-${id}-${n}@example.org` },
          UpdateExpression: 'SET #s = :sending, leaseUntil = :until ADD attempts :one',
          ConditionExpression: 'attribute_not_exists(address) OR leaseUntil < :now',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':sending': 'sending', ':until': 'z', ':now': 'a', ':one': 1 },
        }),
      );
      done++;
    }
  };
  await Promise.all(Array.from({ length: RAW_IN_FLIGHT }, (_, id) => worker(id)));
  return done / ((performance.now() - start) / 1000);
}

async function measure(plan: FanOutPlan, stack: Emulators): Promise<FanOutResult> {
  const sqs = new SQSClient({ endpoint: stack.sqs.url, region: 'us-east-1', credentials: CREDENTIALS });
  const raw = new DynamoDBClient({ endpoint: stack.dynamodb, region: 'us-east-1', credentials: CREDENTIALS });
  const documents = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  try {
    const queues = await createSendQueue(stack.sqs, sqs);
    process.env.SEND_QUEUE_URL = queues.url;
    // The adapters, imported once the stack has set the environment.
    const [
      subscriberStore,
      { DynamoLedgerStore },
      { fanOut },
      publisher,
      editionData,
      queue,
      sendJob,
      edition,
    ] = await Promise.all([
      import('#adapters/subscriber-store'),
      import('#adapters/ledger-store'),
      import('#core/mail/fan-out'),
      import('#lambdas/edition/publish/publisher'),
      import('#adapters/edition-data'),
      import('#adapters/sqs'),
      import('#core/mail/send-job'),
      syntheticEdition(plan),
    ]);
    const config = publisher.publisherConfigFromEnv();
    const email = publisher.renderStoredEmail(edition, config);
    const subscribersTable = stack.environment.SUBSCRIBERS_TABLE;
    if (subscribersTable === undefined) throw new Error('the local stack has no SUBSCRIBERS_TABLE');

    let written = 0;
    let seedMs = 0;
    const runs: RunFigures[] = [];
    const rawLedgerUpdates: { run: string; perSecond: number; inFlight: number }[] = [];
    const ledgerTable = stack.environment.SEND_LEDGER_TABLE;
    if (ledgerTable === undefined) throw new Error('the local stack has no SEND_LEDGER_TABLE');
    for (const [index, run] of plan.runs.entries()) {
      if (run.subscribers > written) {
        childLog(
          `  writing confirmed subscribers ${written.toLocaleString('en-US')}–${run.subscribers.toLocaleString('en-US')}`,
        );
        const start = performance.now();
        const items = (function* () {
          for (const item of subscriberItems(written, run.subscribers)) {
            const mailbox = String(item.mailbox);
            yield {
              ...item,
              confirmedShard: subscriberStore.confirmedShardKey(subscriberStore.shardOf(mailbox)),
            };
          }
        })();
        await batchWrite(documents, subscribersTable, items);
        seedMs += performance.now() - start;
        written = run.subscribers;
      }
      const revision = index + 1;
      const ledger = new DynamoLedgerStore();
      childLog(`  ${run.label}: starting the sender (${run.mode}, ${run.ratePerSecond}/s configured)`);
      let ready: () => void = () => undefined;
      const senderReady = new Promise<void>((resolve) => {
        ready = resolve;
      });
      const sender = startChild<SenderReport>('bench/support/fan-out-sender-main.ts', {
        args: [run.mode],
        nodeFlags: ['--expose-gc'],
        env: {
          ...stack.environment,
          SEND_QUEUE_URL: queues.url,
          SEND_RATE_PER_SECOND: String(run.ratePerSecond),
          SEND_CONCURRENCY: '1',
        },
        log: childLog,
        onEvent: (event) => {
          if (event === 'ready') ready();
        },
      });
      await Promise.race([senderReady, sender.result]);

      accepted.length = 0;
      acceptedBy.clear();
      const fanOutStart = Date.now();
      const queued = await fanOut(
        {
          ledger,
          storeEmail: (week, rev, stored) =>
            editionData.putPrivateJson(editionData.emailKey(week, rev), stored),
          renderEmail: (e) => publisher.renderStoredEmail(e, config),
          confirmedPages: () =>
            subscriberStore.confirmedSubscribers(new subscriberStore.DynamoSubscriberStore()),
          enqueue: (jobs) => queue.enqueue(queues.url, sendJob.sendJobSchema, jobs),
          now: () => new Date(),
        },
        edition,
        {
          week: WEEK,
          weekEnd: edition.edition.weekEnd,
          revision,
          contentHash: edition.edition.contentHash,
          publishedAt: edition.edition.publishedAt,
          headline: edition.headline,
          synthetic: true,
          correctionsAdded: 0,
          email: { decision: 'send', reason: 'benchmark' },
        },
      );
      const fanOutEnd = Date.now();
      if (queued !== run.subscribers)
        throw new Error(`the fan-out queued ${queued}, expected ${run.subscribers}`);
      childLog(
        `  ${run.label}: ${queued.toLocaleString('en-US')} recipients queued in ${((fanOutEnd - fanOutStart) / 1000).toFixed(1)} s`,
      );

      // A guard against a stuck sender, not a budget: as if it managed no more than 50 a second.
      const deadline = fanOutStart + 60_000 + (queued / Math.min(run.ratePerSecond, 50)) * 1_000;
      const key = `${WEEK}#r${revision}`;
      let progress = { sent: 0, skipped: 0 };
      let lastLog = Date.now();
      let lastClear = Date.now();
      let reconciled = 0;
      for (;;) {
        // The queue is watched (cheap, our own server); the ledger is counted only once the queue
        // is empty: counting is a pass over every recipient's item in dynalite, which during the
        // run (every 5 s over 100,000 items) took most of the store from the sender measured.
        const batchesLeft = await queueLength(sqs, queues.url);
        if (batchesLeft === 0) {
          const current = await ledger.progress(key);
          progress = { sent: current?.sent ?? 0, skipped: current?.skipped ?? 0 };
          if (progress.sent + progress.skipped >= queued) break;
        }
        if (Date.now() > deadline) {
          sender.send('stop');
          await sender.result.catch(() => undefined);
          const current = await ledger.progress(key);
          throw new Error(
            `${run.label}: only ${current?.sent ?? 0} of ${queued} sent before the deadline (${batchesLeft} batches still queued)`,
          );
        }
        if (Date.now() - lastLog >= 15_000) {
          lastLog = Date.now();
          if (run.mode === 'ses' && batchesLeft > 0)
            reconciled += await reconcileUnknown(ledgerTable, key, revision);
          childLog(`    ${batchesLeft.toLocaleString('en-US')} batches still queued`);
        }
        // The SES server keeps every message in memory: 100,000 of 46 KiB would not fit. Nothing
        // here reads them, so they are dropped as the run goes.
        if (run.mode === 'ses' && Date.now() - lastClear >= SES_CLEAR_MS) {
          lastClear = Date.now();
          await fetch(new URL('/clear-store', stack.ses), { method: 'POST' });
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      const completeAt = Date.now();
      sender.send('stop');
      const report = await sender.result;
      const seenBySes = run.mode === 'ses' ? acceptance() : undefined;
      // The figures SES counts come from wrapping its store: never let them vanish unnoticed.
      if (run.mode === 'ses' && (seenBySes === undefined || seenBySes.count < 2))
        throw new Error(
          `${run.label}: the SES server's store recorded no acceptance times; is saveEmail still wrapped?`,
        );
      const figures: RunFigures = {
        run,
        queued,
        fanOutStart,
        fanOutEnd,
        completeAt,
        ledger: progress,
        leftInQueue: await queueLength(sqs, queues.url),
        leftInDlq: await queueLength(sqs, queues.dlqUrl),
        sender: report,
        ...(seenBySes === undefined ? {} : { accepted: seenBySes }),
        reconciledUnknown: reconciled,
      };
      childLog(
        `  ${run.label}: ${report.sends.toLocaleString('en-US')} sends in ${((report.lastAt - report.firstAt) / 1000).toFixed(1)} s, ` +
          `peak RSS ${(report.peak.rss / 1024 ** 2).toFixed(0)} MiB, heapUsed ${(report.peak.heapUsed / 1024 ** 2).toFixed(0)} MiB`,
      );
      runs.push(figures);
      if (run.mode === 'fake' && run.ratePerSecond >= 1_000) {
        const perSecond = await rawConditionalUpdates(documents, ledgerTable, `raw#r${revision}`);
        childLog(`  ${run.label}: raw conditional UpdateItem on the ledger, ${perSecond.toFixed(0)}/s`);
        rawLedgerUpdates.push({ run: run.label, perSecond, inFlight: RAW_IN_FLIGHT });
      }
      // The SES server keeps every message in memory: let the next runs start without them.
      if (run.mode === 'ses') await fetch(new URL('/clear-store', stack.ses), { method: 'POST' });
    }
    return {
      runs,
      rawLedgerUpdates,
      subscribersWritten: written,
      seedSeconds: seedMs / 1000,
      email: {
        subject: email.subject,
        htmlBytes: Buffer.byteLength(email.html, 'utf8'),
        textBytes: Buffer.byteLength(email.text, 'utf8'),
      },
      editionHeadline: edition.headline,
    };
  } finally {
    sqs.destroy();
    raw.destroy();
  }
}

const planArgument = process.argv[2];
if (planArgument === undefined) throw new Error('usage: fan-out-main.ts <plan as JSON>');
await runAsChild(() => main(JSON.parse(planArgument) as FanOutPlan));
