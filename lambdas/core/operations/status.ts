import type { WeeklySchedule } from '#config/schedule';
import { nextRun } from '#config/schedule-runs';
import type { EditionRecord } from '#core/edition/ports';
import type { DisputeItem } from '#core/intake/model';
import { editionKey, type SendProgress } from '#core/mail/send-ledger';
import { ALL_WEEKS } from '#core/reissue-marks';
import type { StoredDraft } from '#core/review/gate';
import { dueEdition } from './health';

/**
 * What `npm run status` reports (contract §6): an operator's answer to "is it doing what it
 * should?" without opening a console. Plain data from the stores, then one text rendering.
 */

/** A queue and its dead letters, as SQS counts them (approximate, as SQS says). */
export interface QueueCount {
  readonly name: string;
  readonly waiting: number;
  readonly inFlight: number;
  readonly deadLettered: number;
}

export interface StatusDeps {
  readonly now: () => Date;
  readonly schedule: WeeklySchedule;
  readonly siteUrl?: string | undefined;
  readonly editions: {
    listAll(): Promise<EditionRecord[]>;
    dirtyWeeks(): Promise<string[]>;
  };
  readonly sends: { progress(edition: string): Promise<SendProgress | undefined> };
  readonly disputes: { listByStatus(status: 'open'): Promise<DisputeItem[]> };
  readonly queues: () => Promise<QueueCount[]>;
  /** The drafts under editorial review (contract §3). */
  readonly reviews: { list(): Promise<StoredDraft[]> };
}

/** A draft not yet published, and when it publishes. */
export interface DraftStatus {
  readonly week: string;
  readonly status: 'awaiting-review' | 'held' | 'approved';
  readonly runId: string;
  /** Under `window`, unless held; absent when only an approval publishes it. */
  readonly publishAt?: string;
  readonly checks: number;
}

export interface SendStatus {
  readonly week: string;
  readonly revision: number;
  readonly state: 'queueing' | 'sending' | 'paused at the daily quota' | 'paused by SES' | 'finished';
  readonly sent: number;
  readonly skipped: number;
  readonly total: number;
  /** When a paused send next asks SES whether it may go on. */
  readonly nextCheckAt?: string;
}

export interface Status {
  readonly at: string;
  /** The latest revision of the newest weeks, newest first. */
  readonly editions: readonly {
    week: string;
    revision: number;
    publishedAt: string;
    email: string;
    url?: string;
  }[];
  readonly weeks: number;
  /**
   * Published weeks marked for a re-issue the next run makes (a mark on a week never published
   * changes nothing: its first edition reads the records as they are then).
   */
  readonly reissuesPending: readonly string[];
  readonly nextRunAt: string;
  /** The week the last run should have published by now, when it has not. */
  readonly overdueWeek?: string;
  readonly sends: readonly SendStatus[];
  readonly openDisputes: { readonly count: number; readonly oldest?: { ref: string; days: number } };
  readonly queues: readonly QueueCount[];
  readonly drafts: readonly DraftStatus[];
}

/** How many of the newest weeks the report lists (the archive has them all). */
export const LATEST_EDITIONS = 5;
const DAY_MS = 24 * 60 * 60 * 1000;

function sendStatus(record: EditionRecord, progress: SendProgress): SendStatus {
  const done = progress.sent + progress.skipped;
  const state: SendStatus['state'] =
    progress.status === 'queueing'
      ? 'queueing'
      : done >= progress.total
        ? 'finished'
        : progress.paused?.reason === 'paused'
          ? 'paused by SES'
          : progress.paused?.reason === 'daily-quota'
            ? 'paused at the daily quota'
            : 'sending';
  return {
    week: record.week,
    revision: record.revision,
    state,
    sent: progress.sent,
    skipped: progress.skipped,
    total: progress.total,
    ...(progress.paused === undefined || state === 'finished'
      ? {}
      : { nextCheckAt: progress.paused.nextCheckAt }),
  };
}

