import type { DeferReason } from '#core/mail/send-ledger';
import { withoutAddresses } from '#core/redact';

/**
 * How the sender reads an SES error: wait and try the batch later, record the one reader, record
 * the send as unknown, or stop. Plain functions (no environment), so they are tested alone.
 */

/** SES's throttling errors (the daily quota comes as one of them too). */
export const THROTTLES = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'LimitExceededException',
]);

/** SES errors about the account rather than a message: the batch waits instead of failing. */
export function deferReason(error: unknown): DeferReason | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'SendingPausedException' || error.name === 'AccountSuspendedException') return 'paused';
  if (THROTTLES.has(error.name) && /daily message quota/i.test(error.message)) return 'daily-quota';
  return undefined;
}

/**
 * The reason SES refused this message because of its recipient, or undefined. Only a refusal that
 * names the recipient (the sandbox's unverified address) or a malformed address counts: one that
 * names the sender, or nothing, would refuse every message, so it stops the batch instead.
 */
export function rejection(error: unknown, address: string): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const aboutRecipient =
    (error.name === 'MessageRejected' && error.message.toLowerCase().includes(address.toLowerCase())) ||
    (error.name === 'BadRequestException' && /address/i.test(error.message));
  // Kept in the ledger: the address SES names is replaced, as in every log.
  return aboutRecipient ? withoutAddresses(`${error.name}: ${error.message}`).slice(0, 500) : undefined;
}

/**
 * Whether a SendEmail error leaves it unknown if SES accepted the message: a 5xx, a timeout after
 * the request went out, or a connection reset. A refusal (4xx) and a connection never made are
 * known not to have sent.
 */
export function isUnknownOutcome(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500;
  const code = (error as { code?: string }).code;
  return error.name === 'TimeoutError' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT';
}
