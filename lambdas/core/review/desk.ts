/**
 * The editors' desk of the intake API (CONTRACT.md §3 "Editorial review", endpoints): a draft's
 * JSON and page for `admin` and `editor` tokens, the read-only preview by key, and an editor's
 * decision. The publisher assembles and renders each draft; this module only reads what it kept
 * and records decisions, so the API bundles no template or assembly code.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConflictError, NotFoundError, UnauthorizedError } from '#core/errors';
import type { CheckFinding } from './checks';
import type { Decision, DraftStatus } from './draft';
import { decide, type ReviewStore, type StoredDraft } from './gate';

/** How long a preview link works (contract §3). */
export const PREVIEW_KEY_HOURS = 72;
/**
 * The unexpired keys one draft keeps (the oldest dropped first past it): one per editors' email
 * or `npm run review`, so only a draft reviewed more than this often in 72 hours loses a link.
 */
const MAX_PREVIEW_KEYS = 50;

export interface DeskDeps {
  readonly reviews: ReviewStore;
  /** The files the publisher kept of the draft of one content hash. */
  readonly files: {
    page(week: string, contentHash: string): Promise<string | undefined>;
    edition(week: string, contentHash: string): Promise<string | undefined>;
  };
  /** Queues the week's publication (an approval publishes at once, in every mode). */
  readonly publish: (stored: StoredDraft) => Promise<void>;
  readonly now: () => Date;
}

/** `GET /editions/{week}/draft.json`. */
export interface DraftDocument {
  readonly edition: unknown;
  readonly checks: readonly CheckFinding[];
  readonly status: DraftStatus;
  readonly publishAt: string | null;
  readonly contentHash: string;
  readonly runId: string;
  readonly decisions: readonly Decision[];
}

async function storedDraft(deps: DeskDeps, week: string): Promise<StoredDraft> {
  const stored = await deps.reviews.get(week);
  if (stored === undefined) throw new NotFoundError(`there is no draft of ${week}`);
  return stored;
}

function missingFile(week: string, what: string): Error {
  // The publisher writes a draft's files before the draft names them: this is a fault, not a 404.
  return new Error(`the draft of ${week} names a content whose ${what} is not kept`);
}

export async function draftDocument(deps: DeskDeps, week: string): Promise<DraftDocument> {
  const stored = await storedDraft(deps, week);
  const { draft } = stored;
  const text = await deps.files.edition(week, draft.contentHash);
  if (text === undefined) throw missingFile(week, 'edition');
  return {
    edition: JSON.parse(text) as unknown,
    checks: stored.checks,
    status: draft.status,
    publishAt: draft.publishAt ?? null,
    contentHash: draft.contentHash,
    runId: draft.runId,
    decisions: draft.decisions,
  };
}

export async function draftPage(deps: DeskDeps, week: string): Promise<string> {
  const stored = await storedDraft(deps, week);
  const page = await deps.files.page(week, stored.draft.contentHash);
  if (page === undefined) throw missingFile(week, 'page');
  return page;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * The preview by key, with no token: the key must be one the draft was given and not expired.
 * Every refusal is the same 401, so a guess learns nothing about which drafts exist.
 */
export async function previewPage(deps: DeskDeps, week: string, key: string): Promise<string> {
  const refused = new UnauthorizedError(
    'this preview link is unknown or has expired (links work for 72 hours): ask an editor for a new one (npm run review)',
  );
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(key)) throw refused;
  const stored = await deps.reviews.get(week);
  if (stored === undefined) throw refused;
  const given = sha256(key);
  const now = deps.now().getTime();
  const valid = (stored.previewKeys ?? []).some(
    (kept) => Date.parse(kept.expiresAt) > now && timingSafeEqual(Buffer.from(kept.sha256, 'hex'), given),
  );
  if (!valid) throw refused;
  return draftPage(deps, week);
}

/**
 * A new preview key for the draft of `week` (for the editors' email or `npm run review`): the
 * key itself is returned once and only its hash is kept, with those not yet expired.
 */
export async function issuePreviewKey(
  reviews: ReviewStore,
  week: string,
  at: Date,
): Promise<{ key: string; expiresAt: string }> {
  const key = randomBytes(24).toString('base64url');
  const expiresAt = new Date(at.getTime() + PREVIEW_KEY_HOURS * 3_600_000).toISOString();
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await reviews.get(week);
    if (existing === undefined) throw new ConflictError(`there is no draft of ${week}`);
    const kept = (existing.previewKeys ?? []).filter((k) => Date.parse(k.expiresAt) > at.getTime());
    const previewKeys = [...kept, { sha256: sha256(key).toString('hex'), expiresAt }].slice(
      -MAX_PREVIEW_KEYS,
    );
    if (await reviews.save({ ...existing, previewKeys, version: existing.version + 1 }, existing.version)) {
      return { key, expiresAt };
    }
  }
  throw new Error(`the draft of ${week} is changing too fast to give it a preview key`);
}

export interface ReviewBody {
  readonly decision: 'approve' | 'hold';
  readonly reason?: string | undefined;
  /** The content the editor read (draft.json's `contentHash`): an approval of another is refused. */
  readonly contentHash?: string | undefined;
}

/**
 * `POST /editions/{week}/review`: the decision is kept; an approval queues the publication at
 * once (the publisher assembles the week again, so a record changed since makes it lapse).
 */
export async function reviewByEditor(
  deps: DeskDeps,
  week: string,
  body: ReviewBody,
  by: string,
): Promise<{ week: string; status: DraftStatus; publishAt: string | null; publishing: boolean }> {
  const at = deps.now().toISOString();
  const decision =
    body.decision === 'hold'
      ? { decision: 'hold' as const, reason: body.reason ?? '' }
      : {
          decision: 'approve' as const,
          ...(body.reason === undefined ? {} : { reason: body.reason }),
          ...(body.contentHash === undefined ? {} : { seenHash: body.contentHash }),
        };
  const stored = await decide(deps.reviews, week, decision, by, at);
  const publishing = stored.draft.status === 'approved';
  if (publishing) await deps.publish(stored);
  return { week, status: stored.draft.status, publishAt: stored.draft.publishAt ?? null, publishing };
}
