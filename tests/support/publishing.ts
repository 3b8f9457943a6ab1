import type { Edition } from '../../lambdas/core/edition-model';

/**
 * Publishes in-process with the same wiring as the publisher function and the publish command
 * (the test stack has set the environment), and waits until its email, if any, is sent.
 */
export async function publish(
  date: string,
  email = true,
): Promise<{ result: string; revision: number; week: string; edition: Edition }> {
  const { publisherDeps } = await import('../../lambdas/publish/publisher');
  const { publishWeek } = await import('../../lambdas/core/publication');
  const out = await publishWeek(publisherDeps(), { date, email });
  if (out.record.email.decision === 'send') await waitForSend(out.week, out.revision);
  return { result: out.result, revision: out.revision, week: out.week, edition: out.edition };
}

export async function waitForSend(week: string, revision: number, timeoutMs = 20_000): Promise<number> {
  const { DynamoLedgerStore } = await import('../../lambdas/adapters/ledger-store');
  const { editionKey } = await import('../../lambdas/core/edition-mail');
  const ledger = new DynamoLedgerStore();
  const until = Date.now() + timeoutMs;
  for (;;) {
    const progress = await ledger.progress(editionKey(week, revision));
    if (progress?.status === 'queued' && progress.sent + progress.skipped >= progress.total)
      return progress.sent;
    if (Date.now() > until)
      throw new Error(`the send of ${week} r${revision} did not finish: ${JSON.stringify(progress)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The published report.json of a week (latest, or one revision) through the gateway. */
export async function publishedReport(gateway: string, week: string, revision?: number): Promise<Edition> {
  const path =
    revision === undefined ? `/reports/${week}/report.json` : `/reports/${week}/r${revision}/report.json`;
  const response = await fetch(new URL(path, gateway));
  if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
  return (await response.json()) as Edition;
}
