import { readStoredEmail } from '#adapters/edition-data';
import { DynamoLedgerStore } from '#adapters/ledger-store';
import { accountState, sendEmail } from '#adapters/mailer';
import { secretSourceFromEnv } from '#adapters/secret-source';
import { DynamoSubscriberStore } from '#adapters/subscriber-store';
import { readEnvironment } from '#config/env';
import { senderEnvironment } from '#config/functions';
import { FUNCTIONS } from '#config/runtime';
import { RateLimiter } from '#core/mail/rate-limiter';
import type { AccountState, SendDeps, StoredEmail } from '#core/mail/send-ledger';
import { containerRate, inFlightFor, LatencyEstimate, paceProblem } from '#core/mail/send-pace';
import { listUnsubscribeHeaders, unsubscribeUrl } from '#core/subscriptions/links';
import { deferReason, isUnknownOutcome, rejection, THROTTLES } from './ses-errors';

/**
 * The account's send rate (with headroom) shared by the sender's concurrent containers:
 * each takes its share. Locally one process runs every invocation, so SEND_CONCURRENCY is 1.
 */
const env = readEnvironment(senderEnvironment);
const refused = paceProblem(env.SEND_RATE_PER_SECOND, env.SEND_CONCURRENCY, FUNCTIONS.send.timeoutSeconds);
if (refused !== undefined) throw new Error(`the sender's configuration cannot work: ${refused}`);
const share = containerRate(env.SEND_RATE_PER_SECOND, env.SEND_CONCURRENCY);
const rate = new RateLimiter(share);
/**
 * A recipient's work (subscriber read, claim, send, record) as this container measures it; the
 * first batch assumes 100 ms, a usual SES call with the ledger's two writes.
 */
const latency = new LatencyEstimate(100);
const siteUrl = env.SITE_URL;
const ledger = new DynamoLedgerStore();
const subscribers = new DynamoSubscriberStore();
const secrets = secretSourceFromEnv(env);
const emails = new Map<string, Promise<StoredEmail>>();

/**
 * GetAccount, asked at most every 5 s per container: when the daily quota or a pause has made
 * every batch wait, they all come back at once, and SES limits GetAccount to a call a second.
 */
const ACCOUNT_CACHE_MS = 5_000;
let account: { state: Promise<AccountState>; at: number } | undefined;
function cachedAccount(): Promise<AccountState> {
  if (account === undefined || Date.now() - account.at > ACCOUNT_CACHE_MS) {
    const state = accountState();
    account = { state, at: Date.now() };
    state.catch(() => {
      account = undefined;
    });
  }
  return account.state;
}

/** Everything a batch needs but the lease holder's name, which is one per batch delivery. */
export type SenderDeps = Omit<SendDeps, 'owner'>;

/**
 * The sender's adapters, built once per container from the environment: the handler uses them
 * as they are; the fan-out benchmark swaps only `send`.
 */
export function senderDeps(overrides: Partial<Pick<SendDeps, 'send'>> = {}): SenderDeps {
  return {
    ledger,
    subscriber: (address) => subscribers.get(address),
    subscribers: (addresses) => subscribers.getMany(addresses),
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
    account: cachedAccount,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    inFlight: () => inFlightFor(share, latency.ms),
    observeRecipient: (ms) => latency.observe(ms),
    ...overrides,
  };
}
