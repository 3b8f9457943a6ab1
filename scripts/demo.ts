/**
 * npm run demo [-- --seed TEXT] [--weeks N] [--concurrency N] [--no-publish]
 *
 * Loads the synthetic demo data set (scripts/demo-data.ts) into the running local stack through
 * its HTTP API, as an agency's system would, subscribes a few made-up addresses and confirms them
 * by following the links in the local mailbox, then publishes the latest complete week and prints
 * the page and the mailbox. Finds the stack through $DATA_DIR/stack.json (start it with
 * `npm start`). Deterministic: the same seed in the same week loads the same records, so running
 * it again changes nothing ("unchanged").
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { reportTimeZone } from '#config/env';
import { latestCompleteWeek, weekEnd } from '#core/reporting-week';
import { dataDirFromEnv, readStackFile, type StackFile } from '#local/stack-file';
import { DEFAULT_SEED, type DemoOutcome, demoDataSet, policyWrites, weekFigures } from './demo-data';
import { formatDuration, ProgressBar } from './progress';
import { fail, failWith, usage } from './stack-connection';

/**
 * Weeks loaded by default. Measured on the 2-core development machine (npm start on a fresh
 * clone, LevelDB on disk, POST /outcomes with 100 records a call and 4 calls in flight): 35,125
 * records in 1m17s, 454 new records/s (230/s before the re-issue marks were gathered into batch
 * writes; the stack's one event loop and dynalite share the 2 cores). The default is what the
 * edition needs, its 12-week trend: the whole demo takes about a minute and a half. `--weeks 52`
 * loads the year (~155,000 records, about 6 minutes). A re-run finds every record unchanged.
 */
const DEFAULT_WEEKS = 12;
const MAX_WEEKS = 104;
const BATCH_SIZE = 100;
const DEFAULT_CONCURRENCY = 4;

/** Made-up subscribers at a reserved domain (RFC 2606): mail to them goes nowhere but the local store. */
const DEMO_SUBSCRIBERS = [
  'synthetic-reader-1@example.org',
  'synthetic-reader-2@example.org',
  'synthetic-newsroom@example.org',
];

const USAGE = `usage: npm run demo [-- --seed TEXT] [--weeks N] [--concurrency N] [--no-publish]
  --seed TEXT       the data set's seed (default ${DEFAULT_SEED}); same seed, same records
  --weeks N         weeks to load, ending with the latest complete week (default ${DEFAULT_WEEKS}; 52 is a year)
  --concurrency N   batches of ${BATCH_SIZE} in flight at once (default ${DEFAULT_CONCURRENCY})
  --no-publish      load and subscribe only
Uses the local stack of DATA_DIR (default .local/), started with npm start.`;

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

function positiveInt(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > max)
    usage(`--${name} must be a whole number from 1 to ${max}\n${USAGE}`);
  return n;
}

interface Options {
  seed: string;
  weeks: number;
  concurrency: number;
  publish: boolean;
}

