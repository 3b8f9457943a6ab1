import type { Benchmark, Measurement } from './support/benchmark';
import { median } from './support/benchmark';
import { startChild } from './support/child-process';
import type { FanOutPlan, FanOutResult, FanOutRun, RunFigures } from './support/fan-out-main';
import type { MemorySample } from './support/fan-out-sender-main';

const CHILD = 'bench/support/fan-out-main.ts';

/** The configured maximum of the end-to-end run: a plausible production SES rate. */
const SES_RATE = 200;
/** Well under what the fake sends reach even on a busy machine: the limiter alone sets the pace. */
const LIMIT_RATE = 100;
/** Above what the DynamoDB ledger allows locally: the fake sends then show the sender's own ceiling. */
const OPEN_RATE = 1_000;

const EDITION = { issued: 3_000, declinedSameWeek: 100, declinedEarlier: 100 } as const;

/** The runs, in order (subscribers are only ever added, so smaller lists come first). */
function plan(quick: boolean): FanOutPlan {
  const check = quick ? 1_000 : 2_000;
  const small = quick ? 2_000 : 10_000;
  const large = quick ? 10_000 : 100_000;
  const n = (value: number) => value.toLocaleString('en-US');
  const runs: FanOutRun[] = [
    // The limiter binding: fake sends are faster than this, so the rate is the limiter's alone.
    {
      label: `fake send, ${n(check)} at ${LIMIT_RATE}/s`,
      subscribers: check,
      mode: 'fake',
      ratePerSecond: LIMIT_RATE,
    },
    {
      label: `fake send, ${n(small)} at ${n(OPEN_RATE)}/s`,
      subscribers: small,
      mode: 'fake',
      ratePerSecond: OPEN_RATE,
    },
    {
      label: `fake send, ${n(large)} at ${n(OPEN_RATE)}/s`,
      subscribers: large,
      mode: 'fake',
      ratePerSecond: OPEN_RATE,
    },
    // Last, on the whole list: the real sender through the SES server, as deployed.
    {
      label: `SES end to end, ${n(large)} at ${SES_RATE}/s`,
      subscribers: large,
      mode: 'ses',
      ratePerSecond: SES_RATE,
    },
  ];
  return { runs, edition: EDITION, jurisdictions: 3_000 };
}

/** Which run is which, by position in `plan()`. */
const RUN = { limiter: 0, small: 1, large: 2, ses: 3 } as const;

const MIB = 1024 ** 2;
const mib = (bytes: number) => bytes / MIB;
const seconds = (ms: number) => ms / 1000;

function sendRate(figures: RunFigures): number {
  const { sender } = figures;
  return (sender.sends - 1) / seconds(sender.lastAt - sender.firstAt);
}

function runMeasurements(figures: RunFigures): Measurement[] {
  const { run, sender } = figures;
  const configured = {
    name: `configured maximum (SEND_RATE_PER_SECOND=${run.ratePerSecond})`,
    samples: [run.ratePerSecond],
  };
  const idle = (key: keyof MemorySample) => ({
    name: 'the same sender at start (idle, after GC)',
    samples: [mib(sender.idle[key])],
  });
  return [
    {
      name: `${run.label}: send rate, first to last send`,
      unit: 'messages/s',
      samples: [sendRate(figures)],
      baseline: configured,
    },
    {
      name: `${run.label}: busiest 1-s window`,
      unit: 'messages/s',
      samples: [sender.peakWindow],
      baseline: configured,
    },
    {
      name: `${run.label}: end to end, fan-out start to last send`,
      unit: 'messages/s',
      samples: [sender.sends / seconds(sender.lastAt - figures.fanOutStart)],
      baseline: configured,
    },
    ...acceptedMeasurements(figures, configured),
    {
      name: `${run.label}: fan-out, queueing every recipient`,
      unit: 'ms',
      samples: [figures.fanOutEnd - figures.fanOutStart],
    },
    {
      name: `${run.label}: sender peak RSS`,
      unit: 'MiB',
      samples: [mib(sender.peak.rss)],
      baseline: idle('rss'),
    },
    {
      name: `${run.label}: sender peak heapUsed`,
      unit: 'MiB',
      samples: [mib(sender.peak.heapUsed)],
      baseline: idle('heapUsed'),
    },
    {
      name: `${run.label}: sender heapUsed after the run, GC`,
      unit: 'MiB',
      samples: [mib(sender.retained.heapUsed)],
      baseline: idle('heapUsed'),
    },
  ];
}

