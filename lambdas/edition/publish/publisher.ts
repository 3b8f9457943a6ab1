import { invalidate } from '#adapters/cdn';
import { DynamoDisputeStore } from '#adapters/dispute-store';
import { dataStore, emailKey, putPrivateJson, recordsKey } from '#adapters/edition-data';
import { DynamoEditionStore } from '#adapters/edition-store';
import { DynamoJurisdictionStore } from '#adapters/jurisdiction-store';
import { DynamoLedgerStore } from '#adapters/ledger-store';
import { DynamoOutcomeStore } from '#adapters/outcome-store';
import { enqueueSendJobs } from '#adapters/send-queue';
import { S3SiteWriter } from '#adapters/site-writer';
import { confirmedSubscribers, DynamoSubscriberStore } from '#adapters/subscriber-store';
import { DynamoWeekReader } from '#adapters/week-reader';
import { optionalEnv, reportTimeZone, requireEnv } from '#config/env';
import { nextEditionOn, scheduleFor } from '#config/schedule';
import { correctionsSince } from '#core/edition/correction-changes';
import type { Edition } from '#core/edition/model';
import type { EditionRecord } from '#core/edition/ports';
import type { EditionRenderer, PublishDeps } from '#core/edition/publication';
import { siteLink, weekPath } from '#core/edition/site-layout';
import { fanOut } from '#core/mail/fan-out';
import { type StoredEmail, UNSUBSCRIBE_PLACEHOLDER } from '#core/mail/send-ledger';
import {
  archiveOf,
  type RevisionSummary,
  renderCsv,
  renderEmail,
  renderFeed,
  renderIndex,
  renderPage,
  siteAssets,
} from '#core/render';

/**
 * The publisher's adapters, built once per container from the environment. The same wiring
 * serves the deployed function and the local `npm run publish` command.
 */
export interface PublisherConfig {
  siteUrl: string;
  synthetic: boolean;
  contactLine: string;
  apiUrl?: string;
}

export function publisherConfigFromEnv(): PublisherConfig {
  const apiUrl = process.env.API_URL;
  return {
    siteUrl: requireEnv('SITE_URL'),
    synthetic: optionalEnv('SYNTHETIC_DATA', 'false') === 'true',
    contactLine: optionalEnv(
      'CONTACT_LINE',
      'Corrections and questions: use the dispute process described in Section IV.',
    ),
    ...(apiUrl ? { apiUrl } : {}),
  };
}

export function summaryOf(record: EditionRecord, timeZone: string): RevisionSummary {
  return {
    week: record.week,
    weekEnd: record.weekEnd,
    revision: record.revision,
    publishedAt: record.publishedAt,
    timeZone,
    headline: record.headline,
    synthetic: record.synthetic,
    corrections: record.correctionsAdded,
  };
}

export function editionRenderer(config: PublisherConfig, timeZone: string): EditionRenderer {
  const common = {
    siteUrl: config.siteUrl,
    contactLine: config.contactLine,
    ...(config.apiUrl ? { apiUrl: config.apiUrl } : {}),
  };
  return {
    page: (edition, options) =>
      renderPage(edition, {
        ...common,
        location: options.location,
        ...(options.superseded ? { supersededBy: options.superseded } : {}),
      }),
    csv: renderCsv,
    json: (edition) => `${JSON.stringify(edition, null, 2)}\n`,
    index: (records, latest) =>
      renderIndex(archiveOf(records.map((r) => summaryOf(r, timeZone))), latest, {
        contactLine: config.contactLine,
      }),
    feed: (records) =>
      renderFeed(
        records.map((r) => summaryOf(r, timeZone)),
        config.siteUrl,
      ),
  };
}

export function renderStoredEmail(edition: Edition, config: PublisherConfig): StoredEmail {
  return renderEmail(edition, {
    reportUrl: siteLink(config.siteUrl, weekPath(edition.edition.week)),
    unsubscribeUrl: UNSUBSCRIBE_PLACEHOLDER,
    contactLine: config.contactLine,
    siteUrl: config.siteUrl,
  });
}

export function publisherDeps(
  overrides: { now?: () => Date; email?: boolean } = {},
): PublishDeps & { config: PublisherConfig } {
  const timeZone = reportTimeZone();
  const config = publisherConfigFromEnv();
  const schedule = scheduleFor(timeZone);
  const outcomes = new DynamoOutcomeStore();
  const jurisdictions = new DynamoJurisdictionStore();
  const disputes = new DynamoDisputeStore();
  const editions = new DynamoEditionStore();
  const site = new S3SiteWriter(requireEnv('SITE_BUCKET'));
  const data = dataStore();
  const now = overrides.now ?? (() => new Date());
  const sendQueueUrl = process.env.SEND_QUEUE_URL;
  const distributionId = process.env.DISTRIBUTION_ID;
  return {
    config,
    weeks: new DynamoWeekReader(),
    editions,
    site,
    render: editionRenderer(config, timeZone),
    timeZone,
    synthetic: config.synthetic,
    siteUrl: config.siteUrl,
    now,
    nextEditionOn: (at) => nextEditionOn(schedule, at),
    openDisputes: async () => {
      const open = await disputes.listByStatus('open');
      const oldest = open.map((d) => d.openedAt).sort()[0];
      if (oldest === undefined) return { count: 0 };
      const ageDays = Math.floor((now().getTime() - Date.parse(oldest)) / 86_400_000);
      return { count: open.length, oldestOpenedAt: oldest, oldestAgeDays: ageDays };
    },
    corrections: (previous, next, week, previousIds) =>
      correctionsSince({ outcomes, jurisdictions }, previous, next, week, previousIds),
    ...(distributionId
      ? { invalidate: (paths, reference) => invalidate(distributionId, paths, reference) }
      : {}),
    uploadAssets: async () => {
      for (const asset of siteAssets) await site.putFile(asset.path, asset.body, 'css', 'short');
    },
    revisionRecords: {
      get: async (week, revision) => {
        const text = await data.getText(recordsKey(week, revision));
        return text === undefined ? undefined : (JSON.parse(text) as string[]);
      },
      put: (week, revision, ids) => putPrivateJson(recordsKey(week, revision), ids),
    },
    ...(sendQueueUrl === undefined
      ? {}
      : {
          send: async (edition, record) => {
            const subscribers = new DynamoSubscriberStore();
            await fanOut(
              {
                ledger: new DynamoLedgerStore(),
                storeEmail: (week, revision, email) => putPrivateJson(emailKey(week, revision), email),
                renderEmail: (e) => renderStoredEmail(e, config),
                confirmedPages: () => confirmedSubscribers(subscribers),
                enqueue: (jobs) => enqueueSendJobs(sendQueueUrl, jobs),
                now,
              },
              edition,
              record,
            );
          },
        }),
  };
}
