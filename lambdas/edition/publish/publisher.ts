import { createHash } from 'node:crypto';
import { invalidate } from '#adapters/cdn';
import { DynamoDisputeStore } from '#adapters/dispute-store';
import {
  dataStore,
  draftKey,
  emailKey,
  previewEditionKey,
  previewPageKey,
  putPrivateJson,
  recordsKey,
} from '#adapters/edition-data';
import { DynamoEditionStore } from '#adapters/edition-store';
import { DynamoJurisdictionStore } from '#adapters/jurisdiction-store';
import { DynamoLedgerStore } from '#adapters/ledger-store';
import { sendEmail } from '#adapters/mailer';
import { DynamoOutcomeStore } from '#adapters/outcome-store';
import { DynamoAcknowledgements, DynamoReviewStore, DynamoRunNotices } from '#adapters/review-store';
import { S3SiteWriter } from '#adapters/site-writer';
import { enqueue } from '#adapters/sqs';
import { confirmedSubscribers, DynamoSubscriberStore } from '#adapters/subscriber-store';
import { DynamoWeekReader } from '#adapters/week-reader';
import { readEnvironment } from '#config/env';
import { editorAddresses, type PublisherEnvironment, publisherEnvironment } from '#config/functions';
import { nextEditionOn, scheduleFor } from '#config/schedule';
import { correctionsSince } from '#core/edition/correction-changes';
import type { Edition } from '#core/edition/model';
import type { EditionRecord } from '#core/edition/ports';
import type { Draft, EditionRenderer, PublishDeps } from '#core/edition/publication';
import { siteLink, weekPath } from '#core/edition/site-layout';
import { fanOut } from '#core/mail/fan-out';
import { type SendJob, sendJobSchema } from '#core/mail/send-job';
import { type StoredEmail, UNSUBSCRIBE_PLACEHOLDER } from '#core/mail/send-ledger';
import {
  archiveOf,
  type RevisionSummary,
  renderCsv,
  renderEmail,
  renderFeed,
  renderIndex,
  renderPage,
  renderRetiredPart,
  renderSectionIIPart,
  sectionIIParts,
  siteAssets,
} from '#core/render';
import { renderEditorsEmail } from '#core/render/editors-email';
import { addDays } from '#core/reporting-week';
import { changedRefs, declinesBefore, NO_CONTEXT, SPIKE_WEEKS } from '#core/review/checks';
import { issuePreviewKey } from '#core/review/desk';
import { type ReviewStore, recordNotified } from '#core/review/gate';
import type { NoticeDeps } from '#core/review/notice';
import { archiveJobs } from './archive';

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

