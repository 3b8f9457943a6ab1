import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { confirmUrl, listUnsubscribeHeaders, unsubscribeUrl } from '#core/subscriptions/links';
import {
  CONFIRM_TOKEN_TTL_SECONDS,
  MAX_TOKEN_LENGTH,
  signToken,
  type TokenClaims,
  verifyToken,
} from '#core/subscriptions/tokens';

const key = randomBytes(32);
const otherKey = randomBytes(32);
const now = 1_700_000_000;

const confirm: TokenClaims = {
  purpose: 'confirm',
  mailbox: 'reader@example.org',
  id: 'id-AAAAAAAAAAAAAAAAAAAAAA',
  expiresAt: now + 3600,
};
const unsubscribe: TokenClaims = { purpose: 'unsubscribe', mailbox: 'reader@example.org', id: 'id-1' };

/** Replaces the character at `index` with another base64url character. */
function mutate(token: string, index: number, shift: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
  const at = alphabet.indexOf(token.charAt(index));
  const replacement = alphabet.charAt((at + 1 + (shift % (alphabet.length - 1))) % alphabet.length);
  return `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`;
}

describe('subscription tokens', () => {
  it('verify with the key they were signed with, giving back the claims', () => {
    // Prepare
    const confirmToken = signToken(key, confirm);
    const unsubscribeToken = signToken(key, unsubscribe);

    // Act & Assess
    expect(verifyToken(key, confirmToken, 'confirm', now)).toEqual({ ok: true, claims: confirm });
    expect(verifyToken(key, unsubscribeToken, 'unsubscribe', now)).toEqual({ ok: true, claims: unsubscribe });
    expect(confirmToken).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('are opaque: nothing of the mailbox or the id can be read from them', () => {
    for (const claims of [confirm, unsubscribe]) {
      const token = signToken(key, claims);
      const bytes = Buffer.from(token, 'base64url').toString('latin1');
      expect(bytes).not.toContain('reader');
      expect(token).not.toContain(Buffer.from('reader').toString('base64url').slice(0, 6));
      // Sealed afresh each time: two tokens of one reader do not even look alike.
      expect(signToken(key, claims)).not.toBe(token);
    }
  });

  it('refuses a token signed with another key as forged', () => {
    expect(verifyToken(key, signToken(otherKey, confirm), 'confirm', now)).toEqual({
      ok: false,
      reason: 'forged',
    });
  });

  it('refuses a confirm token used to unsubscribe, and the reverse', () => {
    expect(verifyToken(key, signToken(key, confirm), 'unsubscribe', now)).toEqual({
      ok: false,
      reason: 'wrong-purpose',
    });
    expect(verifyToken(key, signToken(key, unsubscribe), 'confirm', now)).toMatchObject({ ok: false });
  });

  it('refuses a confirm token after its expiry, and one made without an expiry', () => {
    const token = signToken(key, confirm);
    expect(verifyToken(key, token, 'confirm', now + 3600).ok).toBe(true);
    expect(verifyToken(key, token, 'confirm', now + 3601)).toEqual({ ok: false, reason: 'expired' });
    const { expiresAt: _none, ...forever } = confirm;
    expect(verifyToken(key, signToken(key, forever), 'confirm', now)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('never expires an unsubscribe token', () => {
    expect(verifyToken(key, signToken(key, unsubscribe), 'unsubscribe', now + 10 * 365 * 86_400).ok).toBe(
      true,
    );
  });

  it('refuses every single-character change, anywhere in the token', () => {
    const token = signToken(key, confirm);
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.nat(), (index, shift) => {
        const altered = mutate(token, index, shift);
        fc.pre(altered !== token);
        expect(verifyToken(key, altered, 'confirm', now).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a token spliced from two others (one tag over another ciphertext)', () => {
    const mine = Buffer.from(signToken(key, unsubscribe), 'base64url');
    const theirs = Buffer.from(
      signToken(key, { ...unsubscribe, mailbox: 'victim@example.org' }),
      'base64url',
    );
    const spliced = Buffer.concat([theirs.subarray(0, theirs.length - 16), mine.subarray(mine.length - 16)]);
    expect(verifyToken(key, spliced.toString('base64url'), 'unsubscribe', now)).toEqual({
      ok: false,
      reason: 'forged',
    });
  });

  it.each([
    ['empty', ''],
    ['a dot', 'abc.def'],
    ['not base64url', 'a+b/c'],
    ['too short', 'AgAAAA'],
    ['another version', Buffer.alloc(40, 9).toString('base64url')],
    ['too long', 'A'.repeat(MAX_TOKEN_LENGTH + 1)],
  ])('refuses a malformed token (%s) without throwing', (_, token) => {
    expect(verifyToken(key, token, 'unsubscribe', now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses keys shorter than 32 bytes', () => {
    expect(() => signToken(randomBytes(16), unsubscribe)).toThrow(/32 bytes/);
  });

  it('builds links on the site, and one-click unsubscribe headers', () => {
    const clock = new Date(now * 1000);
    const expires = new Date(clock.getTime() + CONFIRM_TOKEN_TTL_SECONDS * 1000);
    const confirmLink = new URL(confirmUrl('https://ddor.example/', key, confirm, expires));
    expect(confirmLink.origin + confirmLink.pathname).toBe('https://ddor.example/subscriptions/confirm');
    const confirmToken = confirmLink.searchParams.get('token') ?? '';
    expect(verifyToken(key, confirmToken, 'confirm', now + CONFIRM_TOKEN_TTL_SECONDS).ok).toBe(true);
    expect(verifyToken(key, confirmToken, 'confirm', now + CONFIRM_TOKEN_TTL_SECONDS + 1).ok).toBe(false);

    const link = unsubscribeUrl('https://ddor.example', key, unsubscribe);
    expect(link).toMatch(/^https:\/\/ddor\.example\/subscriptions\/unsubscribe\?token=[A-Za-z0-9_-]+$/);
    expect(listUnsubscribeHeaders(link)).toEqual({
      'List-Unsubscribe': `<${link}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    expect(listUnsubscribeHeaders(link, 'unsubscribe@ddor.example')['List-Unsubscribe']).toBe(
      `<${link}>, <mailto:unsubscribe@ddor.example>`,
    );
  });
});
