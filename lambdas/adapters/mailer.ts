import { GetAccountCommand, SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { readEnvironment } from '#config/env';
import { mailEnvironment } from '#config/functions';
import type { OutgoingEmail, SentEmail } from '#core/mail/outgoing-email';

/**
 * The one SES v2 client, created once per container. A request that hangs fails after 10 s
 * instead of holding the function until its timeout. One attempt only: a timeout, a reset or a
 * 5xx can follow a send SES accepted, so the SDK must never repeat a send (the sender records
 * such a send as unknown instead; contract §5). Locally only `AWS_ENDPOINT_URL_SESV2` differs.
 */
export const ses = new SESv2Client({
  maxAttempts: 1,
  requestHandler: { requestTimeout: 10_000, throwOnRequestTimeout: true },
});

/** Read once, at the first send: only functions that send need MAIL_FROM. */
let config: { from: string; configurationSet: string | undefined } | undefined;
function mailConfig() {
  if (!config) {
    const env = readEnvironment(mailEnvironment);
    config = { from: env.MAIL_FROM, configurationSet: env.MAIL_CONFIGURATION_SET };
  }
  return config;
}

/** SES v2 refuses custom headers it manages itself; these would be silently wrong if passed. */
const RESERVED_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'subject',
  'date',
  'message-id',
  'reply-to',
  'return-path',
  'content-type',
  'mime-version',
  'content-transfer-encoding',
]);

function messageHeaders(headers: Readonly<Record<string, string>>): { Name: string; Value: string }[] {
  return Object.entries(headers).map(([name, value]) => {
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new Error(`the header ${name} is set by the mailer, not by a message`);
    }
    // A line break in a value would start a new header: never let one through.
    if (/[\r\n]/.test(value) || /[\r\n:]/.test(name)) {
      throw new Error(`the header ${name} has a line break or colon where it may not`);
    }
    return { Name: name, Value: value };
  });
}

/**
 * Sends one message with SES v2 `SendEmail` (simple content: subject, HTML and text parts, and
 * custom headers such as `List-Unsubscribe` and `List-Unsubscribe-Post`), from MAIL_FROM. Errors
 * from SES (throttling, a suppressed recipient, a timeout) are thrown as the SDK raises them.
 */
export async function sendEmail(email: OutgoingEmail): Promise<SentEmail> {
  const { from, configurationSet: configured } = mailConfig();
  const configurationSet = email.configurationSet ?? configured;
  const headers = email.headers === undefined ? [] : messageHeaders(email.headers);
  const out = await ses.send(
    new SendEmailCommand({
      FromEmailAddress: from,
      Destination: { ToAddresses: [email.to] },
      Content: {
        Simple: {
          Subject: { Data: email.subject, Charset: 'UTF-8' },
          Body: {
            Html: { Data: email.html, Charset: 'UTF-8' },
            Text: { Data: email.text, Charset: 'UTF-8' },
          },
          ...(headers.length === 0 ? {} : { Headers: headers }),
        },
      },
      ...(configurationSet === undefined || configurationSet === ''
        ? {}
        : { ConfigurationSetName: configurationSet }),
      ...(email.tags === undefined
        ? {}
        : { EmailTags: Object.entries(email.tags).map(([Name, Value]) => ({ Name, Value })) }),
    }),
  );
  if (out.MessageId === undefined) throw new Error('SES accepted the message but gave no MessageId');
  return { messageId: out.MessageId };
}

/** SES's GetAccount, reduced to what the sender decides on: may it send now, and how many more. */
export async function accountState(): Promise<{ sendingEnabled: boolean; quotaLeft: number }> {
  const out = await ses.send(new GetAccountCommand({}));
  const quota = out.SendQuota;
  const max = quota?.Max24HourSend ?? 0;
  // -1 is SES's "unlimited".
  const left = max < 0 ? Number.POSITIVE_INFINITY : max - (quota?.SentLast24Hours ?? 0);
  return { sendingEnabled: out.SendingEnabled !== false, quotaLeft: left };
}