export function publisherConfigFromEnv(
  env: PublisherEnvironment = readEnvironment(publisherEnvironment),
): PublisherConfig {
  return {
    siteUrl: env.SITE_URL,
    synthetic: env.SYNTHETIC_DATA === 'true',
    contactLine: env.CONTACT_LINE,
    ...(env.API_URL ? { apiUrl: env.API_URL } : {}),
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
  const view = (options: Parameters<EditionRenderer['page']>[1]) => ({
    ...common,
    location: options.location,
    ...(options.superseded ? { supersededBy: options.superseded } : {}),
  });
  return {
    page: (edition, options) => renderPage(edition, view(options)),
    sectionIIPages: (edition, options) =>
      sectionIIParts(edition, view(options)).map((part) =>
        renderSectionIIPart(edition, view(options), part.number),
      ),
    retiredPart: (edition, options, part) => renderRetiredPart(edition, view(options), part),
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

/**
 * Everything `publishWeek` needs, wired from the environment (read here, once): the handler
 * builds it at module scope, the `publish` command once per run.
 */
export function publisherDeps(): PublishDeps & { config: PublisherConfig; editions: DynamoEditionStore } {
  const env = readEnvironment(publisherEnvironment);
  const timeZone = env.REPORT_TIME_ZONE;
  const config = publisherConfigFromEnv(env);
  const schedule = scheduleFor(timeZone);
  const outcomes = new DynamoOutcomeStore();
  const jurisdictions = new DynamoJurisdictionStore();
  const disputes = new DynamoDisputeStore();
  const editions = new DynamoEditionStore();
  const site = new S3SiteWriter(env.SITE_BUCKET);
  const data = dataStore();
  const reviews = new DynamoReviewStore();
  const acknowledgements = new DynamoAcknowledgements();
  const now = () => new Date();
  const sendQueueUrl = env.SEND_QUEUE_URL;
  const distributionId = env.DISTRIBUTION_ID;
  // Within the publisher's timeout, with room for the update itself.
  const archive = archiveJobs({
    site,
    editions,
    disputes,
    jurisdictions,
    config,
    timeZone,
    now,
    waitMs: 120_000,
  });
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
    corrections: (previous, next, week, previousIds, since) =>
      correctionsSince({ outcomes, jurisdictions }, previous, next, week, previousIds, since),
    ...(distributionId
      ? { invalidate: (paths, reference) => invalidate(distributionId, paths, reference) }
      : {}),
    archive: archive.fold,
    archiveFiles: archive.files,
    uploadAssets: async () => {
      for (const asset of siteAssets) await site.putFile(asset.path, asset.body, asset.kind, 'short');
    },
    reviews,
    previews: {
      has: (week, contentHash) => data.exists(previewEditionKey(week, contentHash)),
      // The page first: the edition's JSON is what `has` looks for, so a half-written pair is redone.
      put: async (edition) => {
        const { week, contentHash } = edition.edition;
        await data.put({
          key: previewPageKey(week, contentHash),
          body: renderPage(edition, {
            siteUrl: config.siteUrl,
            contactLine: config.contactLine,
            draft: true,
            ...(config.apiUrl ? { apiUrl: config.apiUrl } : {}),
          }),
          contentType: 'text/html; charset=utf-8',
          cacheControl: 'no-store',
        });
        await putPrivateJson(previewEditionKey(week, contentHash), edition);
      },
    },
    // The checks' context, read only under review: the 12 weeks before as the archive published
    // them (for `spike`), and the rows with a dispute open (for `open-dispute`).
    reviewContext: async (edition) => {
      const week = edition.edition.week;
      const from = addDays(week, -7 * SPIKE_WEEKS);
      const latest = new Map<string, number>();
      for (const record of await editions.listAll()) {
        if (record.week >= from && record.week < week && !latest.has(record.week))
          latest.set(record.week, record.revision);
      }
      const earlier = await Promise.all(
        [...latest].map(([earlierWeek, revision]) => site.readEdition(earlierWeek, revision)),
      );
      const open = await disputes.listByStatus('open');
      // Against the draft as its editors first saw it: the rows any record change since moved.
      const stored = await reviews.get(week);
      const first =
        stored?.draft.status === 'published' ? undefined : stored?.draft.decisions[0]?.contentHash;
      let changedAfterDraft: string[] = [];
      if (first !== undefined && first !== edition.edition.contentHash) {
        const text = await data.getText(previewEditionKey(week, first));
        if (text !== undefined) changedAfterDraft = changedRefs(JSON.parse(text) as Edition, edition);
      }
      return {
        ...NO_CONTEXT,
        changedAfterDraft,
        acknowledgedPairs: await acknowledgements.pairs(),
        declinesBefore: declinesBefore(
          week,
          earlier.filter((e): e is Edition => e !== undefined),
        ),
        openDisputeRefs: new Set(open.map((dispute) => dispute.ref)),
      };
    },
    drafts: {
      put: (week, revision, attempt, draft) => putPrivateJson(draftKey(week, revision, attempt), draft),
      get: async (week, revision, attempt) => {
        const text = await data.getText(draftKey(week, revision, attempt));
        return text === undefined ? undefined : (JSON.parse(text) as Draft);
      },
    },
    revisionRecords: {
      get: async (week, revision) => {
        const text = await data.getText(recordsKey(week, revision));
        return text === undefined ? undefined : (JSON.parse(text) as string[]);
      },
      put: (week, revision, ids) => putPrivateJson(recordsKey(week, revision), ids),
    },
    ...(sendQueueUrl === undefined ? {} : { send: sendWith(sendQueueUrl, config, now) }),
  };
}

/** The fan-out, wired once: subscribers and ledger exist only where the publisher sends mail. */
function sendWith(sendQueueUrl: string, config: PublisherConfig, now: () => Date): PublishDeps['send'] {
  const subscribers = new DynamoSubscriberStore();
  const deps = {
    ledger: new DynamoLedgerStore(),
    storeEmail: (week: string, revision: number, email: StoredEmail) =>
      putPrivateJson(emailKey(week, revision), email),
    renderEmail: (edition: Edition) => renderStoredEmail(edition, config),
    confirmedPages: () => confirmedSubscribers(subscribers),
    enqueue: (jobs: readonly SendJob[]) => enqueue(sendQueueUrl, sendJobSchema, jobs),
    now,
  };
  return async (edition, record, options) => {
    await fanOut(deps, edition, record, options);
  };
}

/** The intake API's root, ending in `/` (the editors' desk is served there). */
function apiRoot(config: PublisherConfig): URL {
  const root = new URL(config.apiUrl ?? config.siteUrl);
  if (!root.pathname.endsWith('/')) root.pathname += '/';
  return root;
}

/** A new preview link of the draft of `week`: `GET /editions/{week}/draft?key=K`, 72 hours, no token. */
export async function previewLink(
  reviews: ReviewStore,
  config: PublisherConfig,
  week: string,
): Promise<{ url: string; expiresAt: string }> {
  const { key, expiresAt } = await issuePreviewKey(reviews, week, new Date());
  const url = new URL(`editions/${week}/draft`, apiRoot(config));
  url.searchParams.set('key', key);
  return { url: url.href, expiresAt };
}

/**
 * The editors' email of each run and of a draft changed after it (contract §3), wired from the
 * environment: absent when REVIEW_MODE is off; EDITOR_EMAILS is required otherwise.
 */
export function editorNotices(
  deps: { reviews?: ReviewStore | undefined; editions: DynamoEditionStore; config: PublisherConfig },
  env: PublisherEnvironment = readEnvironment(publisherEnvironment),
): NoticeDeps | undefined {
  const reviews = deps.reviews;
  if (env.REVIEW_MODE === 'off' || reviews === undefined) return undefined;
  const editors = editorAddresses(env.EDITOR_EMAILS);
  const mode = env.REVIEW_MODE;
  const data = dataStore();
  return {
    runs: new DynamoRunNotices(),
    drafts: reviews,
    edition: async (stored) => {
      const text = await data.getText(previewEditionKey(stored.draft.week, stored.draft.contentHash));
      return text === undefined ? undefined : (JSON.parse(text) as Edition);
    },
    latest: (week) => deps.editions.latest(week),
    preview: (week) => previewLink(reviews, deps.config, week),
    render: (weeks, kind) =>
      renderEditorsEmail(weeks, kind, {
        timeZone: env.REPORT_TIME_ZONE,
        mode,
        apiUrl: apiRoot(deps.config).href,
        synthetic: deps.config.synthetic,
      }),
    editors,
    // One message per editor: no editor learns the others' addresses.
    sendTo: async (to, email) => {
      await sendEmail({ to, ...email, tags: { kind: 'editors' } });
    },
    recipientKey: (to) => createHash('sha256').update(to.toLowerCase()).digest('hex').slice(0, 32),
    notified: (week, contentHash) => recordNotified(reviews, week, contentHash),
    now: () => new Date(),
  };
}
