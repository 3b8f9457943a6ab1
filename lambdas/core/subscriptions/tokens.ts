import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';

/**
 * The tokens in confirmation and unsubscribe links. A token is `payload.mac`, both base64url:
 * the payload names the purpose, the address, the subscriber's nonce and (for confirmation) an
 * expiry; the MAC is HMAC-SHA256 over the payload *as sent* with a secret only the functions hold.
 * So a token cannot be made or altered without the secret, a confirm token cannot unsubscribe (or
 * the reverse), and replacing a subscriber's nonce voids every token issued before.
 */
export type TokenPurpose = 'confirm' | 'unsubscribe';

export interface TokenClaims {
  readonly purpose: TokenPurpose;
  /** The normalised address. */
  readonly address: string;
  /** The subscriber's nonce when the token was made. */
  readonly nonce: string;
  /** Epoch seconds after which the token is refused; absent: never expires (unsubscribe). */
  readonly expiresAt?: number;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: TokenRefusal };

/** Why a token was refused: a caller tells the reader what to do about each. */
export type TokenRefusal = 'malformed' | 'forged' | 'wrong-purpose' | 'expired';

/** How long a confirmation link works. */
export const CONFIRM_TOKEN_TTL_SECONDS = 7 * 24 * 60 * 60;

/** Longer than any real token (a 254-character address and a nonce come to about 500). */
export const MAX_TOKEN_LENGTH = 1024;

/** Keys shorter than this are refused: an HMAC key should be as long as the hash (32 bytes). */
export const MIN_KEY_BYTES = 32;

const VERSION = 1;
/** Binds the MAC to this use, so the same secret could never validate another kind of message. */
const DOMAIN = 'ddor-subscription-token';
const MAC_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

const PURPOSE_CODE = { confirm: 'c', unsubscribe: 'u' } as const satisfies Record<TokenPurpose, string>;

/** The payload: [version, purpose code, address, nonce, expiresAt or 0]. Positional keeps links short. */
const payloadSchema = z.tuple([
  z.literal(VERSION),
  z.enum(['c', 'u']),
  z.string().min(1).max(254),
  z.string().min(1).max(64),
  z.number().int().nonnegative(),
]);

function mac(key: Uint8Array, payload: string): Buffer {
  return createHmac('sha256', key).update(`${DOMAIN}\n${payload}`, 'utf8').digest();
}

function assertKey(key: Uint8Array): void {
  if (key.byteLength < MIN_KEY_BYTES) {
    throw new Error(`the subscription token key must have at least ${MIN_KEY_BYTES} bytes`);
  }
}

/** Base64url text that decodes and re-encodes to itself (Node's decoder ignores stray trailing bits). */
function canonicalBase64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/** A token for `claims`, signed with `key`. */
export function signToken(key: Uint8Array, claims: TokenClaims): string {
  assertKey(key);
  const payload = Buffer.from(
    JSON.stringify([
      VERSION,
      PURPOSE_CODE[claims.purpose],
      claims.address,
      claims.nonce,
      claims.expiresAt ?? 0,
    ]),
    'utf8',
  ).toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

/**
 * Checks a token's form, MAC (in constant time), purpose and expiry. The caller still compares
 * the nonce with the subscriber's current one: only the store knows it.
 */
export function verifyToken(
  key: Uint8Array,
  token: string,
  purpose: TokenPurpose,
  nowSeconds: number,
): TokenCheck {
  assertKey(key);
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 2) return { ok: false, reason: 'malformed' };
  const [payload = '', signature = ''] = parts;
  const given = canonicalBase64url(signature);
  if (canonicalBase64url(payload) === undefined || given === undefined || given.length !== MAC_BYTES) {
    return { ok: false, reason: 'malformed' };
  }
  if (!timingSafeEqual(given, mac(key, payload))) return { ok: false, reason: 'forged' };

  // Only a payload this code signed gets this far, but parse it as carefully as any input.
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const parsed = payloadSchema.safeParse(decoded);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const [, code, address, nonce, expiresAt] = parsed.data;
  if (code !== PURPOSE_CODE[purpose]) return { ok: false, reason: 'wrong-purpose' };
  // Confirmation links are always made with an expiry: one without is refused, whatever its MAC.
  if (purpose === 'confirm' && expiresAt === 0) return { ok: false, reason: 'malformed' };
  if (expiresAt !== 0 && nowSeconds > expiresAt) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    claims: { purpose, address, nonce, ...(expiresAt === 0 ? {} : { expiresAt }) },
  };
}
