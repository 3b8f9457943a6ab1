import type { Edition, Headline } from './model';

/** What is kept of each published revision: enough for the archive, the feed and the next run. */
export interface EditionRecord {
  week: string;
  weekEnd: string;
  revision: number;
  contentHash: string;
  publishedAt: string;
  /**
   * The private draft of the attempt that won this revision (`drafts.get`), from which its
   * public files are written, and written again identically if a publication stopped before.
   */
  draft?: string;
  /**
   * When the publication started reading the week: a change after it may be missing from this
   * revision, so the next revision's corrections log looks at changes since then. Absent from
   * revisions published before it was kept (their `publishedAt` stands in).
   */
  readAt?: string;
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
  /**
   * Claims the email for `week` before its revision 1 is committed: false when a later week was
   * claimed first (the week is then a backfill and stays quiet). Racers of one week all pass; only
   * the one whose commit wins sends.
   */
  claimEmail(week: string): Promise<boolean>;
  /** Records that `week` was emailed (keeps the newest). */
  markEmailed(week: string): Promise<void>;
  /** Weeks whose records changed since they were published (re-issue candidates). */
  dirtyWeeks(): Promise<string[]>;
  markDirty(weeks: readonly string[], at: string): Promise<void>;
  clearDirty(week: string, seenAt: string): Promise<void>;
  /**
   * Notes, before a record write, which revision of which record each week's mark stands for, so
   * the mark is cleared only once the week has been read with that write in it. A noted write
   * marks its week too: `dirtyWeeks` lists it until the write is settled.
   */
  markWrite(
    weeks: readonly string[],
    write: { detainerId: string; revision: number },
    at: string,
  ): Promise<void>;
  /** The record writes a week's mark still stands for. */
  pendingWrites(week: string): Promise<PendingWrite[]>;
  /** Forgets a pending write, unless a newer write of the same record has replaced it. */
  settlePending(week: string, write: PendingWrite): Promise<void>;
}

/** A record write a week's re-issue mark stands for. */
export interface PendingWrite {
  readonly detainerId: string;
  readonly revision: number;
  /** When it was noted (before the write). */
  readonly at: string;
}

/** The published site's files, and the stored editions' full data. */
export interface SiteWriter {
  putFile(
    key: string,
    body: string,
    kind: 'html' | 'json' | 'csv' | 'atom' | 'css' | 'text',
    cache: 'immutable' | 'short',
  ): Promise<void>;
  readEdition(week: string, revision: number): Promise<Edition | undefined>;
  /** A published file's text, or undefined when there is none. */
  readText(key: string): Promise<string | undefined>;
  /** The keys of the published files under `prefix`, in any order. */
  listKeys(prefix: string): Promise<string[]>;
}
