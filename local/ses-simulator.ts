import { randomUUID } from 'node:crypto';
import type { Context, SNSEvent } from 'aws-lambda';
import { fakeContext } from './gateway';

/**
 * The SES mailbox simulator, locally. Deployed, mail to `bounce@simulator.amazonses.com` or
 * `complaint@simulator.amazonses.com` makes SES publish a Bounce or Complaint event through the
 * configuration set to SNS, which invokes the mail-events function. Locally there is no SES event
 * publishing, so this poller reads the SES server's store (`GET /store?since=`) for new messages
 * to those addresses and hands the mail-events handler the same SNS-wrapped event. The functions'
 * code path is unchanged: they send with the SDK as deployed.
 *
 * As on AWS, `bounce+label@…` and `complaint+label@…` work too, and
 * `suppressionlist@…` bounces as an address on the account-level suppression list.
 */

const SIMULATOR_DOMAIN = 'simulator.amazonses.com';
const LOCAL_ACCOUNT = '000000000000';
const LOCAL_REGION = 'us-east-1';
const TOPIC_ARN = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:ddor-local-mail-events`;

/** A message as the SES server's `GET /store` lists it (only the fields read here). */
interface StoredMail {
  readonly messageId: string;
  readonly from: string;
  readonly destination: {
    readonly to?: readonly string[];
    readonly cc?: readonly string[];
    readonly bcc?: readonly string[];
  };
  readonly subject?: string;
  readonly headers?: readonly { readonly name: string; readonly value: string }[];
  /** Epoch seconds. */
  readonly at: number;
}

type SimulatedOutcome = 'bounce' | 'complaint' | 'suppressionlist';

/** What a simulator address produces, or undefined for any other address. */
export function simulatedOutcome(address: string): SimulatedOutcome | undefined {
  const match = /^([a-z]+)(?:\+[^@]*)?@(.+)$/i.exec(address.trim());
  if (match?.[2]?.toLowerCase() !== SIMULATOR_DOMAIN) return undefined;
  const box = match[1]?.toLowerCase();
  return box === 'bounce' || box === 'complaint' || box === 'suppressionlist' ? box : undefined;
}

function bareAddress(value: string): string {
  return (/<([^<>]+)>\s*$/.exec(value)?.[1] ?? value).trim();
}

/** The `mail` object of an SES event, as SES describes the original message. */
function mailObject(mail: StoredMail, destination: readonly string[]): Record<string, unknown> {
  const timestamp = new Date(mail.at * 1000).toISOString();
  const fromDomain = bareAddress(mail.from).split('@')[1] ?? 'localhost';
  const to = mail.destination.to ?? [];
  return {
    timestamp,
    source: mail.from,
    sourceArn: `arn:aws:ses:${LOCAL_REGION}:${LOCAL_ACCOUNT}:identity/${fromDomain}`,
    sendingAccountId: LOCAL_ACCOUNT,
    messageId: mail.messageId,
    destination,
    headersTruncated: false,
    headers: [
      { name: 'From', value: mail.from },
      { name: 'To', value: to.join(', ') },
      { name: 'Subject', value: mail.subject ?? '' },
      ...(mail.headers ?? []).map((header) => ({ name: header.name, value: header.value })),
    ],
    commonHeaders: { from: [mail.from], to, messageId: mail.messageId, subject: mail.subject ?? '' },
    tags: { 'ses:operation': ['SendEmail'], 'ses:source-ip': ['127.0.0.1'] },
  };
}

/** The SES event (the SNS message) SES publishes for `recipients` of `mail`. */
export function sesEventFor(
  mail: StoredMail,
  outcome: SimulatedOutcome,
  recipients: readonly string[],
): Record<string, unknown> {
  const now = new Date().toISOString();
  const destination = [
    ...(mail.destination.to ?? []),
    ...(mail.destination.cc ?? []),
    ...(mail.destination.bcc ?? []),
  ];
  const feedbackId = `${randomUUID()}-000000`;
  if (outcome === 'complaint') {
    return {
      eventType: 'Complaint',
      complaint: {
        feedbackId,
        complaintSubType: null,
        complainedRecipients: recipients.map((emailAddress) => ({ emailAddress })),
        timestamp: now,
        userAgent: 'Amazon SES Mailbox Simulator (ddor local stack)',
        complaintFeedbackType: 'abuse',
        arrivalDate: now,
      },
      mail: mailObject(mail, destination),
    };
  }
  return {
    eventType: 'Bounce',
    bounce: {
      feedbackId,
      bounceType: 'Permanent',
      bounceSubType: outcome === 'suppressionlist' ? 'OnAccountSuppressionList' : 'General',
      bouncedRecipients: recipients.map((emailAddress) => ({
        emailAddress,
        action: 'failed',
        status: '5.1.1',
        diagnosticCode:
          outcome === 'suppressionlist'
            ? 'Amazon SES did not send the message to this address because it is on the suppression list for your account.'
            : 'smtp; 550 5.1.1 user unknown',
      })),
      timestamp: now,
      reportingMTA: 'dns; simulator.amazonses.com',
    },
    mail: mailObject(mail, destination),
  };
}

/** The SNS event Lambda receives for one published message. */
export function snsEventFor(message: Record<string, unknown>): SNSEvent {
  const messageId = randomUUID();
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${TOPIC_ARN}:${randomUUID()}`,
        Sns: {
          Type: 'Notification',
          MessageId: messageId,
          TopicArn: TOPIC_ARN,
          Message: JSON.stringify(message),
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: 'local',
          SigningCertUrl: `https://sns.${LOCAL_REGION}.amazonaws.com/local.pem`,
          UnsubscribeUrl: `https://sns.${LOCAL_REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC_ARN}`,
          MessageAttributes: {},
        },
      },
    ],
  };
}