function readOptions(): Options {
  let values: {
    seed?: string;
    weeks?: string;
    concurrency?: string;
    'no-publish'?: boolean;
    help?: boolean;
  };
  try {
    values = parseArgs({
      options: {
        seed: { type: 'string' },
        weeks: { type: 'string' },
        concurrency: { type: 'string' },
        'no-publish': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    usage(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  if (values.help === true) {
    console.log(USAGE);
    process.exit(0);
  }
  const seed = values.seed ?? DEFAULT_SEED;
  if (seed.trim() === '') usage(`--seed must not be empty\n${USAGE}`);
  return {
    seed,
    weeks: positiveInt(values.weeks, 'weeks', DEFAULT_WEEKS, MAX_WEEKS),
    concurrency: positiveInt(values.concurrency, 'concurrency', DEFAULT_CONCURRENCY, 16),
    publish: values['no-publish'] !== true,
  };
}

/** The bootstrap admin token: INTAKE_TOKEN, as npm start takes it, or the one kept in DATA_DIR. */
async function adminToken(dataDir: string): Promise<string> {
  const given = process.env.INTAKE_TOKEN;
  if (given !== undefined && given !== '') return given;
  try {
    return (await readFile(join(dataDir, 'intake-token'), 'utf8')).trim();
  } catch {
    fail(
      `no admin token: ${join(dataDir, 'intake-token')} is missing (the stack was started with INTAKE_TOKEN?); ` +
        'set INTAKE_TOKEN to the token npm start printed',
    );
  }
}

class Api {
  constructor(
    readonly base: string,
    private readonly token: string,
  ) {}

  /** JSON in and out; retries what a busy stack answers (429, 503) and dropped connections. */
  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await fetch(`${this.base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${this.token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        if ((response.status === 429 || response.status === 503) && attempt < 6) {
          await sleep(250 * 2 ** attempt);
          continue;
        }
        return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
      } catch (error) {
        if (attempt >= 6) throw error;
        await sleep(250 * 2 ** attempt);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

type ResultCounts = Record<'created' | 'updated' | 'unchanged' | 'invalid' | 'conflict', number>;

interface BatchAnswer {
  results: { detainerId: string; result: keyof ResultCounts; issues?: { path: string; message: string }[] }[];
}

async function loadPolicies(api: Api, writes: ReturnType<typeof policyWrites>): Promise<ResultCounts> {
  const counts: ResultCounts = { created: 0, updated: 0, unchanged: 0, invalid: 0, conflict: 0 };
  // In order: a jurisdiction's versions oldest first (a later version must not be written first).
  for (const write of writes) {
    const answer = await api.call<{ result?: 'created' | 'updated' | 'unchanged'; error?: string }>(
      'PUT',
      `/jurisdictions/${encodeURIComponent(write.id)}`,
      write.body,
    );
    if (answer.status === 409) counts.conflict++;
    else if (answer.status >= 400 || answer.body.result === undefined)
      fail(`PUT /jurisdictions/${write.id} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    else counts[answer.body.result]++;
  }
  return counts;
}

async function loadOutcomes(
  api: Api,
  outcomes: readonly DemoOutcome[],
  concurrency: number,
): Promise<{ counts: ResultCounts; elapsedMs: number; problems: string[] }> {
  const counts: ResultCounts = { created: 0, updated: 0, unchanged: 0, invalid: 0, conflict: 0 };
  const problems: string[] = [];
  const bar = new ProgressBar(outcomes.length, { unit: 'records' });
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const start = next;
      next += BATCH_SIZE;
      if (start >= outcomes.length) return;
      const batch = outcomes.slice(start, start + BATCH_SIZE);
      const answer = await api.call<BatchAnswer>('POST', '/outcomes', { outcomes: batch });
      if (answer.status !== 200) {
        fail(`\nPOST /outcomes answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 500)}`);
      }
      for (const item of answer.body.results) {
        counts[item.result]++;
        if ((item.result === 'invalid' || item.result === 'conflict') && problems.length < 5) {
          problems.push(`${item.detainerId}: ${item.result} ${JSON.stringify(item.issues ?? [])}`);
        }
      }
      bar.add(batch.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { counts, elapsedMs: bar.finish(), problems };
}

interface StoredMail {
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

async function sentMail(stack: StackFile): Promise<StoredMail[]> {
  const response = await fetch(stack.urls.mailStore);
  if (!response.ok) fail(`GET ${stack.urls.mailStore} answered ${response.status}`);
  return ((await response.json()) as { emails: StoredMail[] }).emails;
}

/** The newest confirmation link sent to `address` since `since` (epoch seconds), if any. */
function confirmationLink(mail: readonly StoredMail[], address: string, since: number): string | undefined {
  const messages = mail
    .filter(
      (m) =>
        m.destination.to.includes(address) &&
        m.subject.startsWith('Confirm your subscription') &&
        m.at >= since,
    )
    .sort((a, b) => b.at - a.at);
  for (const message of messages) {
    const match = /https?:\/\/[^\s"<>]+\/subscriptions\/confirm\?token=[^\s"<>]+/.exec(
      message.body.text ?? '',
    );
    if (match) return match[0];
  }
  return undefined;
}

/** Subscribes each address and confirms it through the link in its confirmation email. */
async function subscribe(stack: StackFile): Promise<string[]> {
  const lines: string[] = [];
  for (const address of DEMO_SUBSCRIBERS) {
    const since = Math.floor(Date.now() / 1000) - 1;
    // As a reader's browser posts it: no token, and a 429 is an answer, not something to retry.
    const answer = await fetch(`${stack.gateway}/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: address }),
    });
    if (answer.status === 429) {
      // Contract §5's per-source limit counts this machine as one viewer: the data is loaded anyway.
      lines.push(
        `  ${address}: not subscribed now: the per-source limit (SUBSCRIBE_SOURCE_LIMIT in 10 minutes) is reached; ` +
          `run the demo again in ${answer.headers.get('retry-after') ?? 'a few'} seconds to subscribe it`,
      );
      continue;
    }
    if (answer.status !== 202) fail(`POST /subscriptions answered ${answer.status} for ${address}`);
    // The confirmation goes out from a queue; a confirmed address gets none (and needs none).
    let link: string | undefined;
    for (let attempt = 0; attempt < 25 && link === undefined; attempt++) {
      await sleep(200);
      link = confirmationLink(await sentMail(stack), address, since);
    }
    if (link === undefined) {
      lines.push(`  ${address}: no confirmation email (already confirmed, or one was sent within the hour)`);
      continue;
    }
    // The link's page has a button; pressing it is this POST (a GET confirms nothing).
    const page = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    if (page.status === 429) {
      lines.push(
        `  ${address}: confirmation waits: the per-source limit is reached; open the link in the local mailbox later`,
      );
      continue;
    }
    if (page.status !== 200) fail(`the confirmation link for ${address} answered ${page.status}`);
    lines.push(`  ${address}: confirmed`);
  }
  return lines;
}

function publish(week: string, dataDir: string): Promise<void> {
  const tsx = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [join(PROJECT_ROOT, 'scripts', 'publish.ts'), '--week', week], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATA_DIR: dataDir },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`npm run publish exited with ${signal ?? code}`)),
    );
  });
}

function summarise(counts: ResultCounts): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([result, n]) => `${n.toLocaleString('en-US')} ${result}`)
    .join(', ');
}

async function main(): Promise<void> {
  const started = Date.now();
  const options = readOptions();
  const dataDir = dataDirFromEnv();
  const stack = await readStackFile(dataDir).catch((error: unknown) =>
    fail(
      `${error instanceof Error ? error.message : String(error)}\n` +
        '(npm start in another terminal, with the same DATA_DIR; once it prints its URLs, run npm run demo again)',
    ),
  );
  const health = await fetch(stack.urls.health).catch(() => undefined);
  if (health?.status !== 200)
    fail(`the local stack at ${stack.gateway} is not answering ${stack.urls.health}`);
  const api = new Api(stack.gateway, await adminToken(stack.dataDir));
  const check = await api.call('GET', '/clients');
  if (check.status !== 200) fail(`the admin token was refused (GET /clients answered ${check.status})`);

  const timeZone = reportTimeZone();
  const endWeek = latestCompleteWeek(timeZone);
  const data = demoDataSet({ seed: options.seed, endWeek, weeks: options.weeks });
  const writes = policyWrites(data.jurisdictions);
  const first = data.weeks[0] ?? endWeek;
  console.log(
    `Synthetic demo data (seed "${options.seed}"): ${data.weeks.length} weeks, ${first} to ${weekEnd(endWeek)} ` +
      `(the latest complete week in ${timeZone}), ${data.outcomes.length.toLocaleString('en-US')} records, ` +
      `${data.jurisdictions.length} fictional jurisdictions (${data.jurisdictions.filter((j) => j.policies.length > 0).length} with a policy).`,
  );
  if (options.weeks < 12)
    console.log("(fewer than 12 weeks: the edition's 12-week trend starts with empty weeks)");

  const policies = await loadPolicies(api, writes);
  console.log(`policies: ${summarise(policies)} (PUT /jurisdictions)`);
  console.log(`records: POST /outcomes, ${BATCH_SIZE} a call, ${options.concurrency} at once`);
  const load = await loadOutcomes(api, data.outcomes, options.concurrency);
  const rate = Math.round((data.outcomes.length / load.elapsedMs) * 1000);
  console.log(
    `records: ${summarise(load.counts)} in ${formatDuration(load.elapsedMs / 1000)} (${rate.toLocaleString('en-US')} records/s)`,
  );
  for (const problem of load.problems) console.log(`  ${problem}`);
  if (load.counts.invalid > 0)
    fail('some demo records were refused as invalid: a bug in scripts/demo-data.ts');
  if (load.counts.conflict > 0) {
    console.log('  (conflicts: this DATA_DIR holds other records that bind these ids to other states)');
  }

  console.log('subscribers (confirmed through the links in the local mailbox):');
  for (const line of await subscribe(stack)) console.log(line);

  const figures = weekFigures(data, endWeek);
  const pageUrl = `${stack.gateway}/reports/${endWeek}/`;
  if (options.publish) {
    console.log(
      `publishing the week of ${endWeek} (${figures.issued.toLocaleString('en-US')} issued, ${figures.declined} declines recorded in the demo data):`,
    );
    await publish(endWeek, stack.dataDir).catch((error: unknown) =>
      fail(error instanceof Error ? error.message : String(error)),
    );
  }
  console.log('');
  console.log(`Done in ${formatDuration((Date.now() - started) / 1000)}. Everything shown is synthetic.`);
  if (options.publish) console.log(`  edition  ${pageUrl}`);
  console.log(`  archive  ${stack.gateway}/`);
  console.log(`  mailbox  ${stack.urls.mailbox}`);
  if (!options.publish) console.log(`  publish  npm run publish -- --week ${endWeek}`);
}

await main().catch(failWith);
