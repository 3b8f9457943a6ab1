/**
 * Email addresses as the subscription list keys them: trimmed and lower-cased, so one mailbox is one
 * subscriber however it was typed. The check is deliberately plain (the common dot-atom form with
 * an ASCII domain), not RFC 5322 in full: quoted local parts, IP-literal domains and comments are
 * valid there but unusable here, and SES needs an ASCII (punycode) domain anyway.
 */

/** RFC 5321's limit on a forward path, less the angle brackets. */
export const MAX_ADDRESS_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;
const MAX_LABEL_LENGTH = 63;

const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)$/;
/** A top-level domain: letters, or an IDN in punycode. */
const TOP_LEVEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

export type AddressCheck = { ok: true; address: string } | { ok: false; reason: string };

/** Trimmed and lower-cased: the subscriber key. */
export function normaliseAddress(value: string): string {
  return value.trim().toLowerCase();
}

/** Normalises `value` and says why it is not a usable address, in words a reader can act on. */
export function checkAddress(value: string): AddressCheck {
  const address = normaliseAddress(value);
  if (address === '') return { ok: false, reason: 'enter an email address' };
  if (address.length > MAX_ADDRESS_LENGTH) {
    return { ok: false, reason: `an email address has at most ${MAX_ADDRESS_LENGTH} characters` };
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\s\u0000-\u001f\u007f]/.test(address)) return { ok: false, reason: 'an email address has no spaces' };
  const at = address.lastIndexOf('@');
  if (at === -1) return { ok: false, reason: 'an email address needs an @, as in name@example.org' };
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local === '') return { ok: false, reason: 'the part before the @ is missing' };
  if (domain === '') return { ok: false, reason: 'the part after the @ (the domain) is missing' };
  if (local.length > MAX_LOCAL_PART_LENGTH) {
    return { ok: false, reason: `the part before the @ has at most ${MAX_LOCAL_PART_LENGTH} characters` };
  }
  if (!LOCAL_PART.test(local)) {
    return {
      ok: false,
      reason:
        'the part before the @ may hold letters, digits, dots (not first, last or twice in a row) and ' +
        "! # $ % & ' * + / = ? ^ _ ` { | } ~ -",
    };
  }
  if (local.startsWith('+')) {
    return { ok: false, reason: 'the part before the @ starts with +: put the mailbox name before any +tag' };
  }
  const labels = domain.split('.');
  const topLevel = labels[labels.length - 1] ?? '';
  if (
    labels.length < 2 ||
    labels.some((label) => label.length > MAX_LABEL_LENGTH || !LABEL.test(label)) ||
    !TOP_LEVEL.test(topLevel)
  ) {
    return {
      ok: false,
      reason: 'the domain after the @ is not valid (e.g. example.org; international domains in punycode)',
    };
  }
  return { ok: true, address };
}

/** Domains whose mailboxes ignore dots in the local part (Gmail's two names for one domain). */
const DOTLESS_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

/**
 * The mailbox an address reaches (contract §5): lower-cased, any `+…` cut from the local part,
 * and for Gmail's domains (one domain under two names) the dots removed and the domain made one.
 * One mailbox holds at most one subscription, so `+tag` and dot spellings cannot multiply the
 * mail one person gets. Mail still goes to the address as typed: not every provider delivers
 * `a+b@` to `a@`, so the mailbox is a key, never a recipient.
 */
export function mailboxOf(address: string): string {
  const normalised = normaliseAddress(address);
  const at = normalised.lastIndexOf('@');
  if (at === -1) return normalised;
  let local = normalised.slice(0, at);
  let domain = normalised.slice(at + 1);
  const plus = local.indexOf('+');
  if (plus !== -1) local = local.slice(0, plus);
  if (DOTLESS_DOMAINS.has(domain)) {
    local = local.replaceAll('.', '');
    domain = 'gmail.com';
  }
  return `${local}@${domain}`;
}
