import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SESv2Client, SendEmailCommand, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailKey, putPrivateJson } from '#adapters/edition-data';
import { DynamoLedgerStore } from '#adapters/ledger-store';
import { sendEmail } from '#adapters/mailer';
import { FileSecretSource } from '#adapters/secret-source';
import { DynamoSubscriberStore } from '#adapters/subscriber-store';
import type { SendJob } from '#core/mail/send-job';
import {
  type BatchOutcome,
  editionKey,
  type LedgerStore,
  type SendDeps,
  type StoredEmail,
  sendBatch,
  UNSUBSCRIBE_PLACEHOLDER,
} from '#core/mail/send-ledger';
import { listUnsubscribeHeaders, unsubscribeUrl } from '#core/subscriptions/links';
import { fakeContext } from '#local/gateway';
import { subscriptionSecretPath } from '#local/subscription-environment';
import { seededRandom } from '../../scripts/seeded-random';
import { type SentMail, useLocalStack } from '../support/local-stack';
import { publish, subscribeAndConfirm } from '../support/publishing';
import { type SesFaultProxy, startSesFaultProxy } from '../support/ses-fault-proxy';

/**
 * The sender under faults (CONTRACT.md section 5: each subscriber gets each emailed edition
 * exactly once; the one exception allowed is a crash between SES accepting a message and the
 * ledger recording it). SES is reached through a proxy that can throttle or reject calls; the
 * ledger is the real DynamoDB one.
 */
let proxy: SesFaultProxy;
// The proxy starts first: every function of the stack (the subscription function and the sender
// behind the local send queue) gets its URL as AWS_ENDPOINT_URL_SESV2.
const stack = useLocalStack(async () => {
  proxy = await startSesFaultProxy(() => stack().urls.mailbox);
  return { functionEnvironment: { AWS_ENDPOINT_URL_SESV2: proxy.url } };
});

beforeAll(() => {
  // And the senders this file runs in its own process, before their first SES call.
  process.env.AWS_ENDPOINT_URL_SESV2 = proxy.url;
});

afterAll(async () => {
  await proxy?.close();
});

const READERS = Array.from(
  { length: 30 },
  (_, i) => `fault-reader-${String(i).padStart(2, '0')}@example.org`,
);

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

async function mailWithSubject(subject: string): Promise<SentMail[]> {
  return (await stack().sentMail()).filter((mail) => mail.subject === subject);
}

class SimulatedCrash extends Error {
  constructor(readonly point: string) {
    super(`simulated crash: ${point}`);
    this.name = 'SimulatedCrash';
  }
}

const THROTTLES = new Set(['TooManyRequestsException', 'ThrottlingException', 'LimitExceededException']);
const LEASE_MS = 60_000;

function storedEmail(subject: string): StoredEmail {
  return {
    subject,
    html: `<p>${subject}</p><p><a href="${UNSUBSCRIBE_PLACEHOLDER}">Unsubscribe</a></p>`,
    text: `${subject}\n\nUnsubscribe: ${UNSUBSCRIBE_PLACEHOLDER}\n`,
  };
}

/** The sender's dependencies as lambdas/mail/send/handler.ts builds them, with the real ledger and SES. */
async function realSendDeps(owner: string, subject: string, now: () => Date): Promise<SendDeps> {
  const subscribers = new DynamoSubscriberStore();
  const key = await new FileSecretSource(subscriptionSecretPath(stack().dataDir)).key();
  return {
    ledger: new DynamoLedgerStore(),
    subscriber: (address) => subscribers.get(address),
    email: async () => storedEmail(subject),
    unsubscribeUrl: async (subscriber) => unsubscribeUrl(stack().urls.gateway, key, subscriber),
    headers: (link) => listUnsubscribeHeaders(link),
    send: async (message) => (await sendEmail(message)).messageId,
    rate: { take: async () => undefined },
    now,
    owner,
    leaseMs: LEASE_MS,
    isUnknownOutcome: () => false,
    isThrottling: (error) => error instanceof Error && THROTTLES.has(error.name),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20))),
  };
}