export async function collectStatus(deps: StatusDeps): Promise<Status> {
  const now = deps.now();
  const [all, dirty, open, queues, stored] = await Promise.all([
    deps.editions.listAll(),
    deps.editions.dirtyWeeks(),
    deps.disputes.listByStatus('open'),
    deps.queues(),
    deps.reviews.list(),
  ]);
  const drafts: DraftStatus[] = stored.flatMap(({ draft, checks }) =>
    draft.status === 'published'
      ? []
      : [
          {
            week: draft.week,
            status: draft.status,
            runId: draft.runId,
            ...(draft.publishAt === undefined || draft.status === 'held'
              ? {}
              : { publishAt: draft.publishAt }),
            checks: checks.length,
          },
        ],
  );
  // listAll is newest week first, newest revision first: the first of each week is its latest.
  const latest = new Map<string, EditionRecord>();
  for (const record of all) if (!latest.has(record.week)) latest.set(record.week, record);
  const newest = [...latest.values()].slice(0, LATEST_EDITIONS);

  // Every emailed edition among the newest: one still sending or paused is what matters most.
  const emailed = newest.filter((record) => record.email.decision === 'send');
  const progresses = await Promise.all(
    emailed.map((record) => deps.sends.progress(editionKey(record.week, record.revision))),
  );
  const sends = emailed.flatMap((record, index) => {
    const progress = progresses[index];
    return progress === undefined ? [] : [sendStatus(record, progress)];
  });

  const due = dueEdition(deps.schedule, now);
  const oldest = [...open].sort((a, b) => a.openedAt.localeCompare(b.openedAt))[0];
  return {
    at: now.toISOString(),
    editions: newest.map((record) => ({
      week: record.week,
      revision: record.revision,
      publishedAt: record.publishedAt,
      email: record.email.decision === 'send' ? 'emailed' : `not emailed (${record.email.reason})`,
      ...(deps.siteUrl === undefined
        ? {}
        : { url: `${deps.siteUrl.replace(/\/$/, '')}/reports/${record.week}/` }),
    })),
    weeks: latest.size,
    // The jurisdiction mark stands for every published week.
    reissuesPending: dirty.includes(ALL_WEEKS)
      ? [...latest.keys()].sort()
      : dirty.filter((week) => latest.has(week)).sort(),
    nextRunAt: nextRun(deps.schedule, now).toISOString(),
    ...(due !== undefined && !latest.has(due.week) ? { overdueWeek: due.week } : {}),
    sends,
    openDisputes: {
      count: open.length,
      ...(oldest === undefined
        ? {}
        : {
            oldest: {
              ref: oldest.ref,
              days: Math.max(0, Math.floor((now.getTime() - Date.parse(oldest.openedAt)) / DAY_MS)),
            },
          }),
    },
    queues,
    drafts: drafts.sort((a, b) => a.week.localeCompare(b.week)),
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The report as `npm run status` prints it: one section per question, problems said first. */
export function formatStatus(status: Status): string {
  const lines: string[] = [];
  const problems: string[] = [];
  if (status.overdueWeek !== undefined)
    problems.push(`the week of ${status.overdueWeek} should be published by now and is not`);
  const deadLettered = status.queues.filter((queue) => queue.deadLettered > 0);
  for (const queue of deadLettered)
    problems.push(
      `${plural(queue.deadLettered, 'message')} dead-lettered on ${queue.name}: look at its function's logs, then npm run redrive -- --queue ${queue.name}`,
    );
  for (const send of status.sends.filter((s) => s.state === 'paused by SES'))
    problems.push(
      `SES has paused sending for the account: the week of ${send.week} waits (SES console: reputation)`,
    );
  if (status.openDisputes.oldest !== undefined && status.openDisputes.oldest.days >= 7)
    problems.push(
      `a dispute has been open ${status.openDisputes.oldest.days} days (${status.openDisputes.oldest.ref})`,
    );

  lines.push(
    `status at ${status.at}: ${problems.length === 0 ? 'nothing needs attention' : plural(problems.length, 'problem')}`,
  );
  for (const problem of problems) lines.push(`  ! ${problem}`);

  lines.push('', `editions (${plural(status.weeks, 'week')} published; newest first):`);
  if (status.editions.length === 0) lines.push('  none yet');
  for (const edition of status.editions) {
    lines.push(
      `  ${edition.week}  r${edition.revision}  published ${edition.publishedAt}  ${edition.email}${edition.url === undefined ? '' : `  ${edition.url}`}`,
    );
  }
  lines.push(
    `  re-issues pending: ${status.reissuesPending.length === 0 ? 'none' : status.reissuesPending.join(', ')}`,
    `  next weekly run: ${status.nextRunAt}`,
  );

  lines.push('', 'drafts under review:');
  if (status.drafts.length === 0) lines.push('  none');
  for (const draft of status.drafts) {
    const when =
      draft.status === 'held'
        ? 'held: publishes when approved'
        : draft.publishAt !== undefined
          ? `publishes at ${draft.publishAt} unless held`
          : 'publishes when approved';
    lines.push(
      `  ${draft.week}  ${draft.status}  ${when}  (${plural(draft.checks, 'check')} found something; run ${draft.runId})`,
    );
  }

  lines.push('', 'sends:');
  if (status.sends.length === 0) lines.push('  none');
  for (const send of status.sends) {
    const counts =
      send.state === 'queueing'
        ? `${send.sent} sent so far`
        : `${send.sent} sent, ${send.skipped} skipped, ${send.total - send.sent - send.skipped} waiting, of ${send.total}`;
    lines.push(
      `  ${send.week} r${send.revision}  ${send.state}: ${counts}${send.nextCheckAt === undefined ? '' : `; next check by ${send.nextCheckAt}`}`,
    );
  }

  const { count, oldest } = status.openDisputes;
  lines.push(
    '',
    `disputes: ${count === 0 ? 'none open' : `${count} open, the oldest ${plural(oldest?.days ?? 0, 'day')} (${oldest?.ref})`}`,
  );

  lines.push('', 'queues (waiting / in flight / dead-lettered):');
  for (const queue of status.queues)
    lines.push(`  ${queue.name.padEnd(14)} ${queue.waiting} / ${queue.inFlight} / ${queue.deadLettered}`);
  return lines.join('\n');
}