/**
 * The Send event SES publishes through the configuration set for every message it accepts, with
 * the message's own tags (the SES server does not keep them: the SES gate does, `tags`).
 */
export function sendEventFor(
  mail: StoredMail,
  tags: Readonly<Record<string, readonly string[]>>,
): Record<string, unknown> {
  const destination = [
    ...(mail.destination.to ?? []),
    ...(mail.destination.cc ?? []),
    ...(mail.destination.bcc ?? []),
  ];
  const base = mailObject(mail, destination);
  return {
    eventType: 'Send',
    mail: { ...base, tags: { ...(base.tags as Record<string, string[]>), ...tags } },
    send: {},
  };
}

/**
 * The SNS events one stored message produces: its Send event, then one per outcome covering its
 * simulator recipients.
 */
export function simulatedEvents(
  mail: StoredMail,
  tags: Readonly<Record<string, readonly string[]>> = {},
): SNSEvent[] {
  const byOutcome = new Map<SimulatedOutcome, string[]>();
  const all = [
    ...(mail.destination.to ?? []),
    ...(mail.destination.cc ?? []),
    ...(mail.destination.bcc ?? []),
  ];
  for (const recipient of all) {
    const address = bareAddress(recipient);
    const outcome = simulatedOutcome(address);
    if (outcome === undefined) continue;
    byOutcome.set(outcome, [...(byOutcome.get(outcome) ?? []), address]);
  }
  return [
    snsEventFor(sendEventFor(mail, tags)),
    ...[...byOutcome].map(([outcome, recipients]) => snsEventFor(sesEventFor(mail, outcome, recipients))),
  ];
}

export interface SesSimulatorOptions {
  /** The SES server's store, `http://127.0.0.1:PORT/store`. */
  readonly storeUrl: string;
  /** The mail-events function, invoked with one SNS event at a time (as Lambda would). */
  readonly handler: (event: SNSEvent, context: Context) => Promise<unknown>;
  /** The tags a message was sent with, by SES message id (the SES gate records them). */
  readonly tagsOf?: (messageId: string) => Readonly<Record<string, readonly string[]>> | undefined;
  /** @default 250 */
  readonly intervalMs?: number;
  /** @default stderr */
  readonly logError?: (message: string, error: unknown) => void;
}

export interface SesSimulator {
  /** Reads the store now and delivers what is new (tests call it instead of waiting). */
  poll(): Promise<void>;
  /** Stops polling; resolves once a poll in progress has finished. */
  stop(): Promise<void>;
}

/** Lambda retries a failed asynchronous invocation twice. */
const MAX_DELIVERIES = 3;

/** Polls the SES store and plays SES event publishing for the simulator addresses. */
export function startSesSimulator(options: SesSimulatorOptions): SesSimulator {
  const intervalMs = options.intervalMs ?? 250;
  const logError = options.logError ?? ((message, error) => console.error(message, error));
  /** Messages already handled (or given up on), by id, with their time, pruned as `since` moves. */
  const handled = new Map<string, number>();
  const attempts = new Map<string, number>();
  let since = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;

  const readNew = async (): Promise<StoredMail[]> => {
    const url = new URL(options.storeUrl);
    url.searchParams.set('since', String(since));
    const response = await fetch(url);
    if (!response.ok) throw new Error(`GET ${url.pathname} answered ${response.status}`);
    const store = (await response.json()) as { emails?: StoredMail[] };
    return (store.emails ?? []).filter((mail) => !handled.has(mail.messageId));
  };

  const handle = async (mail: StoredMail): Promise<void> => {
    try {
      for (const event of simulatedEvents(mail, options.tagsOf?.(mail.messageId) ?? {}))
        await options.handler(event, fakeContext('mail-events', 30_000));
      handled.set(mail.messageId, mail.at);
      attempts.delete(mail.messageId);
    } catch (error) {
      const count = (attempts.get(mail.messageId) ?? 0) + 1;
      attempts.set(mail.messageId, count);
      if (count >= MAX_DELIVERIES) {
        logError(
          `[ses-simulator] mail-events failed ${count} times for message ${mail.messageId}; dropped:`,
          error,
        );
        handled.set(mail.messageId, mail.at);
        attempts.delete(mail.messageId);
      }
    }
  };

  const pollOnce = async (): Promise<void> => {
    const fresh = await readNew();
    // `since` is inclusive and in whole seconds: keep ids of the latest second to skip them next time.
    for (const mail of fresh) await handle(mail);
    const latest = Math.max(
      since,
      ...fresh.filter((mail) => handled.has(mail.messageId)).map((mail) => mail.at),
    );
    const pending = fresh.filter((mail) => !handled.has(mail.messageId)).map((mail) => mail.at);
    since = pending.length === 0 ? latest : Math.min(latest, ...pending);
    for (const [id, at] of handled) if (at < since) handled.delete(id);
  };

  /** One poll at a time; a caller arriving mid-poll gets a fresh one after it (it may hold newer mail). */
  const poll = async (): Promise<void> => {
    while (current !== undefined) await current;
    const running = pollOnce()
      .catch((error: unknown) => {
        if (!stopped) logError('[ses-simulator] could not read the SES store:', error);
      })
      .finally(() => {
        current = undefined;
      });
    current = running;
    await running;
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void poll().then(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    poll,
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await current;
    },
  };
}