describe('the sender under SES throttling', () => {
  it('sets up 30 confirmed readers', async () => {
    for (const reader of READERS) await subscribeAndConfirm(stack(), reader);
    // Everything so far went through the proxy, untouched.
    expect(proxy.counts).toMatchObject({ calls: 30, forwarded: 30, throttled: 0 });
  });

  it('gets the SDK’s own TooManyRequestsException from the proxy’s 429', async () => {
    proxy.decide = () => 'throttle';
    const client = new SESv2Client({ endpoint: proxy.url, maxAttempts: 1 });
    try {
      const error = await client
        .send(
          new SendEmailCommand({
            FromEmailAddress: 'reports@example.org',
            Destination: { ToAddresses: ['nobody@example.org'] },
            Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } },
          }),
        )
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(error).toBeInstanceOf(TooManyRequestsException);
      expect(error).toMatchObject({
        name: 'TooManyRequestsException',
        message: 'Maximum sending rate exceeded.',
        $metadata: { httpStatusCode: 429 },
      });
      expect(THROTTLES.has((error as Error).name)).toBe(true);
    } finally {
      client.destroy();
      proxy.decide = () => 'pass';
    }
  });

  it('mails each of 30 readers exactly once while a third of the SendEmail calls are throttled', {
    timeout: 50_000,
  }, async () => {
    const before = { ...proxy.counts };
    // Three in a row out of every nine: one third, in bursts longer than the SDK's own retries
    // (three attempts), so the sender's backoff runs too.
    proxy.decide = ({ n }) => (n % 9 < 3 ? 'throttle' : 'pass');
    try {
      const result = await publish('2017-03-04', true);
      expect(result.record.email.decision).toBe('send');
    } finally {
      proxy.decide = () => 'pass';
    }

    const page = `${stack().urls.gateway}/reports/2017-03-04/`;
    const mails = (await stack().sentMail()).filter((mail) => mail.body.text?.includes(page));
    const perReader = countBy(mails, (mail) => mail.destination.to.join(','));
    expect([...perReader.keys()].sort()).toEqual(READERS);
    expect(
      [...perReader.values()].every((n) => n === 1),
      JSON.stringify([...perReader]),
    ).toBe(true);
    const calls = proxy.counts.calls - before.calls;
    const throttled = proxy.counts.throttled - before.throttled;
    expect(proxy.counts.forwarded - before.forwarded).toBe(30);
    expect(throttled).toBeGreaterThanOrEqual(10);
    expect(throttled / calls).toBeGreaterThan(0.25);
    expect(await new DynamoLedgerStore().progress(editionKey('2017-03-04', 1))).toMatchObject({
      status: 'queued',
      total: 30,
      sent: 30,
    });
  });
});

