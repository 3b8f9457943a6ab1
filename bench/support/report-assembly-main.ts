/**
 * Child process of the report-assembly benchmark (see bench/report-assembly.ts): starts dynalite
 * in memory (in a process of its own, dynalite-main.ts), writes five years of synthetic weeks and
 * the measured weeks, then times the week
 * reader and the assembly against a full-table Scan, and renders each week's page and email.
 * Usage (by the benchmark): node --import tsx report-assembly-main.ts '<plan as JSON>'
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { jurisdictionsTable, outcomesTable } from '#adapters/table-definitions';
import type { ReadStats, WeekReadStats } from '#adapters/week-reader';
import type { Edition } from '#core/edition/model';
import type { OutcomeItem } from '#core/intake/model';
import { UNSUBSCRIBE_PLACEHOLDER } from '#core/mail/send-ledger';
import { EMAIL_ROW_LIMIT } from '#core/render';
import { addDays, weeksEndingWith } from '#core/reporting-week';
import { ensureTables } from '#local/tables';
import { batchWrite } from './batch-write';
import { childLog, runAsChild, startChild } from './child-process';
import { startDynaliteProcess } from './dynalite-main';
import { publicationTools } from './publication-tools';
import {
  isPolicyJurisdiction,
  jurisdictionId,
  jurisdictionItem,
  seededRandom,
  storedAttributes,
  type WeekPlan,
  weekOutcomes,
} from './synthetic-outcomes';

export interface ReportAssemblyPlan {
  /** The first background week (a Saturday); the measured weeks follow the last one. */
  readonly firstWeek: string;
  readonly backgroundWeeks: number;
  /** Records issued in each background week, and of them declined in it. */
  readonly backgroundIssued: number;
  readonly backgroundDeclined: number;
  readonly jurisdictions: number;
  /** Every n-th jurisdiction has a policy. */
  readonly policyEvery: number;
  /** The measured weeks, in order after the background. */
  readonly targets: readonly {
    readonly label: string;
    readonly issued: number;
    readonly declinedSameWeek: number;
    readonly declinedEarlier: number;
    /** Timed read + assembly vs Scan pairs. */
    readonly repetitions: number;
  }[];
  readonly renderRepetitions: number;
  readonly siteUrl: string;
}

/** What the week's own reads must return, from the items as written. */
export interface ExpectedWeek {
  readonly issued: number;
  readonly declined: number;
  readonly policies: number;
  /** Jurisdictions the week's records name that have no policy: fetched by BatchGetItem. */
  readonly namedWithoutPolicy: number;
  /** Issued + declined index entries of the 11 earlier weeks (what the trend's COUNT Queries evaluate). */
  readonly trend: number;
  /** Items a Scan filtered to the week returns (a record issued and declined in the week is one item). */
  readonly scanReturns: number;
}

export interface ScanFigures {
  readonly requests: number;
  readonly scannedCount: number;
  readonly count: number;
  readonly capacityUnits: number;
}

export interface WeekFigures {
  readonly label: string;
  readonly week: string;
  readonly plan: WeekPlan;
  readonly expected: ExpectedWeek;
  readonly stats: WeekReadStats;
  readonly scan: ScanFigures;
  readonly readMs: number[];
  readonly assembleMs: number[];
  readonly scanMs: number[];
  readonly headline: Edition['headline'];
  readonly sectionIIGroups: number;
  readonly render: {
    readonly pageMs: number[];
    readonly emailMs: number[];
    readonly pageBytes: number;
    /** Section II's own pages (none for a usual week), and the largest page of the edition. */
    readonly sectionIIParts: number;
    readonly largestPageBytes: number;
    /**
     * The process's resident memory at its peak while it read, assembled and rendered everything a
     * publication of the week writes (both pages, the parts, CSV, JSON, the email), and just before.
     */
    readonly publicationPeakRss: number;
    readonly publicationBaseRss: number;
    readonly emailHtmlBytes: number;
    /** The HTML as one reader receives it: the placeholder replaced by their unsubscribe link. */
    readonly sentHtmlBytes: number;
    readonly emailTextBytes: number;
    readonly emailListsDeclines: boolean;
  };
}

export interface ReportAssemblyResult {
  readonly outcomeItems: number;
  readonly jurisdictionItems: number;
  /** JSON size of the stored outcome items: about the table's size. */
  readonly outcomeJsonBytes: number;
  readonly writeSeconds: number;
  readonly weeks: readonly WeekFigures[];
}

