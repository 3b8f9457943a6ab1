/**
 * One email as the domain hands it to the mailer (lambdas/adapters/mailer.ts sends it with SES v2).
 * Every message has a text part as well as HTML: some readers and filters use only that.
 */
export interface OutgoingEmail {
  /** One recipient: each subscriber gets a message of their own (their own unsubscribe link). */
  readonly to: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  /**
   * Extra message headers, e.g. `List-Unsubscribe` and `List-Unsubscribe-Post`. SES v2 allows each
   * of those two once; names must be unique.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** SES message tags (names and values: letters, digits, `_` and `-`), carried back in SES's events. */
  readonly tags?: Readonly<Record<string, string>>;
  /** The SES configuration set (event publishing). @default env MAIL_CONFIGURATION_SET, if set */
  readonly configurationSet?: string;
}

export interface SentEmail {
  /** The id SES gave the message: keep it in a ledger to tie events back to a send. */
  readonly messageId: string;
}

/** The port the domain sends mail through. */
export type SendEmail = (email: OutgoingEmail) => Promise<SentEmail>;