describe('the sender crashing at any point', () => {
  /**
   * Each scenario sends one edition (its own ledger key) to the readers with sendBatch and the
   * real ledger and SES, crashing at random points (seeded), then "restarts": calls sendBatch
   * again with a new owner and a clock past every lease, until one run finishes with nothing
   * pending. The crash points:
   *   before-send  after the claim, before SES is called
   *   window       after SES accepted, before the ledger records "sent" (the documented window)
   *   after-mark   after the ledger recorded "sent", before the batch ends
   */
  const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
  const RECIPIENTS = READERS.slice(0, 10);
  const CRASH_CHANCE = 0.12;

  interface Tally {
    accepted: Map<string, number>;
    window: Map<string, number>;
    crashes: Record<string, number>;
    runs: number;
  }

  async function crashingScenario(seed: number): Promise<{ tally: Tally; subject: string; edition: string }> {
    const random = seededRandom(seed);
    const job: SendJob = { week: '2017-03-11', revision: 100 + seed, addresses: RECIPIENTS };
    const subject = `Crash scenario ${seed}`;
    const tally: Tally = { accepted: new Map(), window: new Map(), crashes: {}, runs: 0 };
    const bump = (map: Map<string, number>, address: string) => map.set(address, (map.get(address) ?? 0) + 1);
    const crash = (point: string): never => {
      tally.crashes[point] = (tally.crashes[point] ?? 0) + 1;
      throw new SimulatedCrash(point);
    };
    let clock = Date.now();
    for (let run = 0; ; run++) {
      expect(run, `seed ${seed}: too many restarts`).toBeLessThan(100);
      tally.runs = run + 1;
      // A restart comes after every lease of the crashed run has expired.
      clock += LEASE_MS + 1_000;
      const at = clock;
      const real = await realSendDeps(`seed${seed}-run${run}`, subject, () => new Date(at));
      const realLedger = real.ledger;
      const ledger: LedgerStore = {
        claim: (...args) => realLedger.claim(...args),
        markSent: async (edition, address, owner, messageId, when) => {
          if (random() < CRASH_CHANCE) {
            bump(tally.window, address);
            crash('window');
          }
          await realLedger.markSent(edition, address, owner, messageId, when);
          if (random() < CRASH_CHANCE / 2) crash('after-mark');
        },
        markSkipped: (...args) => realLedger.markSkipped(...args),
        queueState: (edition) => realLedger.queueState(edition),
        progress: (edition) => realLedger.progress(edition),
        startQueueing: (...args) => realLedger.startQueueing(...args),
        finishQueueing: (...args) => realLedger.finishQueueing(...args),
        markUnknown: (...args) => realLedger.markUnknown(...args),
        release: (...args) => realLedger.release(...args),
        markRejected: (...args) => realLedger.markRejected(...args),
        reconcile: (...args) => realLedger.reconcile(...args),
        notePause: (...args) => realLedger.notePause(...args),
        clearPause: (...args) => realLedger.clearPause(...args),
        settledAddresses: (...args) => realLedger.settledAddresses(...args),
      };
      const deps: SendDeps = {
        ...real,
        ledger,
        send: async (message) => {
          if (random() < CRASH_CHANCE) crash('before-send');
          const id = await real.send(message);
          bump(tally.accepted, message.to);
          return id;
        },
      };
      let outcome: BatchOutcome;
      try {
        outcome = await sendBatch(deps, job);
      } catch (error) {
        if (error instanceof SimulatedCrash) continue;
        throw error;
      }
      if (outcome.pending.length === 0) break;
    }
    return { tally, subject, edition: editionKey(job.week, job.revision) };
  }

  const results: { seed: number; tally: Tally; subject: string; edition: string }[] = [];

  it('sends each reader one email, plus exactly one per crash in the SES-accepted window', {
    timeout: 50_000,
  }, async () => {
    for (const seed of SEEDS) results.push({ seed, ...(await crashingScenario(seed)) });

    let windowCrashes = 0;
    for (const { seed, tally, subject } of results) {
      const mails = await mailWithSubject(subject);
      const received = countBy(mails, (mail) => mail.destination.to.join(','));
      for (const address of RECIPIENTS) {
        const extra = tally.window.get(address) ?? 0;
        windowCrashes += extra;
        expect(received.get(address), `seed ${seed} ${address}`).toBe(1 + extra);
        expect(tally.accepted.get(address), `seed ${seed} ${address}`).toBe(1 + extra);
      }
      expect([...received.keys()].sort()).toEqual(RECIPIENTS);
    }
    // The seeds do exercise every crash point, the window included.
    const points = results.reduce<Record<string, number>>((all, { tally }) => {
      for (const [point, n] of Object.entries(tally.crashes)) all[point] = (all[point] ?? 0) + n;
      return all;
    }, {});
    expect(points).toMatchObject({
      'before-send': expect.any(Number),
      window: expect.any(Number),
      'after-mark': expect.any(Number),
    });
    expect(windowCrashes).toBe(points.window);
    // Without a crash in the window, nobody got a second copy.
    const withoutWindow = results.flatMap(({ tally }) =>
      RECIPIENTS.filter((address) => !tally.window.has(address)),
    );
    expect(withoutWindow.length).toBeGreaterThan(SEEDS.length * RECIPIENTS.length * 0.6);
  });

  it('leaves every reader marked sent in the ledger', async () => {
    const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
    const { documents } = await import('#adapters/dynamodb');
    const table = process.env.SEND_LEDGER_TABLE ?? '';
    for (const { edition } of results) {
      for (const address of RECIPIENTS) {
        const item = await documents.send(new GetCommand({ TableName: table, Key: { edition, address } }));
        expect(item.Item?.status, `${edition} ${address}`).toBe('sent');
      }
    }
  });

  // The progress is counted from the ledger, so recipients sent before a crash or an error in
  // the same batch are counted, and `npm run publish` (waitForSend) can finish.
  it('counts every reader sent in the ledger progress, whatever crashed on the way', async () => {
    const ledger = new DynamoLedgerStore();
    for (const { seed, edition } of results) {
      // The fan-out's own marks (the batches were sent directly, without a fan-out).
      await ledger.startQueueing(edition, new Date());
      await ledger.finishQueueing(edition, RECIPIENTS.length, new Date());
      expect((await ledger.progress(edition))?.sent, `seed ${seed}`).toBe(RECIPIENTS.length);
    }
  });

  it('counts the readers a batch sent before an SES error, so `npm run publish` can finish', async () => {
    // No crash: SES refuses one message (a non-throttling error), the batch fails and is
    // redelivered after the lease, and then it goes through.
    const job: SendJob = { week: '2017-03-18', revision: 1, addresses: RECIPIENTS.slice(0, 5) };
    const subject = 'Rejected once';
    const ledger = new DynamoLedgerStore();
    const edition = editionKey(job.week, job.revision);
    await ledger.startQueueing(edition, new Date());
    await ledger.finishQueueing(edition, job.addresses.length, new Date());
    const third = job.addresses[2];
    proxy.decide = ({ to }) => (to.includes(third ?? '') ? 'reject' : 'pass');
    const first = await realSendDeps('first', subject, () => new Date());
    await expect(sendBatch(first, job)).rejects.toMatchObject({ name: 'MessageRejected' });
    proxy.decide = () => 'pass';
    const later = new Date(Date.now() + LEASE_MS + 1_000);
    const second = await realSendDeps('second', subject, () => later);
    expect(await sendBatch(second, job)).toEqual({ sent: 3, skipped: 0, unknown: 0, pending: [] });

    const received = countBy(await mailWithSubject(subject), (mail) => mail.destination.to.join(','));
    expect([...received.keys()].sort()).toEqual([...job.addresses].sort());
    expect([...received.values()].every((n) => n === 1)).toBe(true);
    // What `npm run publish` waits for: sent + skipped reaching the total.
    expect(await ledger.progress(edition)).toMatchObject({ status: 'queued', total: 5, sent: 5 });
  });
});

