import type { OutgoingEmail } from '#core/mail/outgoing-email';
import { CONFIRM_TOKEN_TTL_SECONDS } from './tokens';

/** Text for an HTML element or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export const REPORT_NAME = 'Declined Detainer Outcome Report';

const CONFIRM_DAYS = Math.round(CONFIRM_TOKEN_TTL_SECONDS / 86_400);

export interface ConfirmationEmailInput {
  readonly to: string;
  readonly confirmUrl: string;
  readonly siteUrl: string;
}

/**
 * The double opt-in message: short and plain, with the link, why the reader got it, and what
 * happens if they ignore it. No tracking, no images.
 */
export function confirmationEmail(input: ConfirmationEmailInput): OutgoingEmail {
  const site = input.siteUrl.replace(/\/+$/, '');
  const subject = `Confirm your subscription to the ${REPORT_NAME}`;
  const text = [
    `Please confirm that you want the ${REPORT_NAME} by email, once a week:`,
    '',
    input.confirmUrl,
    '',
    `The link works for ${CONFIRM_DAYS} days.`,
    '',
    `Why you got this: someone, probably you, entered ${input.to} in the subscribe form at ${site}/.`,
    'If it was not you, ignore this message: without a confirmation you will get nothing more from us.',
    '',
    'Every report email has a link to unsubscribe at once.',
  ].join('\n');
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:24px;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#1b1b1b;background:#ffffff">
<p style="margin:0 0 16px">Please confirm that you want the ${escapeHtml(REPORT_NAME)} by email, once a week.</p>
<p style="margin:0 0 16px"><a href="${escapeHtml(input.confirmUrl)}" style="display:inline-block;padding:10px 18px;background:#005ea2;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold">Confirm my subscription</a></p>
<p style="margin:0 0 16px">Or open this link: <a href="${escapeHtml(input.confirmUrl)}" style="color:#005ea2;word-break:break-all">${escapeHtml(input.confirmUrl)}</a><br>It works for ${CONFIRM_DAYS} days.</p>
<p style="margin:0 0 16px;color:#454545;font-size:14px">Why you got this: someone, probably you, entered ${escapeHtml(input.to)} in the subscribe form at <a href="${escapeHtml(`${site}/`)}" style="color:#005ea2">${escapeHtml(`${site}/`)}</a>. If it was not you, ignore this message: without a confirmation you will get nothing more from us.</p>
<p style="margin:0;color:#454545;font-size:14px">Every report email has a link to unsubscribe at once.</p>
</body>
</html>
`;
  return { to: input.to, subject, text, html };
}
