import type { LinkRefusal } from '../core/subscriptions';
import { escapeHtml, REPORT_NAME } from '../core/subscription-messages';

/**
 * The subscription endpoints' pages: one short message each, readable with no script or style
 * sheet. Every value goes through escapeHtml.
 */
export interface MessagePage {
  readonly title: string;
  /** Paragraphs of plain text. */
  readonly message: readonly string[];
  /** A form with one button (POSTs to `action`, a relative URL). */
  readonly form?: { readonly action: string; readonly button: string; readonly fields?: Record<string, string> };
  /** A link under the message, e.g. back to the site. */
  readonly link?: { readonly href: string; readonly text: string };
}

const STYLE = [
  'body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;line-height:1.5;color:#1b1b1b;background:#fff}',
  'main{max-width:36rem;margin:0 auto;padding:2rem 1rem}',
  'h1{font-size:1.5rem;line-height:1.25}',
  'a{color:#005ea2}',
  'button{font:inherit;font-weight:bold;padding:.6rem 1.2rem;border:0;border-radius:4px;background:#005ea2;color:#fff;cursor:pointer}',
  'button:focus{outline:3px solid #2491ff;outline-offset:2px}',
  '.site{color:#454545;font-size:.9rem}',
  '@media (prefers-color-scheme:dark){body{background:#1b1b1b;color:#f0f0f0}a{color:#73b3e7}.site{color:#c9c9c9}}',
].join('');

export function messagePage(page: MessagePage): string {
  const paragraphs = page.message.map((text) => `<p>${escapeHtml(text)}</p>`).join('\n');
  const form =
    page.form === undefined
      ? ''
      : `<form method="post" action="${escapeHtml(page.form.action)}">
${Object.entries(page.form.fields ?? {})
  .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
  .join('\n')}
<button type="submit">${escapeHtml(page.form.button)}</button>
</form>`;
  const link =
    page.link === undefined
      ? ''
      : `<p><a href="${escapeHtml(page.link.href)}">${escapeHtml(page.link.text)}</a></p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(page.title)} · ${escapeHtml(REPORT_NAME)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="site">${escapeHtml(REPORT_NAME)}</p>
<h1>${escapeHtml(page.title)}</h1>
${paragraphs}
${form}
${link}
</main>
</body>
</html>
`;
}

function siteLink(siteUrl: string): { href: string; text: string } {
  return { href: `${siteUrl.replace(/\/+$/, '')}/`, text: `Go to the ${REPORT_NAME}` };
}

/** After a subscribe form post: the same words whatever the address's state (no probing). */
export function checkInboxPage(address: string, siteUrl: string): string {
  return messagePage({
    title: 'Check your inbox',
    message: [
      `If ${address} can receive our email, a message with a link to confirm your subscription is on its way.`,
      'Open it and follow the link: nothing is sent to you until you do. If nothing arrives within a few minutes, look in your spam folder.',
    ],
    link: siteLink(siteUrl),
  });
}

export function confirmedPage(address: string, alreadyConfirmed: boolean, siteUrl: string): string {
  return messagePage({
    title: alreadyConfirmed ? 'Already subscribed' : 'Subscription confirmed',
    message: [
      alreadyConfirmed
        ? `${address} was already subscribed: nothing has changed.`
        : `${address} will now get the ${REPORT_NAME} by email each week.`,
      'Every email has a link to unsubscribe at once.',
    ],
    link: siteLink(siteUrl),
  });
}

/** The unsubscribe link's page: a button, since only a POST may change anything. */
export function unsubscribeFormPage(address: string, action: string, siteUrl: string): string {
  return messagePage({
    title: 'Unsubscribe',
    message: [`Stop sending the ${REPORT_NAME} to ${address}?`],
    form: { action, button: 'Unsubscribe', fields: { 'List-Unsubscribe': 'One-Click' } },
    link: siteLink(siteUrl),
  });
}

export function unsubscribedPage(
  address: string,
  result: 'unsubscribed' | 'already-unsubscribed' | 'suppressed',
  siteUrl: string,
): string {
  const message = {
    unsubscribed: `${address} is unsubscribed: you will get no more email from us.`,
    'already-unsubscribed': `${address} was already unsubscribed: you will get no more email from us.`,
    suppressed: `We no longer send email to ${address}: you will get no more email from us.`,
  }[result];
  return messagePage({
    title: 'Unsubscribed',
    message: [message, 'Changed your mind? You can subscribe again on the site at any time.'],
    link: siteLink(siteUrl),
  });
}

/** A confirmation or unsubscribe link that cannot be used, and what to do instead. */
export function refusedLinkPage(
  purpose: 'confirm' | 'unsubscribe',
  refusal: LinkRefusal | 'missing',
  siteUrl: string,
): string {
  const confirm = purpose === 'confirm';
  const what = confirm ? 'confirmation link' : 'unsubscribe link';
  const why: Record<LinkRefusal | 'missing', string> = {
    missing: `This ${what} is incomplete: it has no token.`,
    invalid: `This ${what} is not valid: it may have been cut short or changed when it was copied.`,
    expired: `This ${what} has expired.`,
    superseded: `This ${what} is out of date: the subscription has changed since it was sent.`,
    suppressed: 'We cannot send email to this address: earlier messages bounced or were reported as spam.',
  };
  const next = confirm
    ? 'To subscribe, enter your address in the form on the site again: we will send you a new link.'
    : 'Use the unsubscribe link in the most recent email you received from us, or copy the whole link into your browser.';
  return messagePage({
    title: confirm ? 'This confirmation link cannot be used' : 'This unsubscribe link cannot be used',
    message: refusal === 'suppressed' ? [why[refusal]] : [why[refusal], next],
    link: siteLink(siteUrl),
  });
}

/** Any other error, for requests from a browser. */
export function errorPage(status: number, message: string, siteUrl: string | undefined): string {
  const title = status >= 500 ? 'Something went wrong on our side' : 'This request cannot be completed';
  return messagePage({
    title,
    message:
      status >= 500 ? ['Please try again in a few minutes.'] : [message.charAt(0).toUpperCase() + message.slice(1)],
    ...(siteUrl === undefined ? {} : { link: siteLink(siteUrl) }),
  });
}