/** An end-to-end run as the SES server accepted it: the rate SES counts, against the configured one. */
function acceptedMeasurements(figures: RunFigures, configured: Measurement['baseline']): Measurement[] {
  const { accepted, run } = figures;
  if (accepted === undefined || configured === undefined) return [];
  return [
    {
      name: `${run.label}: accept rate at the SES server, first to last`,
      unit: 'messages/s',
      samples: [(accepted.count - 1) / seconds(accepted.lastAt - accepted.firstAt)],
      baseline: configured,
    },
    {
      name: `${run.label}: busiest 1-s window at the SES server`,
      unit: 'messages/s',
      samples: [accepted.peakWindow],
      baseline: configured,
    },
  ];
}

/** The same configuration at both sizes: the larger list against the smaller. */
function sideBySide(small: RunFigures, large: RunFigures): Measurement[] {
  const row = (
    what: string,
    pick: (figures: RunFigures) => number,
    unit: Measurement['unit'],
  ): Measurement => ({
    name: `${what}, ${large.queued.toLocaleString('en-US')} subscribers`,
    unit,
    samples: [pick(large)],
    baseline: {
      name: `${small.queued.toLocaleString('en-US')} subscribers, same settings`,
      samples: [pick(small)],
    },
  });
  return [
    row('send rate (fake send, ledger-bound)', sendRate, 'messages/s'),
    row('sender peak RSS', (figures) => mib(figures.sender.peak.rss), 'MiB'),
    row('sender RSS, 95th percentile while sending', (figures) => mib(figures.sender.sending.rss.p95), 'MiB'),
    row('sender peak heapUsed', (figures) => mib(figures.sender.peak.heapUsed), 'MiB'),
    row(
      'sender heapUsed, 95th percentile while sending',
      (figures) => mib(figures.sender.sending.heapUsed.p95),
      'MiB',
    ),
    row('sender heapUsed after the run, GC', (figures) => mib(figures.sender.retained.heapUsed), 'MiB'),
  ];
}

/** Peak RSS and heapUsed over the first and the last quarter of the run's 1-s samples. */
function trajectory(figures: RunFigures): string {
  const { series } = figures.sender;
  if (series.length < 8) return `${figures.run.label}: too short for a trajectory`;
  const quarter = Math.floor(series.length / 4);
  const peak = (part: typeof series, index: 1 | 2) => mib(Math.max(...part.map((sample) => sample[index])));
  const first = series.slice(0, quarter);
  const last = series.slice(-quarter);
  const seconds = figures.sender.perSecond.slice(0, -1);
  const rate = (part: number[]) => part.reduce((sum, count) => sum + count, 0) / Math.max(1, part.length);
  const q = Math.max(1, Math.floor(seconds.length / 4));
  return (
    `${figures.run.label}: RSS peaked at ${peak(first, 1).toFixed(0)} MiB in the first quarter of the sends and ` +
    `${peak(last, 1).toFixed(0)} MiB in the last; heapUsed at ${peak(first, 2).toFixed(0)} and ${peak(last, 2).toFixed(0)} MiB; ` +
    `sends per second ${rate(seconds.slice(0, q)).toFixed(0)} and ${rate(seconds.slice(-q)).toFixed(0)}`
  );
}

function perSecondLine(figures: RunFigures): string {
  // The last second is partial: left out.
  const whole = figures.sender.perSecond.slice(0, -1);
  if (whole.length === 0) return `${figures.run.label}: under a second`;
  const { sender } = figures;
  return (
    `${figures.run.label}: sends per whole second from the first send: first ${whole[0]}, median ` +
    `${median(whole)}, slowest ${Math.min(...whole)}, busiest ${Math.max(...whole)} (${whole.length} s); ` +
    `the busiest 1-s window (${sender.peakWindow}) began ${(sender.peakWindowAt / 1000).toFixed(1)} s after the first send`
  );
}

/** Ledger writes per recipient: the claim and the sent mark (conditional UpdateItems). */
const LEDGER_WRITES_PER_RECIPIENT = 2;

/** The 1,000/s runs against what the same dynalite's ledger allows: raw conditional UpdateItems ÷ 2. */
function ledgerBound(result: FanOutResult): Measurement[] {
  return result.rawLedgerUpdates.flatMap((raw) => {
    const figures = result.runs.find((candidate) => candidate.run.label === raw.run);
    if (figures === undefined) return [];
    return [
      {
        name: `${raw.run}: send rate ÷ the ledger's bound`,
        unit: 'messages/s' as const,
        samples: [sendRate(figures)],
        baseline: {
          name: `raw conditional UpdateItem (${raw.inFlight} in flight) ÷ ${LEDGER_WRITES_PER_RECIPIENT} ledger writes`,
          samples: [raw.perSecond / LEDGER_WRITES_PER_RECIPIENT],
        },
      },
    ];
  });
}

