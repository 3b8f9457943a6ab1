import { describe, expect, it } from 'vitest';
import { checkAddress } from '#core/subscriptions/email-address';

describe('email addresses', () => {
  it.each([
    ['Reader@Example.ORG', 'reader@example.org'],
    ['  reader@example.org\n', 'reader@example.org'],
    ["o'brien+news@mail.example.co.uk", "o'brien+news@mail.example.co.uk"],
    ['first.last@xn--bcher-kva.example', 'first.last@xn--bcher-kva.example'],
    ['bounce+t1@simulator.amazonses.com', 'bounce+t1@simulator.amazonses.com'],
  ])('accepts %j as %j', (input, address) => {
    expect(checkAddress(input)).toEqual({ ok: true, address });
  });

  it.each([
    ['', /enter an email address/],
    ['reader', /needs an @/],
    ['@example.org', /before the @ is missing/],
    ['reader@', /domain\) is missing/],
    ['reader@localhost', /domain/],
    ['reader@example.1', /domain/],
    ['re ader@example.org', /no spaces/],
    ['.reader@example.org', /before the @/],
    ['re..ader@example.org', /before the @/],
    ['"quoted"@example.org', /before the @/],
    ['reader@-example.org', /domain/],
    ['reader@exa_mple.org', /domain/],
    ['léa@example.org', /before the @/],
    ['reader@bücher.example', /domain/],
    [`${'a'.repeat(65)}@example.org`, /at most 64/],
    [`reader@${'a'.repeat(64)}.org`, /domain/],
    [`${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.eeeee.org`, /at most 254/],
  ])('refuses %j with a reason', (input, reason) => {
    const check = checkAddress(input);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(reason);
  });
});