describe('a redelivered batch while another worker holds a live lease', () => {
  const WEEK = '2017-03-25';
  const addresses = READERS.slice(20, 24);

  it('is reported pending by the sender function and sends nothing twice', async () => {
    const subject = 'Live lease edition';
    await putPrivateJson(emailKey(WEEK, 1), storedEmail(subject));
    const job: SendJob = { week: WEEK, revision: 1, addresses };
    const edition = editionKey(WEEK, 1);
    const ledger = new DynamoLedgerStore();
    const held = addresses[1] ?? '';
    // Another worker claimed this reader a moment ago and is sending to it now.
    expect(await ledger.claim(edition, held, 'other-worker', new Date(), 120_000)).toBe('claimed');
    const { handler } = await import('#lambdas/mail/send/handler');
    const event = (messageId: string): SQSEvent => ({
      Records: [
        {
          messageId,
          receiptHandle: messageId,
          body: JSON.stringify(job),
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: String(Date.now()),
            SenderId: 'local',
            ApproximateFirstReceiveTimestamp: String(Date.now()),
          },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:ddor-send',
          awsRegion: 'us-east-1',
        },
      ],
    });

    const first = await handler(event('m-1'), fakeContext('send', 60_000));
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    const redelivered = await handler(event('m-1'), fakeContext('send', 60_000));
    expect(redelivered).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    let received = countBy(await mailWithSubject(subject), (mail) => mail.destination.to.join(','));
    expect(received.get(held)).toBeUndefined();
    for (const address of addresses.filter((a) => a !== held)) expect(received.get(address)).toBe(1);

    // The other worker finishes: SES accepts its message and the ledger records it.
    const { messageId } = await sendEmail({
      to: held,
      subject,
      html: '<p>sent by the other worker</p>',
      text: 'sent by the other worker',
    });
    await ledger.markSent(edition, held, 'other-worker', messageId, new Date());
    const last = await handler(event('m-1'), fakeContext('send', 60_000));
    expect(last).toEqual({ batchItemFailures: [] });
    received = countBy(await mailWithSubject(subject), (mail) => mail.destination.to.join(','));
    expect([...received.keys()].sort()).toEqual([...addresses].sort());
    expect([...received.values()].every((n) => n === 1)).toBe(true);
  });

  it('lets two workers on the same batch at once send each reader once', async () => {
    const subject = 'Two workers';
    const job: SendJob = { week: WEEK, revision: 2, addresses };
    const blocked = addresses[0] ?? '';
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => undefined;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const slow = await realSendDeps('worker-a', subject, () => new Date());
    const a: SendDeps = {
      ...slow,
      send: async (message) => {
        if (message.to === blocked) {
          entered();
          await gate;
        }
        return slow.send(message);
      },
    };
    const b = await realSendDeps('worker-b', subject, () => new Date());

    const workerA = sendBatch(a, job);
    await inside;
    const outcomeB = await sendBatch(b, job);
    release();
    const outcomeA = await workerA;

    expect(outcomeB).toEqual({ sent: addresses.length - 1, skipped: 0, unknown: 0, pending: [blocked] });
    expect(outcomeA).toEqual({ sent: 1, skipped: 0, unknown: 0, pending: [] });
    const received = countBy(await mailWithSubject(subject), (mail) => mail.destination.to.join(','));
    expect([...received.keys()].sort()).toEqual([...addresses].sort());
    expect([...received.values()].every((n) => n === 1)).toBe(true);
  });
});