const ms = (start: number) => performance.now() - start;

function tally(map: Map<string, { issued: number; declined: number }>, week: string) {
  let found = map.get(week);
  if (!found) {
    found = { issued: 0, declined: 0 };
    map.set(week, found);
  }
  return found;
}

async function main(plan: ReportAssemblyPlan): Promise<ReportAssemblyResult> {
  const dynamo = await startDynaliteProcess(childLog);
  try {
    return await measureWith(plan, dynamo.url);
  } finally {
    await dynamo.stop();
  }
}

async function measureWith(plan: ReportAssemblyPlan, endpoint: string): Promise<ReportAssemblyResult> {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    SITE_URL: plan.siteUrl,
    // Named only: the renderer writes nothing (the publisher's environment requires them).
    SITE_BUCKET: 'bench-site',
    DATA_BUCKET: 'bench-data',
    SYNTHETIC_DATA: 'true',
  });
  const raw = new DynamoDBClient({});
  try {
    Object.assign(process.env, await ensureTables(raw, [outcomesTable, jurisdictionsTable]));
    const names = {
      outcomes: process.env.OUTCOMES_TABLE ?? '',
      jurisdictions: process.env.JURISDICTIONS_TABLE ?? '',
    };
    // The same marshalling as the adapters' DocumentClient.
    const documents = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
    return await measure(plan, documents, names);
  } finally {
    raw.destroy();
  }
}

