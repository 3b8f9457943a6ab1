import { readStoredEmail } from '#adapters/edition-data';
import { DynamoLedgerStore } from '#adapters/ledger-store';
import { sendEmail } from '#adapters/mailer';
import { secretSourceFromEnv } from '#adapters/secret-source';
import { DynamoSubscriberStore } from '#adapters/subscriber-store';
import { readEnvironment } from '#config/env';
import { senderEnvironment } from '#config/functions';
import { RateLimiter } from '#core/mail/rate-limiter';
import type { DeferReason, SendDeps, StoredEmail } from '#core/mail/send-ledger';
import { listUnsubscribeHeaders, unsubscribeUrl } from '#core/subscriptions/links';

/** SES's throttling errors, including "daily message quota exceeded". */
const THROTTLES = new Set(['TooManyRequestsException', 'ThrottlingException', 'LimitExceededException']);

/**
 * The account's send rate (with headroom) shared by the sender's concurrent containers:
 * each takes its share. Locally one process runs every invocation, so SEND_CONCURRENCY is 1.
 */
const env = readEnvironment(senderEnvironment);
const rate = new RateLimiter(env.SEND_RATE_PER_SECOND / env.SEND_CONCURRENCY);
const siteUrl = env.SITE_URL;
const ledger = new DynamoLedgerStore();
const subscribers = new DynamoSubscriberStore();
const secrets = secretSourceFromEnv(env);
const emails = new Map<string, Promise<StoredEmail>>();

/** Everything a batch needs but the lease holder's name, which is one per batch delivery. */
export type SenderDeps = Omit<SendDeps, 'owner'>;

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
  return aboutRecipient ? `${error.name}: ${error.message}`.slice(0, 500) : undefined;
}

/**
 * The sender's adapters, built once per container from the environment: the handler uses them
 * as they are; the fan-out benchmark swaps only `send`.
 */
export function senderDeps(overrides: Partial<Pick<SendDeps, 'send'>> = {}): SenderDeps {
  return {
    ledger,
    subscriber: (address) => subscribers.get(address),
    email: (week, revision) => {
      const key = `${week}#${revision}`;
      let email = emails.get(key);
      if (!email) {
        email = readStoredEmail(week, revision);
        emails.set(key, email);
        email.catch(() => emails.delete(key));
      }
      return email;
    },
    unsubscribeUrl: async (subscriber) => unsubscribeUrl(siteUrl, await secrets.key(), subscriber),
    headers: (link) => listUnsubscribeHeaders(link),
    send: async (message) => (await sendEmail(message)).messageId,
    rate,
    now: () => new Date(),
    // Longer than the SES client's request timeout (10 s) with its retries.
    leaseMs: 120_000,
    isThrottling: (error) => error instanceof Error && THROTTLES.has(error.name),
    isUnknownOutcome,
    rejection,
    deferReason,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    ...overrides,
  };
}
