import { requireEnv } from '#config/env';
import type { StoredEmail } from '#core/mail/send-ledger';
import { ObjectStore } from './object-store';

/**
 * The private data bucket: what the publisher keeps for later steps and never publishes (the
 * rendered email awaiting per-reader links, the detainer ids each revision was built from).
 */
export const emailKey = (week: string, revision: number) => `editions/${week}/r${revision}/email.json`;
/** Every stored email and nothing else of the bucket (the sender's grant: no id lists, no drafts). */
export const EMAIL_KEY_PATTERN = 'editions/*/email.json';
export const recordsKey = (week: string, revision: number) => `editions/${week}/r${revision}/records.json`;
/** One publication attempt's edition, kept before its commit: a racing attempt never overwrites it. */
export const draftKey = (week: string, revision: number, attempt: string) =>
  `editions/${week}/r${revision}/drafts/${attempt}.json`;

/**
 * A draft under editorial review, as the publisher assembled it (one content hash): its page,
 * rendered for the intake API to serve to editors, and its report.json fields.
 */
export const previewPageKey = (week: string, contentHash: string) =>
  `editions/${week}/review/${contentHash}/page.html`;
export const previewEditionKey = (week: string, contentHash: string) =>
  `editions/${week}/review/${contentHash}/edition.json`;
/** The drafts' files and nothing else of the bucket (the intake API's grant). */
export const PREVIEW_KEY_PATTERN = 'editions/*/review/*';

let store: ObjectStore | undefined;
export function dataStore(): ObjectStore {
  store ??= new ObjectStore(requireEnv('DATA_BUCKET'));
  return store;
}

export async function readStoredEmail(week: string, revision: number): Promise<StoredEmail> {
  const text = await dataStore().getText(emailKey(week, revision));
  if (text === undefined) throw new Error(`no stored email for ${week} r${revision}`);
  return JSON.parse(text) as StoredEmail;
}

export async function putPrivateJson(key: string, value: unknown): Promise<void> {
  await dataStore().put({
    key,
    body: JSON.stringify(value),
    contentType: 'application/json',
    cacheControl: 'no-store',
  });
}
