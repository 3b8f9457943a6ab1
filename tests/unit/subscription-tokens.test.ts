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
  address: 'reader@example.org',
  nonce: 'n0nce-AAAAAAAAAAAAAAAAAA',
  expiresAt: now + 3600,
};
const unsubscribe: TokenClaims = { purpose: 'unsubscribe', address: 'reader@example.org', nonce: 'nonce-1' };

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
    expect(confirmToken).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
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

  it('refuses a payload moved onto another token’s signature', () => {
    const mine = signToken(key, unsubscribe).split('.');
    const theirs = signToken(key, { ...unsubscribe, address: 'victim@example.org' }).split('.');
    expect(verifyToken(key, `${theirs[0]}.${mine[1]}`, 'unsubscribe', now)).toEqual({
      ok: false,
      reason: 'forged',
    });
  });

  it.each([
    ['empty', ''],
    ['no dot', 'abc'],
    ['two dots', 'a.b.c'],
    ['not base64url', 'a+b.c/d'],
    ['a short signature', 'eyJ.AAAA'],
    ['too long', `${'A'.repeat(MAX_TOKEN_LENGTH)}.x`],
  ])('refuses a malformed token (%s) without throwing', (_, token) => {
    expect(verifyToken(key, token, 'unsubscribe', now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses keys shorter than 32 bytes', () => {
    expect(() => signToken(randomBytes(16), unsubscribe)).toThrow(/32 bytes/);
  });

  it('builds links on the site, and one-click unsubscribe headers', () => {
    const clock = new Date(now * 1000);
    const confirmLink = new URL(confirmUrl('https://ddor.example/', key, confirm, clock));
    expect(confirmLink.origin + confirmLink.pathname).toBe('https://ddor.example/subscriptions/confirm');
    const confirmToken = confirmLink.searchParams.get('token') ?? '';
    expect(verifyToken(key, confirmToken, 'confirm', now + CONFIRM_TOKEN_TTL_SECONDS).ok).toBe(true);
    expect(verifyToken(key, confirmToken, 'confirm', now + CONFIRM_TOKEN_TTL_SECONDS + 1).ok).toBe(false);

    const link = unsubscribeUrl('https://ddor.example', key, unsubscribe);
    expect(link).toMatch(/^https:\/\/ddor\.example\/subscriptions\/unsubscribe\?token=[A-Za-z0-9_.-]+$/);
    expect(listUnsubscribeHeaders(link)).toEqual({
      'List-Unsubscribe': `<${link}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    expect(listUnsubscribeHeaders(link, 'unsubscribe@ddor.example')['List-Unsubscribe']).toBe(
      `<${link}>, <mailto:unsubscribe@ddor.example>`,
    );
  });
});