/** What caps the sender whatever the configured rate: the recipients in flight and their round trips. */
function ceilingNote(fake: RunFigures, ses: RunFigures): string {
  const held = sendRate(ses) >= 0.95 * ses.run.ratePerSecond;
  return (
    'Per recipient the sender makes a conditional UpdateItem (claim), the send and a conditional ' +
    'UpdateItem (sent): two ledger writes; per batch, one BatchGetItem of its 50 subscribers. A batch keeps as many recipients in ' +
    'flight as its container rate × the measured time per recipient (at most 16, `send-pace.ts`), ' +
    `each through the one limiter, so the limiter sets the pace: the fake sends reached ${sendRate(fake).toFixed(0)}/s ` +
    `(${fake.run.label}). ` +
    (held
      ? `The end-to-end run reached its ${ses.run.ratePerSecond}/s. `
      : `The end-to-end run reached ${sendRate(ses).toFixed(0)}/s of ${ses.run.ratePerSecond}: the sender, not the limiter, set its pace. `) +
    'Deployed, each call is a network round trip (say 5 ms per DynamoDB call and 50 ms per SES call, ' +
    'illustrative): at 200/s over 2 containers each needs about 100/s × 65 ms ≈ 7 in flight, within ' +
    'the 16 a batch allows.'
  );
}

/** The 1-s windows against the configured rate: the run where the limiter set the pace, and the SES run. */
function limiterNote(limiter: RunFigures, ses: RunFigures): string {
  const first = limiter.sender.perSecond[0] ?? 0;
  const ratio = (figures: RunFigures) => (figures.sender.peakWindow / figures.run.ratePerSecond).toFixed(2);
  return (
    'The RateLimiter grants on a grid of 1/rate (a timer that fires late is made up by the next grant, ' +
    "an idle spell saves nothing up) and never more than the rate's whole count within any 1,020 ms of " +
    'its grants, so the latency of each send cannot push the second SES counts over (SES enforces its ' +
    `maximum send rate per second). ${limiter.run.label}: ${first} sends in the first second, busiest ` +
    `window ${limiter.sender.peakWindow} (${ratio(limiter)}× the rate, goal ≤ 1.00×); ${ses.run.label}: ` +
    `busiest window of completed sends ${ses.sender.peakWindow} (${ratio(ses)}× the rate), ` +
    `${(ses.sender.peakWindowAt / 1000).toFixed(1)} s in` +
    (ses.accepted === undefined
      ? '. '
      : `; at the SES server, which counts the rate where it accepts, ${ses.accepted.peakWindow} ` +
        `(${(ses.accepted.peakWindow / ses.run.ratePerSecond).toFixed(2)}×), ${(ses.accepted.peakWindowAt / 1000).toFixed(1)} s in. `) +
    'Deployed, each container has its own limiter ' +
    '(rate ÷ sendConcurrency), so the containers together stay within the rate too.'
  );
}

function checks(figures: RunFigures): string | undefined {
  const { sender, ledger } = figures;
  const problems: string[] = [];
  if (ledger.sent !== figures.queued)
    problems.push(`the ledger counts ${ledger.sent} sent of ${figures.queued}`);
  if (ledger.skipped !== 0) problems.push(`${ledger.skipped} skipped`);
  if (sender.sends !== figures.queued)
    problems.push(`${sender.sends} sends for ${figures.queued} recipients`);
  if (figures.leftInQueue !== 0 || figures.leftInDlq !== 0)
    problems.push(`${figures.leftInQueue} messages left in the queue, ${figures.leftInDlq} in the DLQ`);
  if (sender.failedRecords !== 0) problems.push(`${sender.failedRecords} batches failed and were retried`);
  if (figures.accepted !== undefined && figures.accepted.count !== figures.queued)
    problems.push(
      `the SES server accepted ${figures.accepted.count} messages for ${figures.queued} recipients`,
    );
  return problems.length === 0 ? undefined : `${figures.run.label}: ${problems.join('; ')}`;
}

