import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import '#core/zod-messages';

/**
 * The tokens in confirmation and unsubscribe links (contract §5: opaque, nothing in a link
 * reveals the address). A token is AES-256-GCM over the claims, base64url: one version byte, a
 * random 12-byte IV, the ciphertext and the 16-byte tag. The key is derived (HKDF-SHA256) from the
 * subscription secret only the functions hold, so a token can be neither read nor made nor altered
 * without it; GCM's tag is the integrity check, the version byte is bound to it as associated data.
 *
 * The claims name the mailbox and the subscriber's `id` (random, made when the mailbox becomes
 * known): every link dies with the item, so a forgotten address's old links open nothing, while an
 * unsubscribe link keeps working for as long as the mailbox is known (old emails must still
 * unsubscribe). A confirmation link also carries its expiry.
 */
export type TokenPurpose = 'confirm' | 'unsubscribe';

export interface TokenClaims {
  readonly purpose: TokenPurpose;
  /** The mailbox (`mailboxOf`): the subscriber's key. */
  readonly mailbox: string;
  /** The subscriber's id when the token was made. */
  readonly id: string;
  /** Epoch seconds after which the token is refused; absent: never expires (unsubscribe). */
  readonly expiresAt?: number;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: TokenRefusal };

/** Why a token was refused: a caller tells the reader what to do about each. */
export type TokenRefusal = 'malformed' | 'forged' | 'wrong-purpose' | 'expired';

/** How long a confirmation link works (contract §5: 7 days). */
export const CONFIRM_TOKEN_TTL_SECONDS = 7 * 24 * 60 * 60;

/** Longer than any real token (a 254-character mailbox and an id come to about 400). */
export const MAX_TOKEN_LENGTH = 1024;

/** Keys shorter than this are refused: the secret should be at least as long as the key it makes. */
export const MIN_KEY_BYTES = 32;

const VERSION = 2;
/** Binds the derived key to this use, so the same secret never keys another kind of message. */
const KEY_INFO = 'ddor-subscription-token-v2';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

const PURPOSE_CODE = { confirm: 'c', unsubscribe: 'u' } as const satisfies Record<TokenPurpose, string>;

/** The plaintext: [purpose code, mailbox, id, expiresAt or 0]. Positional keeps links short. */
const payloadSchema = z.tuple([
  z.enum(['c', 'u']),
  z.string().check(z.minLength(1), z.maxLength(254)),
  z.string().check(z.minLength(1), z.maxLength(64)),
  z.int().check(z.nonnegative()),
]);

const derived = new WeakMap<Uint8Array, Buffer>();

function tokenKey(secret: Uint8Array): Buffer {
  if (secret.byteLength < MIN_KEY_BYTES) {
    throw new Error(`the subscription token key must have at least ${MIN_KEY_BYTES} bytes`);
  }
  let key = derived.get(secret);
  if (key === undefined) {
    key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), KEY_INFO, 32));
    derived.set(secret, key);
  }
  return key;
}

/** Base64url text that decodes and re-encodes to itself (Node's decoder ignores stray trailing bits). */
function canonicalBase64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/** A token for `claims`, sealed with a key derived from `secret`. */
export function signToken(secret: Uint8Array, claims: TokenClaims): string {
  const key = tokenKey(secret);
  const plaintext = Buffer.from(
    JSON.stringify([PURPOSE_CODE[claims.purpose], claims.mailbox, claims.id, claims.expiresAt ?? 0]),
    'utf8',
  );
  const version = Buffer.of(VERSION);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(version);
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([version, iv, sealed, cipher.getAuthTag()]).toString('base64url');
}

/**
 * Opens a token and checks its purpose and expiry. The caller still compares the id with the
 * subscriber's current one: only the store knows it.
 */
export function verifyToken(
  secret: Uint8Array,
  token: string,
  purpose: TokenPurpose,
  nowSeconds: number,
): TokenCheck {
  const key = tokenKey(secret);
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const bytes = canonicalBase64url(token);
  if (bytes === undefined || bytes.length < 1 + IV_BYTES + TAG_BYTES + 1 || bytes[0] !== VERSION) {
    return { ok: false, reason: 'malformed' };
  }
  const iv = bytes.subarray(1, 1 + IV_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const sealed = bytes.subarray(1 + IV_BYTES, bytes.length - TAG_BYTES);
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(bytes.subarray(0, 1));
    decipher.setAuthTag(tag);
    plaintext = Buffer.concat([decipher.update(sealed), decipher.final()]);
  } catch {
    // The tag does not match: made with another key, or altered.
    return { ok: false, reason: 'forged' };
  }
  // Only a payload this code sealed gets this far, but parse it as carefully as any input.
  let decoded: unknown;
  try {
    decoded = JSON.parse(plaintext.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const parsed = payloadSchema.safeParse(decoded);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const [code, mailbox, id, expiresAt] = parsed.data;
  if (code !== PURPOSE_CODE[purpose]) return { ok: false, reason: 'wrong-purpose' };
  // Confirmation links are always made with an expiry: one without is refused.
  if (purpose === 'confirm' && expiresAt === 0) return { ok: false, reason: 'malformed' };
  if (expiresAt !== 0 && nowSeconds > expiresAt) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { purpose, mailbox, id, ...(expiresAt === 0 ? {} : { expiresAt }) } };
}
