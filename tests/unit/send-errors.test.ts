import { describe, expect, it } from 'vitest';
import { deferReason, isUnknownOutcome, rejection } from '#lambdas/mail/send/ses-errors';

/** How the sender reads an SES error: wait, record the reader, record unknown, or stop. */
function sesError(name: string, message: string, status?: number, code?: string): Error {
  const error = new Error(message) as Error & { $metadata?: { httpStatusCode?: number }; code?: string };
  error.name = name;
  if (status !== undefined) error.$metadata = { httpStatusCode: status };
  if (code !== undefined) error.code = code;
  return error;
}

describe('SES errors as the sender reads them', () => {
  it('waits at the daily quota and when sending is paused, not at plain throttling', () => {
    expect(deferReason(sesError('TooManyRequestsException', 'Daily message quota exceeded.', 429))).toBe(
      'daily-quota',
    );
    expect(deferReason(sesError('SendingPausedException', 'Sending is paused for this account.', 400))).toBe(
      'paused',
    );
    expect(
      deferReason(sesError('TooManyRequestsException', 'Maximum sending rate exceeded.', 429)),
    ).toBeUndefined();
  });

  it('records a reader SES refused by name, but stops at a refusal of every message', () => {
    const address = 'reader@example.org';
    const aboutReader = sesError(
      'MessageRejected',
      'Email address is not verified. The following identities failed the check in region US-EAST-1: reader@example.org',
      400,
    );
    expect(rejection(aboutReader, address)).toContain('MessageRejected');
    const aboutSender = sesError(
      'MessageRejected',
      'Email address is not verified. The following identities failed the check in region US-EAST-1: reports@example.org',
      400,
    );
    expect(rejection(aboutSender, address)).toBeUndefined();
    expect(
      rejection(sesError('MessageRejected', 'Email address is not verified.', 400), address),
    ).toBeUndefined();
  });

  it('counts a timeout, a reset and a 5xx as unknown, never a 4xx or a refused connection', () => {
    expect(isUnknownOutcome(sesError('TimeoutError', 'socket timed out'))).toBe(true);
    expect(isUnknownOutcome(sesError('Error', 'socket hang up', undefined, 'ECONNRESET'))).toBe(true);
    expect(isUnknownOutcome(sesError('InternalFailure', 'internal error', 500))).toBe(true);
    expect(isUnknownOutcome(sesError('MessageRejected', 'rejected', 400))).toBe(false);
    expect(isUnknownOutcome(sesError('Error', 'connect ECONNREFUSED', undefined, 'ECONNREFUSED'))).toBe(
      false,
    );
  });
});