async function measure(
  plan: ReportAssemblyPlan,
  documents: DynamoDBDocumentClient,
  tables: { outcomes: string; jurisdictions: string },
): Promise<ReportAssemblyResult> {
  const random = seededRandom(20_170_128);
  const options = { jurisdictions: plan.jurisdictions, random };
  const counts = new Map<string, { issued: number; declined: number }>();
  const targets = plan.targets.map((target, index) => ({
    ...target,
    week: addDays(plan.firstWeek, 7 * (plan.backgroundWeeks + index)),
    named: new Set<string>(),
    scanReturns: 0,
  }));
  let outcomeJsonBytes = 0;

  const writeStart = performance.now();
  const jurisdictionItems = await batchWrite(
    documents,
    tables.jurisdictions,
    Array.from({ length: plan.jurisdictions }, (_, n) => jurisdictionItem(n, plan.policyEvery)),
  );
  const plans: { plan: WeekPlan; prefix: string }[] = [];
  for (let index = 0; index < plan.backgroundWeeks; index++) {
    const week = addDays(plan.firstWeek, 7 * index);
    plans.push({
      plan: {
        week,
        issued: plan.backgroundIssued,
        declinedSameWeek: plan.backgroundDeclined,
        declinedEarlier: 0,
      },
      prefix: `SYN-B${index}`,
    });
  }
  for (const [index, target] of targets.entries()) {
    plans.push({
      plan: {
        week: target.week,
        issued: target.issued,
        declinedSameWeek: target.declinedSameWeek,
        declinedEarlier: target.declinedEarlier,
      },
      prefix: `SYN-T${index}`,
    });
  }
  function* stored(): Generator<Record<string, unknown>> {
    for (const { plan: weekPlan, prefix } of plans) {
      for (const item of weekOutcomes(weekPlan, { ...options, idPrefix: prefix })) {
        const attributes = storedAttributes(item);
        const { issuedWeek, declinedWeek } = attributes as { issuedWeek?: string; declinedWeek?: string };
        if (issuedWeek !== undefined) tally(counts, issuedWeek).issued++;
        if (declinedWeek !== undefined) tally(counts, declinedWeek).declined++;
        for (const target of targets) {
          const issuedIn = issuedWeek === target.week;
          const declinedIn = declinedWeek === target.week;
          if (issuedIn || declinedIn) {
            target.scanReturns++;
            target.named.add(item.record.jurisdiction.id);
            if (item.record.transferredTo) target.named.add(item.record.transferredTo.id);
          }
        }
        outcomeJsonBytes += JSON.stringify(attributes).length;
        yield attributes;
      }
    }
  }
  const total = plans.reduce((sum, { plan: p }) => sum + p.issued + p.declinedEarlier, 0);
  let reported = 0;
  const outcomeItems = await batchWrite(documents, tables.outcomes, stored(), (written) => {
    if (written - reported >= 20_000 || written === total) {
      reported = written;
      childLog(
        `    ${written.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} outcome items written`,
      );
    }
  });
  const writeSeconds = ms(writeStart) / 1000;
  childLog(
    `  wrote ${outcomeItems.toLocaleString('en-US')} outcome and ${jurisdictionItems} jurisdiction items ` +
      `in ${writeSeconds.toFixed(1)} s`,
  );

  // Imported only now: the adapters' clients read the environment when first used.
  const { reader, config, renderer, assemble, publisher, links } = await publicationTools();
  const policies = Array.from({ length: plan.jurisdictions }, (_, n) => n).filter((n) =>
    isPolicyJurisdiction(n, plan.policyEvery),
  );
  const policyIds = new Set(policies.map(jurisdictionId));

  const weeks: WeekFigures[] = [];
  for (const target of targets) {
    const own = counts.get(target.week) ?? { issued: 0, declined: 0 };
    const earlier = weeksEndingWith(target.week, 12).slice(0, 11);
    const expected: ExpectedWeek = {
      issued: own.issued,
      declined: own.declined,
      policies: policyIds.size,
      namedWithoutPolicy: [...target.named].filter((id) => !policyIds.has(id)).length,
      trend: earlier.reduce((sum, week) => {
        const c = counts.get(week);
        return sum + (c ? c.issued + c.declined : 0);
      }, 0),
      scanReturns: target.scanReturns,
    };
    childLog(`  ${target.label} (week of ${target.week}): warm-up read`);
    const warm = await reader.read(target.week);
    const stats = warm.stats;
    checkReads(target.label, stats, expected);
    let edition = assemble(warm.data);

    const readMs: number[] = [];
    const assembleMs: number[] = [];
    const scanMs: number[] = [];
    let scan: ScanFigures | undefined;
    for (let repetition = 0; repetition < target.repetitions; repetition++) {
      const subject = async () => {
        const start = performance.now();
        const { data } = await reader.read(target.week);
        const read = ms(start);
        const assembled = performance.now();
        edition = assemble(data);
        readMs.push(read);
        assembleMs.push(ms(assembled));
      };
      const baseline = async () => {
        const start = performance.now();
        scan = await scanWeek(documents, tables.outcomes, target.week);
        scanMs.push(ms(start));
      };
      // Alternating which goes first, so drift on the shared machine hits both alike.
      if (repetition % 2 === 0) {
        await subject();
        await baseline();
      } else {
        await baseline();
        await subject();
      }
      childLog(
        `  ${target.label}: repetition ${repetition + 1}/${target.repetitions}: read ${readMs.at(-1)?.toFixed(0)} ms + ` +
          `assemble ${assembleMs.at(-1)?.toFixed(0)} ms; Scan ${scanMs.at(-1)?.toFixed(0)} ms`,
      );
    }
    if (scan === undefined) throw new Error('no Scan was measured');
    if (scan.count !== expected.scanReturns) {
      throw new Error(
        `${target.label}: the Scan returned ${scan.count} items, expected ${expected.scanReturns}`,
      );
    }

    const pageMs: number[] = [];
    const emailMs: number[] = [];
    // To look at what a page is made of: DDOR_BENCH_DUMP_DIR=/tmp/pages npm run bench -- --only report-assembly
    const dumpDir = process.env.DDOR_BENCH_DUMP_DIR;
    let page = '';
    let email = { subject: '', html: '', text: '' };
    for (let repetition = 0; repetition <= plan.renderRepetitions; repetition++) {
      const pageStart = performance.now();
      page = renderer.page(edition, { location: 'latest' });
      const pageTime = ms(pageStart);
      const emailStart = performance.now();
      email = publisher.renderStoredEmail(edition, config);
      const emailTime = ms(emailStart);
      // The first round warms the templates up: not counted.
      if (repetition === 0 && dumpDir !== undefined) {
        const { mkdirSync, writeFileSync } = await import('node:fs');
        mkdirSync(dumpDir, { recursive: true });
        writeFileSync(`${dumpDir}/${target.week}.html`, page);
        writeFileSync(`${dumpDir}/${target.week}-email.html`, email.html);
      }
      if (repetition > 0) {
        pageMs.push(pageTime);
        emailMs.push(emailTime);
      }
    }
    const parts = renderer.sectionIIPages(edition, { location: 'latest' });
    // In a process of its own, as a publisher environment runs it (this one holds the table's writes).
    const publication = await startChild<{ peakRss: number; baseRss: number }>(MEMORY_CHILD, {
      args: [target.week],
      env: definedEnvironment(),
      nodeFlags: ['--expose-gc'],
      log: childLog,
    }).result;
    const link = links.unsubscribeUrl(plan.siteUrl, randomBytes(32), {
      mailbox: 'reader-000001@example.org',
      id: randomBytes(16).toString('base64url'),
    });
    weeks.push({
      label: target.label,
      week: target.week,
      plan: {
        week: target.week,
        issued: target.issued,
        declinedSameWeek: target.declinedSameWeek,
        declinedEarlier: target.declinedEarlier,
      },
      expected,
      stats,
      scan,
      readMs,
      assembleMs,
      scanMs,
      headline: edition.headline,
      sectionIIGroups: edition.sectionII.length,
      render: {
        pageMs,
        emailMs,
        pageBytes: Buffer.byteLength(page, 'utf8'),
        sectionIIParts: parts.length,
        publicationPeakRss: publication.peakRss,
        publicationBaseRss: publication.baseRss,
        largestPageBytes: Math.max(...[page, ...parts].map((html) => Buffer.byteLength(html, 'utf8'))),
        emailHtmlBytes: Buffer.byteLength(email.html, 'utf8'),
        sentHtmlBytes: Buffer.byteLength(email.html.split(UNSUBSCRIBE_PLACEHOLDER).join(link), 'utf8'),
        emailTextBytes: Buffer.byteLength(email.text, 'utf8'),
        emailListsDeclines:
          edition.sectionII.reduce((sum, group) => sum + group.declines.length, 0) <= EMAIL_ROW_LIMIT,
      },
    });
  }
  return { outcomeItems, jurisdictionItems, outcomeJsonBytes, writeSeconds, weeks };
}

