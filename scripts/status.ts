/**
 * npm run status [-- --json] [--deployed --stage NAME]
 * What the stack is doing (contract §6): the latest editions, re-issues pending, the next weekly
 * run, sends in progress or paused at the quota with their counts, open disputes and their age,
 * and every queue with its dead letters. Reads only, with the operator role: locally the stack
 * of $DATA_DIR, deployed the stack of the stage, found from its outputs.
 */
import {
  commandOptions,
  connect,
  failWith,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetOf,
} from './stack-connection';

const USAGE = `usage:
  npm run status [-- --json] [--deployed --stage NAME]
    --json        the same report as JSON, for a script or a dashboard
${TARGET_USAGE}`;

async function main(): Promise<void> {
  const values = commandOptions(
    {
      json: { type: 'boolean', default: false },
      ...TARGET_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (values === undefined) return;
  const connection = await connect(targetOf(values, USAGE));

  const { GetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
  const { sqs } = await import('#adapters/sqs');
  const { DynamoEditionStore } = await import('#adapters/edition-store');
  const { DynamoLedgerStore } = await import('#adapters/ledger-store');
  const { DynamoDisputeStore } = await import('#adapters/dispute-store');
  const { DynamoReviewStore } = await import('#adapters/review-store');
  const { reportTimeZone, requireEnv } = await import('#config/env');
  const { deadLetterEnvVar, QUEUES } = await import('#config/runtime');
  const { scheduleFor } = await import('#config/schedule');
  const { collectStatus, formatStatus } = await import('#core/operations/status');

  const count = async (
    url: string,
    names: ('ApproximateNumberOfMessages' | 'ApproximateNumberOfMessagesNotVisible')[],
  ) => {
    const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }));
    return names.map((name) => Number(out.Attributes?.[name] ?? 0));
  };
  const status = await collectStatus({
    // The stack's clock (LOCAL_NOW moves it locally).
    now: () => new Date(Date.now() + connection.clockOffsetMs),
    schedule: scheduleFor(reportTimeZone()),
    siteUrl: process.env.SITE_URL,
    editions: new DynamoEditionStore(),
    sends: new DynamoLedgerStore(),
    disputes: new DynamoDisputeStore(),
    reviews: new DynamoReviewStore(),
    queues: () =>
      Promise.all(
        (Object.keys(QUEUES) as (keyof typeof QUEUES)[]).map(async (name) => {
          const { envVar } = QUEUES[name];
          const [[waiting = 0, inFlight = 0], [deadLettered = 0]] = await Promise.all([
            count(requireEnv(envVar), [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
            ]),
            count(requireEnv(deadLetterEnvVar(envVar)), ['ApproximateNumberOfMessages']),
          ]);
          return { name, waiting, inFlight, deadLettered };
        }),
      ),
  });
  console.log(values.json ? JSON.stringify(status, null, 2) : formatStatus(status));
}

main().catch(failWith);
