/**
 * Every count the functions publish (embedded metric format, namespace `ddor`, dimension
 * `service`; lambdas/adapters/observability.ts), under the one name the stack's alarms and
 * dashboard read it by. Both sides import it, so a name misspelt on either is a type error
 * instead of an alarm that never fires or a graph that stays flat. The hourly monitor's gauges
 * are `HEALTH_METRICS` (./health).
 */
export const METRICS = {
  // The weekly run and the publisher.
  weeksQueued: 'WeeksQueued',
  editionsPublished: 'EditionsPublished',
  editionsReissued: 'EditionsReissued',
  editionsUnchanged: 'EditionsUnchanged',
  publicationFailures: 'PublicationFailures',
  draftsAssembled: 'DraftsAssembled',
  editorEmailsSent: 'EditorEmailsSent',
  // The sender.
  emailsSent: 'EmailsSent',
  emailsSkipped: 'EmailsSkipped',
  emailsRejected: 'EmailsRejected',
  emailsUnknown: 'EmailsUnknown',
  emailsThrottled: 'EmailsThrottled',
  dailyQuotaReached: 'DailyQuotaReached',
  sendingPaused: 'SendingPaused',
  sendBatchFailures: 'SendBatchFailures',
  // What SES says back.
  bounces: 'Bounces',
  complaints: 'Complaints',
  // The intake API.
  recordsCreated: 'RecordsCreated',
  recordsUpdated: 'RecordsUpdated',
  recordsUnchanged: 'RecordsUnchanged',
  recordsInvalid: 'RecordsInvalid',
  recordsConflict: 'RecordsConflict',
  disputeNoticeFailures: 'DisputeNoticeFailures',
  unhandledErrors: 'UnhandledErrors',
  // Subscriptions.
  subscriptionRequests: 'SubscriptionRequests',
  subscriptionRequestsLimited: 'SubscriptionRequestsLimited',
  confirmationFailures: 'ConfirmationFailures',
  confirmationsSent: 'ConfirmationsSent',
  confirmationsRateLimited: 'ConfirmationsRateLimited',
  confirmationsAlreadyConfirmed: 'ConfirmationsAlreadyConfirmed',
  confirmationsSuppressed: 'ConfirmationsSuppressed',
  confirmationsDeferred: 'ConfirmationsDeferred',
  confirmationsDropped: 'ConfirmationsDropped',
  forgottenSubscribersDeleted: 'ForgottenSubscribersDeleted',
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/** The intake's count of each write result (`PUT` and each item of a `POST` batch). */
export const RECORD_METRICS = {
  created: METRICS.recordsCreated,
  updated: METRICS.recordsUpdated,
  unchanged: METRICS.recordsUnchanged,
  invalid: METRICS.recordsInvalid,
  conflict: METRICS.recordsConflict,
} as const satisfies Record<string, MetricName>;