const MEMORY_CHILD = 'bench/support/publication-memory-main.ts';

/** This process's environment as the child needs it: the endpoint and tables set above included. */
function definedEnvironment(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** The week reader must read exactly the week's own items: anything else is a bug, not a figure. */
function checkReads(label: string, stats: WeekReadStats, expected: ExpectedWeek): void {
  const problems: string[] = [];
  const check = (what: string, part: ReadStats, count: number) => {
    if (part.count !== count) problems.push(`${what}: read ${part.count} items, the week has ${count}`);
    if (part.scannedCount !== part.count)
      problems.push(`${what}: evaluated ${part.scannedCount} items to return ${part.count}`);
  };
  check('issued (byIssuedWeek)', stats.issued, expected.issued);
  check('declined (byDeclinedWeek)', stats.declined, expected.declined);
  check('policies (byPolicy)', stats.policies, expected.policies);
  check('named jurisdictions (BatchGetItem)', stats.jurisdictions, expected.namedWithoutPolicy);
  if (stats.trend.scannedCount !== expected.trend) {
    problems.push(
      `trend: COUNT Queries evaluated ${stats.trend.scannedCount}, the 11 weeks hold ${expected.trend}`,
    );
  }
  if (problems.length > 0) throw new Error(`${label}: ${problems.join('; ')}`);
}

/** A full-table Scan of Outcomes filtered to the week's records, every page: the baseline. */
async function scanWeek(
  documents: DynamoDBDocumentClient,
  table: string,
  week: string,
): Promise<ScanFigures> {
  const figures = { requests: 0, scannedCount: 0, count: 0, capacityUnits: 0 };
  const items: OutcomeItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'issuedWeek = :week OR declinedWeek = :week',
        ExpressionAttributeValues: { ':week': week },
        ExclusiveStartKey: start,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    figures.requests++;
    figures.scannedCount += page.ScannedCount ?? 0;
    figures.count += page.Count ?? 0;
    figures.capacityUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
    for (const item of page.Items ?? []) items.push(item as OutcomeItem);
    start = page.LastEvaluatedKey;
  } while (start);
  return figures;
}

const planArgument = process.argv[2];
if (planArgument === undefined) throw new Error('usage: report-assembly-main.ts <plan as JSON>');
await runAsChild(() => main(JSON.parse(planArgument) as ReportAssemblyPlan));
