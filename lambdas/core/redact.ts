/**
 * What the logs may keep of an error message: SES's errors name the recipient ("…failed the
 * check: reader@example.org"), and logs are kept longer than a subscriber's address (see the
 * personal data part of docs/ARCHITECTURE.md). Every email address becomes `<address>`.
 */
export function withoutAddresses(text: string): string {
  return text.replace(/[^\s@<>()[\]"',;:]+@[^\s@<>()[\]"',;:]+/g, '<address>');
}
