import { renderMessagePage } from '#core/render/message-page';
import { REPORT_NAME } from '#core/subscriptions/messages';
import type { LinkRefusal } from '#core/subscriptions/subscriber-lifecycle';

/**
 * The subscription endpoints' pages, through the site's one message template (escaped by
 * Handlebars). They are served on the site's own domain, so the site root is `/`.
 */
function page(
  title: string,
  paragraphs: readonly string[],
  form?: { action: string; button: string; fields?: { name: string; value: string }[] },
): string {
  return renderMessagePage({ title, message: paragraphs.join(' '), ...(form === undefined ? {} : { form }) });
}

/** After a subscribe form post: the same words whatever the address's state (no probing). */
export function checkInboxPage(address: string): string {
  return page('Check your inbox', [
    `If ${address} can receive our email, a message with a link to confirm your subscription is on its way.`,
    'Open it, follow the link and press the button on its page: nothing is sent to you until you do.',
    'If nothing arrives within a few minutes, look in your spam folder.',
  ]);
}

/** The confirmation link's page: a button, since only a POST may change anything (mail scanners open links). */
export function confirmFormPage(address: string, action: string): string {
  return page(
    'Confirm your subscription',
    [
      `Send the ${REPORT_NAME} to ${address} by email, once a week?`,
      'Nothing is sent until you press the button.',
    ],
    { action, button: 'Confirm my subscription' },
  );
}

export function confirmedPage(address: string, alreadyConfirmed: boolean): string {
  return page(alreadyConfirmed ? 'Already subscribed' : 'Subscription confirmed', [
    alreadyConfirmed
      ? `${address} was already subscribed: nothing has changed.`
      : `${address} will now get the ${REPORT_NAME} by email each week.`,
    'Every email has a link to unsubscribe at once.',
  ]);
}

/** The unsubscribe link's page: a button, since only a POST may change anything. */
export function unsubscribeFormPage(address: string, action: string): string {
  return page('Unsubscribe', [`Stop sending the ${REPORT_NAME} to ${address}?`], {
    action,
    button: 'Unsubscribe',
    // RFC 8058's one-click body, so the button's POST is the same request a mail client makes.
    fields: [{ name: 'List-Unsubscribe', value: 'One-Click' }],
  });
}

export function unsubscribedPage(
  address: string,
  result: 'unsubscribed' | 'already-unsubscribed' | 'suppressed',
): string {
  const first = {
    unsubscribed: `${address} is unsubscribed: you will get no more email from us.`,
    'already-unsubscribed': `${address} was already unsubscribed: you will get no more email from us.`,
    suppressed: `We no longer send email to ${address}: you will get no more email from us.`,
  }[result];
  return page('Unsubscribed', [first, 'Changed your mind? You can subscribe again on the site at any time.']);
}

/** A confirmation or unsubscribe link that cannot be used, and what to do instead. */
export function refusedLinkPage(
  purpose: 'confirm' | 'unsubscribe',
  refusal: LinkRefusal | 'missing',
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
  return page(
    confirm ? 'This confirmation link cannot be used' : 'This unsubscribe link cannot be used',
    refusal === 'suppressed' ? [why[refusal]] : [why[refusal], next],
  );
}

/** `message` as a sentence: capital first, full stop last. */
function sentence(message: string): string {
  const text = `${message.charAt(0).toUpperCase()}${message.slice(1)}`;
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** Any other error, for requests from a browser: the error mapping's message for a 4xx, none for a 5xx. */
export function errorPage(status: number, message: string): string {
  return status >= 500
    ? page('Something went wrong on our side', ['Please try again in a few minutes.'])
    : page('This request cannot be completed', [sentence(message)]);
}
