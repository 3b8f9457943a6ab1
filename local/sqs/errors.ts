/**
 * The errors the local SQS server answers with. Each carries what the SDK needs to raise the real
 * exception class: the JSON `__type`, and the old query-protocol code in `x-amzn-query-error`, which
 * the SDK reads first because SQS is marked "awsQueryCompatible" (it maps the code back to the class).
 */
const ERRORS = {
  BatchEntryIdsNotDistinct: { queryCode: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', status: 400 },
  BatchRequestTooLong: { queryCode: 'AWS.SimpleQueueService.BatchRequestTooLong', status: 400 },
  EmptyBatchRequest: { queryCode: 'AWS.SimpleQueueService.EmptyBatchRequest', status: 400 },
  InvalidAttributeName: { queryCode: 'InvalidAttributeName', status: 400 },
  InvalidAttributeValue: { queryCode: 'InvalidAttributeValue', status: 400 },
  InvalidBatchEntryId: { queryCode: 'AWS.SimpleQueueService.InvalidBatchEntryId', status: 400 },
  // Not modelled by the SDK: it raises SQSServiceException with this name.
  InvalidParameterValue: { queryCode: 'InvalidParameterValue', status: 400 },
  MessageNotInflight: { queryCode: 'AWS.SimpleQueueService.MessageNotInflight', status: 400 },
  MissingParameter: { queryCode: 'MissingParameter', status: 400 },
  QueueDoesNotExist: { queryCode: 'AWS.SimpleQueueService.NonExistentQueue', status: 400 },
  QueueNameExists: { queryCode: 'QueueAlreadyExists', status: 400 },
  ReceiptHandleIsInvalid: { queryCode: 'ReceiptHandleIsInvalid', status: 404 },
  SerializationException: { queryCode: 'SerializationException', status: 400 },
  TooManyEntriesInBatchRequest: {
    queryCode: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
    status: 400,
  },
  UnknownOperationException: { queryCode: 'UnknownOperationException', status: 400 },
  UnsupportedOperation: { queryCode: 'AWS.SimpleQueueService.UnsupportedOperation', status: 400 },
  InternalError: { queryCode: 'InternalError', status: 500 },
} as const satisfies Record<string, { readonly queryCode: string; readonly status: number }>;

export type SqsErrorCode = keyof typeof ERRORS;

/** A request SQS would refuse, with the code and message SQS gives. */
export class SqsError extends Error {
  constructor(
    readonly code: SqsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SqsError';
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  /** A batch entry's `SenderFault`, and the `Sender;`/`Receiver` half of x-amzn-query-error. */
  get senderFault(): boolean {
    return this.status < 500;
  }

  /** The HTTP answer in the AWS JSON 1.0 error shape. */
  toResponse(): { status: number; headers: Record<string, string>; body: string } {
    return {
      status: this.status,
      headers: {
        'x-amzn-query-error': `${ERRORS[this.code].queryCode};${this.senderFault ? 'Sender' : 'Receiver'}`,
      },
      body: JSON.stringify({ __type: `com.amazonaws.sqs#${this.code}`, message: this.message }),
    };
  }
}

export const queueDoesNotExist = (): SqsError =>
  new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');

export const missingParameter = (name: string): SqsError =>
  new SqsError('MissingParameter', `The request must contain the parameter ${name}.`);

export const invalidParameter = (name: string, value: unknown, reason: string): SqsError =>
  new SqsError(
    'InvalidParameterValue',
    `Value ${typeof value === 'string' ? value : JSON.stringify(value)} for parameter ${name} is invalid. Reason: ${reason}`,
  );
