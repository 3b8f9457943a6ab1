import * as z from 'zod/mini';
import '#core/zod-messages';
import type { SuppressionReason } from './subscribers';

/** One recipient to suppress, and why. */
export interface Suppression {
  readonly address: string;
  readonly reason: SuppressionReason;
}

const recipients = z.array(z.looseObject({ emailAddress: z.string() }));

const sesEventSchema = z.looseObject({
  eventType: z.optional(z.string()),
  mail: z.optional(
    z.looseObject({
      messageId: z.optional(z.string()),
      destination: z.optional(z.array(z.string())),
      tags: z.optional(z.record(z.string(), z.array(z.string()))),
    }),
  ),
  notificationType: z.optional(z.string()),
  bounce: z.optional(z.looseObject({ bounceType: z.string(), bouncedRecipients: recipients })),
  complaint: z.optional(z.looseObject({ complainedRecipients: recipients })),
});

/** A Send event: SES accepted the message (its id, recipients and tags). */
export interface AcceptedSend {
  readonly messageId: string;
  readonly recipients: readonly string[];
  readonly tags: Readonly<Record<string, readonly string[]>>;
}

export type ParsedMailEvent =
  | { ok: true; type: string; suppressions: Suppression[]; send?: AcceptedSend }
  | { ok: false; problem: string };

/** A recipient as SES writes it: usually bare, sometimes `Name <address>`. */
function bareAddress(value: string): string {
  const angled = /<([^<>]+)>\s*$/.exec(value);
  return (angled?.[1] ?? value).trim();
}

/** The recipients' bare addresses, without empty ones (nothing to suppress there). */
function addresses(list: readonly { emailAddress: string }[]): string[] {
  return list.map((recipient) => bareAddress(recipient.emailAddress)).filter((address) => address !== '');
}

/** The suppressions one SES event (the SNS message text) calls for. */
/**
 * SES feedback, as an SES configuration set publishes it to SNS (`eventType`), or as identity
 * notifications do (`notificationType`): which recipients must never be mailed again. Only a
 * permanent bounce or a complaint suppresses; a transient or undetermined bounce (a full mailbox,
 * a greylisting server) does not, nor do the other event types (Send, Delivery, Open, …).
 */
export function parseMailEvent(message: string): ParsedMailEvent {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return { ok: false, problem: 'the message is not JSON' };
  }
  const parsed = sesEventSchema.safeParse(json);
  if (!parsed.success) return { ok: false, problem: 'the message is not an SES event' };
  const event = parsed.data;
  const type = event.eventType ?? event.notificationType;
  if (type === undefined) return { ok: false, problem: 'the message has no eventType or notificationType' };
  if (type === 'Bounce') {
    if (event.bounce === undefined) return { ok: false, problem: 'a Bounce event without bounce' };
    if (event.bounce.bounceType !== 'Permanent') return { ok: true, type, suppressions: [] };
    return {
      ok: true,
      type,
      suppressions: addresses(event.bounce.bouncedRecipients).map((address) => ({
        address,
        reason: 'bounce' as const,
      })),
    };
  }
  if (type === 'Complaint') {
    if (event.complaint === undefined) return { ok: false, problem: 'a Complaint event without complaint' };
    return {
      ok: true,
      type,
      suppressions: addresses(event.complaint.complainedRecipients).map((address) => ({
        address,
        reason: 'complaint' as const,
      })),
    };
  }
  const mail = event.mail;
  if (type === 'Send' && mail?.messageId !== undefined && mail.destination !== undefined) {
    const send: AcceptedSend = {
      messageId: mail.messageId,
      recipients: mail.destination.map(bareAddress),
      tags: mail.tags ?? {},
    };
    return { ok: true, type, suppressions: [], send };
  }
  return { ok: true, type, suppressions: [] };
}
