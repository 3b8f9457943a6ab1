import type { Edition, Headline } from './model';

/** What is kept of each published revision: enough for the archive, the feed and the next run. */
export interface EditionRecord {
  week: string;
  weekEnd: string;
  revision: number;
  contentHash: string;
  publishedAt: string;
  headline: Headline;
  synthetic: boolean;
  /** Corrections-log entries this revision added. */
  correctionsAdded: number;
  /** The email decision, recorded with the publication so a rerun completes it. */
  email: { decision: 'send' | 'none'; reason: string };
}

export interface EditionStore {
  latest(week: string): Promise<EditionRecord | undefined>;
  /** Stores a new revision; false when that revision already exists (a concurrent publish won). */
  commit(record: EditionRecord): Promise<boolean>;
  /** Every revision of every week, newest week first, then newest revision first. */
  listAll(): Promise<EditionRecord[]>;
  /** The newest week whose edition has been emailed. */
  lastEmailedWeek(): Promise<string | undefined>;
  /** Records that `week` was emailed (keeps the newest). */
  markEmailed(week: string): Promise<void>;
  /** Weeks whose records changed since they were published (re-issue candidates). */
  dirtyWeeks(): Promise<string[]>;
  markDirty(weeks: readonly string[], at: string): Promise<void>;
  clearDirty(week: string, seenAt: string): Promise<void>;
}

/** The published site's files, and the stored editions' full data. */
export interface SiteWriter {
  putFile(
    key: string,
    body: string,
    kind: 'html' | 'json' | 'csv' | 'atom' | 'css',
    cache: 'immutable' | 'short',
  ): Promise<void>;
  readEdition(week: string, revision: number): Promise<Edition | undefined>;
}
