/**
 * npm run publish -- --week YYYY-MM-DD [--no-email] [--as NAME]   publish the week containing that date,
 *   whatever its draft's review state (recorded as published-by-operator, by NAME)
 * npm run publish -- --week YYYY-MM-DD --preview      render it to local files only
 * Finds the running local stack through $DATA_DIR/stack.json (or, with --deployed --stage S,
 * the deployment's publisher function and tables, from its stack outputs).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { DirectPublishResult } from '#lambdas/edition/publish/handler';
import { ProgressBar } from './progress';
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
  npm run publish -- --week YYYY-MM-DD [--no-email] [--as NAME] [--deployed --stage NAME]
  npm run publish -- --week YYYY-MM-DD --preview [--deployed --stage NAME]
    --week        any date of the week to publish (weeks run Monday to Sunday in the report's time zone)
    --no-email    publish the site only; the week's email is not sent
    --as          who publishes (default: the system user): a draft under review is published
                  now, even over a hold, and Section IV says so (published-by-operator)
    --preview     render the edition to local files; nothing is published or emailed
${TARGET_USAGE}`;

async function main(): Promise<void> {
  const options = {
    week: { type: 'string' },
    email: { type: 'boolean', default: true },
    'no-email': { type: 'boolean', default: false },
    preview: { type: 'boolean', default: false },
    as: { type: 'string' },
    ...TARGET_OPTIONS,
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
  const values = commandOptions(options, USAGE);
  if (values === undefined) return;
  const date = values.week;
  if (date === undefined) usage(`--week is required\n${USAGE}`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
    usage(`--week must be a date written YYYY-MM-DD, not "${date}"\n${USAGE}`);
  const { isCalendarDate, weekOf } = await import('#core/reporting-week');
  if (!isCalendarDate(date)) usage(`--week ${date} is not a real calendar date\n${USAGE}`);
  const operator = values.as ?? userInfo().username;
  if (operator.trim() === '' || operator.length > 100)
    usage(`--as must name who publishes in 1 to 100 characters\n${USAGE}`);
  if (values.preview && values['no-email'])
    usage(`--preview emails nobody already: leave out --no-email\n${USAGE}`);
  const target = targetOf(values, USAGE);
  const connection = await connect(target);

  const { publisherDeps, renderStoredEmail } = await import('#lambdas/edition/publish/publisher');
  const { draftEdition } = await import('#core/edition/publication');
  const deps = publisherDeps();

  if (values.preview) {
    const week = weekOf(date);
    const data = await deps.weeks.readWeek(week);
    const latest = await deps.editions.latest(week);
    const edition = await draftEdition(deps, data, (latest?.revision ?? 0) + 1, {
      corrections: [],
      earlierCorrections: [],
      correctionsSinceLastEdition: 0,
    });
    const dir = join(connection.dataDir ?? process.cwd(), 'preview', week);
    await mkdir(dir, { recursive: true });
    const email = renderStoredEmail(edition, deps.config);
    const files: [string, string][] = [
      ['index.html', deps.render.page(edition, { location: 'latest' })],
      ['report.json', deps.render.json(edition)],
      ['declined.csv', deps.render.csv(edition)],
      ['email.html', email.html],
      ['email.txt', `Subject: ${email.subject}\n\n${email.text}`],
    ];
    for (const [name, body] of files) await writeFile(join(dir, name), body);
    console.log(
      `preview of the week of ${week} (draft revision ${edition.edition.revision}; nothing published or emailed):`,
    );
    for (const [name] of files) console.log(`  ${join(dir, name)}`);
    console.log(
      '(the page links its stylesheet from /assets/site.css: open it through the site for styling)',
    );
    return;
  }

  // The publisher function itself, with its own role: a grant it lacks fails this command too.
  const result = await invokeFunction<DirectPublishResult>(connection, 'publish', {
    date,
    email: !values['no-email'],
    operator,
  });
  const { week, revision } = result;
  console.log(
    result.result === 'published'
      ? `published the week of ${week}: revision ${revision}`
      : `the week of ${week} is unchanged since revision ${revision}: nothing new to publish`,
  );
  let sent = 0;
  if (result.email.decision === 'send') {
    sent = await waitForSend(week, revision);
  } else {
    console.log(`no email: ${result.email.reason ?? 'none'}`);
  }
  console.log(`page: ${result.url}`);
  console.log(`emails sent for this edition: ${sent}`);
}

/**
 * Follows the send ledger until every queued recipient is sent or skipped, with the demo's
 * progress bar; stops waiting (the send goes on by itself) at the daily quota or an account pause.
 */
async function waitForSend(week: string, revision: number): Promise<number> {
  const { DynamoLedgerStore } = await import('#adapters/ledger-store');
  const { editionKey } = await import('#core/mail/send-ledger');
  const ledger = new DynamoLedgerStore();
  const key = editionKey(week, revision);
  const started = Date.now();
  let bar: ProgressBar | undefined;
  for (;;) {
    const progress = await ledger.progress(key);
    if (progress?.status === 'queued') {
      const done = progress.sent + progress.skipped;
      if (progress.total === 0) {
        console.log('no confirmed subscribers: nobody to email');
        return 0;
      }
      bar ??= new ProgressBar(progress.total, { unit: 'emails' });
      bar.set(done);
      if (done >= progress.total) {
        bar.finish();
        if (progress.skipped > 0)
          console.log(`skipped ${progress.skipped} (suppressed, unsubscribed or refused by SES)`);
        return progress.sent;
      }
      if (progress.paused !== undefined) {
        bar.finish();
        const left = progress.total - done;
        const next = progress.paused.nextCheckAt;
        if (progress.paused.reason === 'paused') {
          fail(
            `SES has paused sending for the account: ${progress.sent} sent, ${left} waiting. ` +
              `Nobody is lost: the sender asks SES again every 15 minutes (next by ${next}) and goes on when ` +
              'sending is enabled. Find out why in the SES console (reputation, bounces, complaints).',
          );
        }
        console.log(
          `paused at SES's daily quota: ${progress.sent} sent, ${left} waiting; sending resumes on its own ` +
            `as the rolling 24-hour quota allows (next check by ${next}). \`npm run status\` follows it.`,
        );
        return progress.sent;
      }
    }
    if (Date.now() - started > 30 * 60_000) {
      bar?.finish();
      fail('the send did not finish within 30 minutes; it goes on by itself: npm run status follows it');
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

main().catch(failWith);