describe('a sender process killed with SIGKILL mid-batch', () => {
  interface ChildRun {
    lines: string[];
    killed: boolean;
  }

  /**
   * Runs tests/support/send-child.ts; with `kill`, kills it `delayMs` after its `sending` line
   * number `afterSending` (so the kill lands during, or just after, that SES call).
   */
  function runChild(
    job: SendJob,
    owner: string,
    offsetMs: number,
    subject: string,
    kill: { afterSending: number; delayMs: number } | undefined,
  ): Promise<ChildRun> {
    const root = join(import.meta.dirname, '..', '..');
    return new Promise((resolve, reject) => {
      // Node itself with tsx as a loader: the tsx command runs the script in a child process of
      // its own, which a SIGKILL of the command would leave running.
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join('tests', 'support', 'send-child.ts'),
          JSON.stringify(job),
          owner,
          String(offsetMs),
          subject,
          proxy.url,
        ],
        {
          cwd: root,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: stack().dataDir },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      let timer: NodeJS.Timeout | undefined;
      const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        err += chunk;
      });
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const sending = out.split('\n').filter((line) => line.startsWith('sending ')).length;
        if (kill !== undefined && timer === undefined && sending >= kill.afterSending) {
          timer = setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
        }
      });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(guard);
        if (timer !== undefined) clearTimeout(timer);
        if (signal === null && code !== 0) reject(new Error(`send-child exited ${code}: ${err}`));
        else
          resolve({
            lines: out.split('\n').filter((line) => line !== ''),
            killed: signal === 'SIGKILL' && !out.includes('\ndone '),
          });
      });
    });
  }

  it('sends each reader once, except at most one more per kill between "sending" and "marked"', {
    timeout: 50_000,
  }, async () => {
    const job: SendJob = { week: '2017-04-01', revision: 1, addresses: READERS };
    const subject = 'Killed sender';
    const random = seededRandom(2017);
    const inWindow = new Map<string, number>();
    let kills = 0;
    let finished = false;
    // SES answers 40 ms after accepting (a slow network): most of a send is spent in the window.
    proxy.decide = () => 'pass';
    proxy.delayMs = 40;
    try {
      for (let run = 0; run < 12 && !finished; run++) {
        // Six runs killed at a random moment around one of their first SES calls, then runs left alone.
        const kill =
          run < 6
            ? { afterSending: 1 + Math.floor(random() * 4), delayMs: Math.floor(random() * 60) }
            : undefined;
        const result = await runChild(job, `child-${run}`, run * (LEASE_MS + 1_000), subject, kill);
        if (result.killed) {
          kills++;
          const marked = new Set(result.lines.filter((l) => l.startsWith('marked ')).map((l) => l.slice(7)));
          for (const line of result.lines.filter((l) => l.startsWith('sending '))) {
            const address = line.slice(8);
            if (!marked.has(address)) inWindow.set(address, (inWindow.get(address) ?? 0) + 1);
          }
          continue;
        }
        const done = result.lines.find((line) => line.startsWith('done '));
        finished = done !== undefined && (JSON.parse(done.slice(5)) as BatchOutcome).pending.length === 0;
      }
    } finally {
      proxy.delayMs = 0;
    }
    expect(finished).toBe(true);
    expect(kills).toBeGreaterThan(2);
    // Some kills did land between "sending" and "marked" (the seed makes this repeatable).
    expect(inWindow.size).toBeGreaterThan(0);
    const received = countBy(await mailWithSubject(subject), (mail) => mail.destination.to.join(','));
    expect([...received.keys()].sort()).toEqual(job.addresses);
    let extra = 0;
    for (const address of job.addresses) {
      const n = received.get(address) ?? 0;
      expect(n, address).toBeGreaterThanOrEqual(1);
      expect(n, address).toBeLessThanOrEqual(1 + (inWindow.get(address) ?? 0));
      extra += n - 1;
    }
    expect(extra).toBeLessThanOrEqual(kills);
  });

  // With real process deaths: the progress is counted from the ledger items, so a kill after some
  // sends and before the batch's end loses no count.
  it('counts every reader sent in the ledger progress after the kills', async () => {
    const ledger = new DynamoLedgerStore();
    const edition = editionKey('2017-04-01', 1);
    await ledger.startQueueing(edition, new Date());
    await ledger.finishQueueing(edition, READERS.length, new Date());
    const progress = await ledger.progress(edition);
    expect(progress?.sent).toBe(READERS.length);
  });
});