export const fanOut: Benchmark = {
  id: 'fan-out',
  title: 'Email fan-out',
  description:
    "An edition emailed to every confirmed subscriber. A child process starts the local stack's " +
    'emulators as `local/stack.ts` does (s3rver, aws-ses-v2-local, the SQS server in memory, tables ' +
    "from `table-definitions.ts`, the functions' environment from `localEnvironment`; no gateway) with " +
    'dynalite in a process of its own, on disk, and writes confirmed subscribers straight into the ' +
    'Subscribers table as `DynamoSubscriberStore` stores them (`confirmedShard` = `c#0`…`c#9` for the ' +
    '`byConfirmedShard` index). Per run it starts a sender process that polls the send queue as the ' +
    "stack's event source mapping does (`startPoller`, batch size 1, 2 invocations at once, from " +
    '`local/product.ts`), runs `fanOut` wired as the publisher wires it (email stored in S3, ' +
    'confirmed pages, SendMessageBatch), and waits until the ledger counts every recipient (it watches ' +
    'the send queue and counts the ledger once the queue is empty, so counting does not load the ' +
    'dynalite being measured). **SES end ' +
    'to end**: the real `lambdas/mail/send/handler` sending to the local SES server. **Fake send**: ' +
    "`sendBatch` with the handler's adapters (DynamoDB ledger and subscribers, stored email, HMAC " +
    'unsubscribe links, `RateLimiter`) but a `send` that answers at once. Rates are sends completed ' +
    "per second against the configured maximum; memory is the sender process's own, sampled every " +
    '50 ms, against the same process at start.',
  async run({ quick, log }) {
    const fanOutPlan = plan(quick);
    const result = await startChild<FanOutResult>(CHILD, { args: [JSON.stringify(fanOutPlan)], log }).result;
    const measurements = result.runs.flatMap(runMeasurements);
    const small = result.runs[RUN.small];
    const large = result.runs[RUN.large];
    if (small !== undefined && large !== undefined) measurements.push(...sideBySide(small, large));
    measurements.push(...ledgerBound(result));

    const problems = result.runs.flatMap((figures) => checks(figures) ?? []);
    const ses = result.runs[RUN.ses];
    const limiter = result.runs[RUN.limiter];
    const notes = [
      problems.length === 0
        ? 'Every run sent each recipient exactly once: the ledger counted all of them sent and none ' +
          'skipped, the sender completed one send per recipient, no batch failed, and the send queue and ' +
          'its dead-letter queue were empty at the end.'
        : `**Problems**: ${problems.join('. ')}.`,
      ...result.runs.flatMap((figures) =>
        figures.reconciledUnknown > 0
          ? [
              `${figures.run.label}: ${figures.reconciledUnknown} send(s) got no answer in time (recorded unknown, ` +
                "never repeated at once) though the SES server had accepted them; they were settled as SES's " +
                'Send event settles them deployed, and the batch then completed.',
            ]
          : [],
      ),
      ...result.runs.map(perSecondLine),
      ...result.runs.map(trajectory),
      `The email: "${result.email.subject}", ${Math.round(result.email.htmlBytes / 1024)} KiB of HTML and ` +
        `${Math.round(result.email.textBytes / 1024)} KiB of text, from a synthetic edition of ` +
        `${result.editionHeadline.issued.toLocaleString('en-US')} issued and ${result.editionHeadline.declined} declined. ` +
        `${result.subscribersWritten.toLocaleString('en-US')} fictional subscribers (reader-nnnnnn@example.org) written ` +
        `in ${result.seedSeconds.toFixed(0)} s.`,
      ...(small === undefined || ses === undefined ? [] : [ceilingNote(small, ses)]),
      ...(limiter === undefined || ses === undefined ? [] : [limiterNote(limiter, ses)]),
      'Three processes on 2 shared cores: dynalite; the other emulators with the fan-out; the sender. ' +
        'dynalite runs on disk (LevelDB) in its own process because in memory, sharing a heap with the ' +
        "SES server's store of every message sent, a first 100,000 run slowed to about 100/s in garbage " +
        "collection (that was the stack, not the sender). During the end-to-end run the SES server's store " +
        'of sent messages is emptied every 5 s (nothing reads them), so 100,000 messages of 46 KiB fit.',
      `Plan: one run per row, in the order listed, each in a fresh sender process; edition revisions ` +
        `differ so each run starts with an empty ledger.${quick ? ' Quick run: 1,000, 2,000 and 10,000 subscribers instead of 2,000, 10,000 and 100,000.' : ''}`,
    ];
    return { measurements, notes };
  },
};
