import { describe, expect, it } from 'vitest';
import { withoutAddresses } from '#core/redact';

describe('withoutAddresses', () => {
  it('takes every email address out of an SES error message, and leaves the rest', () => {
    expect(
      withoutAddresses(
        'Email address is not verified. The following identities failed the check in region US-EAST-1: Reader.One+tag@Example.org, <two@example.net>',
      ),
    ).toBe(
      'Email address is not verified. The following identities failed the check in region US-EAST-1: <address>, <<address>>',
    );
    expect(withoutAddresses('User: arn:aws:sts::000000000000:assumed-role/x is not authorized')).toBe(
      'User: arn:aws:sts::000000000000:assumed-role/x is not authorized',
    );
  });
});
