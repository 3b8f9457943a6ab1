/**
 * npm run weekly [-- --at ISO-TIME]
 * Runs the weekly job now, exactly as the schedule would at that time (the report function with
 * `{"scheduledTime": …}`), then waits until every week it queued has been through the publisher,
 * published or made a draft under editorial review (it never waits for a review window), and
 * prints each week's state and each draft's publishAt. Finds the running local stack through $DATA_DIR/stack.json, or
 * with --deployed --stage S the deployment's report function and publish queue.
 */
import {
  commandOptions,
  connect,
  fail,
  failWith,
  invokeFunction,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetOf,
  usage,
} from './stack-connection';

const USAGE = `usage:
  npm run weekly [-- --at ISO-TIME] [--timeout SECONDS] [--deployed --stage NAME]
    --at       the time the schedule would run at, e.g. 2017-03-13T13:00:00Z (default: now; not later than now)
    --timeout  how long to wait for the publications (default 900)
${TARGET_USAGE}`;

async function main(): Promise<void> {
  const options = {
    at: { type: 'string' },
    timeout: { type: 'string', default: '900' },
    ...TARGET_OPTIONS,
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
  const values = commandOptions(options, USAGE);
  if (values === undefined) return;
  const at = values.at === undefined ? undefined : new Date(values.at);
  if (values.at !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(values.at) || Number.isNaN(at?.getTime()))) {
    usage(`--at must be an ISO time such as 2017-03-13T13:00:00Z, not "${values.at}"\n${USAGE}`);
  }
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1)
    usage(`--timeout must be a whole number of seconds\n${USAGE}`);

  const connection = await connect(targetOf(values, USAGE));
  // The stack's clock (LOCAL_NOW moves it), which the schedule's "now" is.
  const now = new Date(Date.now() + connection.clockOffsetMs);
  if (at !== undefined && at.getTime() > now.getTime())
    usage(`--at ${values.at} is later than now (${now.toISOString()}): the schedule cannot run then yet`);
  const { QUEUES } = await import('#config/runtime');
  const { DynamoEditionStore } = await import('#adapters/edition-store');
  const { DynamoReviewStore } = await import('#adapters/review-store');
  const { requireEnv } = await import('#config/env');

  const startedAt = now.toISOString();
  const scheduledTime = (at ?? now).toISOString();
  // The report function itself, as the schedule invokes it, with its own role.
  const { weeks } = await invokeFunction<{ weeks: string[] }>(connection, 'report', { scheduledTime });
  console.log(`weekly run for ${scheduledTime}: queued ${weeks.join(', ')}`);

  const queueUrl = requireEnv(QUEUES.publish.envVar);
  const editions = new DynamoEditionStore();
  const reviews = new DynamoReviewStore();
  const drafted = async (week: string) => {
    const stored = await reviews.get(week);
    return stored !== undefined && stored.draft.status !== 'published' ? stored : undefined;
  };
  // Asked only when nothing but delayed messages is left (every message went through once): a
  // week is settled as a draft, or published with its mark cleared (a re-issue whose content
  // had not changed keeps its revision: published before this run, and settled all the same).
  const settled = async () => {
    const marked = await editions.dirtyWeeks();
    for (const week of weeks) {
      if ((await drafted(week)) !== undefined) continue;
      const latest = await editions.latest(week);
      if (latest === undefined || marked.includes(week)) return false;
    }
    return true;
  };
  await waitUntilIdle(queueUrl, timeoutSeconds * 1000, settled);
  const marked = await editions.dirtyWeeks();
  let pending = 0;
  for (const week of weeks) {
    const latest = await editions.latest(week);
    const draft = await drafted(week);
    let state: string;
    if (draft !== undefined) {
      const { status, publishAt } = draft.draft;
      const when =
        status === 'held'
          ? 'held: it publishes when approved'
          : publishAt !== undefined
            ? `publishes at ${publishAt} unless held`
            : 'publishes when approved';
      state = `draft (${status}), ${when}${latest ? `; r${latest.revision} stays published` : ''}: npm run review -- --week ${week}`;
    } else if (latest === undefined || marked.includes(week)) {
      state = `pending${latest ? ` (r${latest.revision} stays published)` : ''}: see npm run status and the dead-letter queue`;
      pending += 1;
    } else {
      const made = latest.publishedAt >= startedAt ? 'published' : 'unchanged';
      const email = latest.email.decision === 'send' && made === 'published' ? ', emailed' : '';
      state = `${made} r${latest.revision}${email}`;
    }
    console.log(`${week} ${state}`);
  }
  // The index of jurisdictions and the /data/ files, built now rather than after the queue's
  // delayed build (contract §4: once per weekly run, after its last week).
  await invokeFunction(connection, 'publish', { archive: true });
  if (pending > 0) fail(`${pending} week(s) of the run did not publish`);
}

/**
 * Until the publish queue holds nothing visible, in flight or delayed, twice a little apart; or,
 * when it holds only delayed messages, until every week of the run is published or a draft.
 */
async function waitUntilIdle(
  queueUrl: string,
  timeoutMs: number,
  settled: () => Promise<boolean>,
): Promise<void> {
  const { GetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
  const { sqs } = await import('#adapters/sqs');
  const busy = async () => {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    const count = (
      name:
        | 'ApproximateNumberOfMessages'
        | 'ApproximateNumberOfMessagesNotVisible'
        | 'ApproximateNumberOfMessagesDelayed',
    ) => Number(out.Attributes?.[name] ?? 0);
    return {
      active: count('ApproximateNumberOfMessages') + count('ApproximateNumberOfMessagesNotVisible'),
      delayed: count('ApproximateNumberOfMessagesDelayed'),
    };
  };
  const deadline = Date.now() + timeoutMs;
  let idleChecks = 0;
  while (idleChecks < 2) {
    if (Date.now() > deadline) fail('the run did not finish in time; npm run status shows where it stands');
    await new Promise((resolve) => setTimeout(resolve, 250));
    const { active, delayed } = await busy();
    // Only delayed messages left: a draft waiting for its review window ends the wait, as every
    // week of the run is then published or a draft.
    if (active === 0 && delayed > 0 && (await settled())) return;
    idleChecks = active + delayed === 0 ? idleChecks + 1 : 0;
  }
}

main().catch(failWith);
