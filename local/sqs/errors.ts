/**
 * SQS's errors as the JSON protocol carries them: `__type` is the shape's name, and the
 * `x-amzn-query-error` header the code of the Query protocol SQS spoke before (it is
 * `awsQueryCompatible`), which the AWS CLI and the SDKs show as the error code
 * (`AWS.SimpleQueueService.NonExistentQueue`).
 */

/** Shape name -> [query error code, HTTP status], from the service model's `awsQueryError` traits. */
const SHAPES = {
  AccessDenied: ['AccessDenied', 403],
  BatchEntryIdsNotDistinct: ['AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 400],
  BatchRequestTooLong: ['AWS.SimpleQueueService.BatchRequestTooLong', 400],
  EmptyBatchRequest: ['AWS.SimpleQueueService.EmptyBatchRequest', 400],
  InvalidAddress: ['InvalidAddress', 404],
  InvalidAttributeName: ['InvalidAttributeName', 400],
  InvalidAttributeValue: ['InvalidAttributeValue', 400],
  InvalidBatchEntryId: ['AWS.SimpleQueueService.InvalidBatchEntryId', 400],
  InvalidMessageContents: ['InvalidMessageContents', 400],
  InvalidParameterValue: ['InvalidParameterValue', 400],
  InvalidSecurity: ['InvalidSecurity', 403],
  MessageNotInflight: ['AWS.SimpleQueueService.MessageNotInflight', 400],
  MissingParameter: ['MissingParameter', 400],
  MissingAuthenticationToken: ['MissingAuthenticationToken', 403],
  IncompleteSignature: ['IncompleteSignature', 403],
  PurgeQueueInProgress: ['AWS.SimpleQueueService.PurgeQueueInProgress', 403],
  QueueDoesNotExist: ['AWS.SimpleQueueService.NonExistentQueue', 400],
  QueueNameExists: ['QueueAlreadyExists', 400],
  ReceiptHandleIsInvalid: ['ReceiptHandleIsInvalid', 404],
  TooManyEntriesInBatchRequest: ['AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 400],
  UnsupportedOperation: ['AWS.SimpleQueueService.UnsupportedOperation', 400],
  InvalidAction: ['InvalidAction', 400],
} as const satisfies Record<string, readonly [string, number]>;

export type SqsErrorShape = keyof typeof SHAPES;

/** Where the shape lives in the model: the validation and auth errors are coral's, not SQS's. */
const NAMESPACE: Partial<Record<SqsErrorShape, string>> = {
  AccessDenied: 'com.amazon.coral.service#AccessDeniedException',
  MissingAuthenticationToken: 'com.amazon.coral.service#MissingAuthenticationTokenException',
  IncompleteSignature: 'com.amazon.coral.service#IncompleteSignatureException',
  InvalidAction: 'com.amazon.coral.service#UnknownOperationException',
};

export class SqsError extends Error {
  override name = 'SqsError';
  constructor(
    readonly shape: SqsErrorShape,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number {
    return SHAPES[this.shape][1];
  }

  /** `Code;Sender`, the header the clients read the error code from. */
  get queryError(): string {
    return `${SHAPES[this.shape][0]};Sender`;
  }

  get type(): string {
    return NAMESPACE[this.shape] ?? `com.amazonaws.sqs#${this.shape}`;
  }
}

export const queueDoesNotExist = (): SqsError =>
  new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
