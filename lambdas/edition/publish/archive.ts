import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDisputeStore } from '#adapters/dispute-store';
import type { DynamoEditionStore } from '#adapters/edition-store';
import type { DynamoJurisdictionStore } from '#adapters/jurisdiction-store';
import type { S3SiteWriter } from '#adapters/site-writer';
import { FUNCTIONS } from '#config/runtime';
import {
  type ArchiveDispute,
  type ArchiveRenderer,
  type ArchiveSiteDeps,
  buildArchiveFiles,
  updateArchive,
} from '#core/edition/archive-site';
import type { Edition } from '#core/edition/model';
import { csvLines } from '#core/render/declined-csv';
import { dateIn } from '#core/render/format';
import {
  ARCHIVE_DECLINES_COLUMNS,
  csvHeader,
  declineYears,
  renderDataReadme,
  renderJurisdictionCsv,
  renderJurisdictionIndex,
  renderJurisdictionPage,
  renderJurisdictionYear,
  WEEKLY_COLUMNS,
  weekDeclineRows,
  weekWeeklyRows,
} from '#core/render/jurisdiction-pages';

/**
 * As long as the publisher may run: a holder that died has stopped by the time its lease lapses,
 * so two folds never overlap (a fold takes seconds; a lease outliving a crash only delays).
 */
const LEASE_MS = FUNCTIONS.publish.timeoutSeconds * 1000;
const WAIT_STEP_MS = 250;

/** How long one listing of the disputes serves the folds that follow it. */
const DISPUTES_REUSE_MS = 10_000;

/** Every dispute, open and resolved, as the archive counts them (three Queries of `byStatus`). */
async function listDisputes(disputes: DynamoDisputeStore): Promise<ArchiveDispute[]> {
  const all = await Promise.all(
    (['open', 'corrected', 'rejected'] as const).map((status) => disputes.listByStatus(status)),
  );
  return all.flat().map((dispute) => ({
    id: dispute.id,
    ref: dispute.ref,
    open: dispute.status === 'open',
    jurisdictionIds: dispute.jurisdictionIds,
  }));
}

export function archiveRenderer(config: { siteUrl: string; contactLine: string }): ArchiveRenderer {
  const view = { contactLine: config.contactLine };
  return {
    jurisdictionPage: (history, asOf) => renderJurisdictionPage(history, view, asOf),
    jurisdictionYears: (history, asOf) =>
      [...declineYears(history)].map(([year, declines]) => ({
        year,
        page: renderJurisdictionYear(history, year, declines, view, asOf),
      })),
    jurisdictionCsv: renderJurisdictionCsv,
    index: (summaries, synthetic) => renderJurisdictionIndex(summaries, { ...view, synthetic }),
    weekDeclines: (edition) => csvLines(weekDeclineRows(edition)),
    weekWeekly: (edition) => csvLines(weekWeeklyRows(edition)),
    declinesHeader: csvHeader(ARCHIVE_DECLINES_COLUMNS),
    weeklyHeader: csvHeader(WEEKLY_COLUMNS),
    readme: renderDataReadme(config.siteUrl),
  };
}

/**
 * The archive's two jobs: a publication's fold of its week (`fold`), and the index and data
 * files built from every week (`files`, once per run). One at a time across the publisher's
 * concurrent invocations, under a lease in the editions table.
 */
export function archiveJobs(stores: {
  site: S3SiteWriter;
  editions: DynamoEditionStore;
  disputes: DynamoDisputeStore;
  jurisdictions: DynamoJurisdictionStore;
  config: { siteUrl: string; contactLine: string };
  timeZone: string;
  now: () => Date;
  /** How long to wait for the lease before giving up (the message is retried). */
  waitMs: number;
}): {
  fold: (edition: Edition) => Promise<unknown>;
  files: (options?: { force?: boolean }) => Promise<unknown>;
} {
  let listed: { at: number; disputes: Promise<ArchiveDispute[]> } | undefined;
  const deps: ArchiveSiteDeps = {
    site: stores.site,
    render: archiveRenderer(stores.config),
    today: () => dateIn(stores.now().toISOString(), stores.timeZone),
    recordedPolicies: async (ids) =>
      new Map([...(await stores.jurisdictions.getMany(ids))].map(([id, item]) => [id, item.policies])),
    disputes: (options) => {
      // One listing serves the folds of the next few seconds (a rebuild or a re-issue run folds
      // many revisions in a row). Safe to reuse: a dispute a fold missed leaves the jurisdiction's
      // disputes unlike what its page recorded, so the run's build (always a fresh listing)
      // counts it.
      const at = stores.now().getTime();
      if (options?.fresh === true || listed === undefined || at - listed.at > DISPUTES_REUSE_MS) {
        const disputes = listDisputes(stores.disputes);
        listed = { at, disputes };
        disputes.catch(() => {
          if (listed?.disputes === disputes) listed = undefined;
        });
      }
      return listed.disputes;
    },
    exclusive: async (work) => {
      const holder = crypto.randomUUID();
      const deadline = stores.now().getTime() + stores.waitMs;
      while (!(await stores.editions.takeArchiveLease(holder, stores.now().getTime(), LEASE_MS))) {
        if (stores.now().getTime() > deadline) {
          throw new Error('another publication is updating the jurisdiction pages: try again later');
        }
        await sleep(WAIT_STEP_MS);
      }
      try {
        return await work();
      } finally {
        await stores.editions.releaseArchiveLease(holder);
      }
    },
  };
  return {
    fold: (edition) => updateArchive(deps, edition),
    files: (options) => buildArchiveFiles(deps, options),
  };
}
