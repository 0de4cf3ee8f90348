/**
 * How Lambda handles a function's asynchronous invocations, as `AWS::Lambda::EventInvokeConfig`
 * says (retries, how old an event may get, where a record of a failure goes), and the
 * invocation record it sends to the destination.
 */
import { functionArnFrom } from './definition.ts';

export interface AsyncInvokeConfig {
  id: string;
  functionArn: string;
  /** 0-2; Lambda's default is 2. */
  maximumRetryAttempts: number;
  /** 60-21600; Lambda's default is 6 hours. */
  maximumEventAgeSeconds: number;
  /** An SQS queue ARN. */
  onFailure: string | undefined;
  onSuccess: string | undefined;
}

export const DEFAULT_ASYNC_INVOKE = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 };

export class InvokeConfigDefinitionError extends Error {
  override name = 'InvokeConfigDefinitionError';
}

const SQS_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[\w-]{1,80}$/;

function fail(logicalId: string, field: string, value: unknown, expected: string): never {
  throw new InvokeConfigDefinitionError(
    `${logicalId} (AWS::Lambda::EventInvokeConfig): ${field} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`,
  );
}

function wholeNumber(logicalId: string, field: string, value: unknown, min: number, max: number): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max)
    fail(logicalId, field, value, `a whole number from ${min} to ${max}`);
  return number;
}

function destinationOf(
  logicalId: string,
  config: unknown,
  field: 'OnFailure' | 'OnSuccess',
): string | undefined {
  if (config === undefined) return undefined;
  if (typeof config !== 'object' || config === null)
    fail(logicalId, 'DestinationConfig', config, 'an object');
  const entry = (config as Record<string, unknown>)[field];
  if (entry === undefined) return undefined;
  const destination =
    typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).Destination : undefined;
  if (typeof destination !== 'string' || !SQS_ARN.test(destination))
    fail(
      logicalId,
      `DestinationConfig.${field}.Destination`,
      destination,
      'an SQS queue ARN (the local cloud sends invocation records to SQS only)',
    );
  return destination;
}

export function asyncInvokeConfigOf(
  properties: Record<string, unknown>,
  context: { logicalId: string; id: string; account: string; region: string },
): AsyncInvokeConfig {
  const { logicalId } = context;
  const reference = properties.FunctionName;
  const functionArn =
    typeof reference === 'string' ? functionArnFrom(reference, context.account, context.region) : undefined;
  if (functionArn === undefined) fail(logicalId, 'FunctionName', reference, 'a function name or ARN');
  const qualifier = properties.Qualifier;
  if (qualifier !== '$LATEST')
    fail(logicalId, 'Qualifier', qualifier, '$LATEST (the local cloud has no published versions or aliases)');
  return {
    id: context.id,
    functionArn,
    maximumRetryAttempts:
      properties.MaximumRetryAttempts === undefined
        ? DEFAULT_ASYNC_INVOKE.maximumRetryAttempts
        : wholeNumber(logicalId, 'MaximumRetryAttempts', properties.MaximumRetryAttempts, 0, 2),
    maximumEventAgeSeconds:
      properties.MaximumEventAgeInSeconds === undefined
        ? DEFAULT_ASYNC_INVOKE.maximumEventAgeSeconds
        : wholeNumber(logicalId, 'MaximumEventAgeInSeconds', properties.MaximumEventAgeInSeconds, 60, 21_600),
    onFailure: destinationOf(logicalId, properties.DestinationConfig, 'OnFailure'),
    onSuccess: destinationOf(logicalId, properties.DestinationConfig, 'OnSuccess'),
  };
}

/** Why an event went to the on-failure destination. */
export type FailureCondition = 'RetriesExhausted' | 'EventAgeExceeded';

/** The invocation record Lambda sends to a destination. */
export interface InvocationRecord {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: FailureCondition | 'Success';
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext: { statusCode: number; executedVersion: string; functionError?: 'Unhandled' };
  responsePayload: unknown;
}

export function invocationRecord(input: {
  requestId: string;
  functionArn: string;
  condition: InvocationRecord['requestContext']['condition'];
  invokeCount: number;
  event: unknown;
  /** The function's answer, or its error payload (undefined when it never ran). */
  response: unknown;
  functionError: boolean;
  at: Date;
}): InvocationRecord {
  return {
    version: '1.0',
    timestamp: input.at.toISOString(),
    requestContext: {
      requestId: input.requestId,
      functionArn: `${input.functionArn}:$LATEST`,
      condition: input.condition,
      approximateInvokeCount: input.invokeCount,
    },
    requestPayload: input.event,
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(input.functionError ? { functionError: 'Unhandled' as const } : {}),
    },
    responsePayload: input.response ?? null,
  };
}
