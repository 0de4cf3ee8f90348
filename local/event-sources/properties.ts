/**
 * The properties of an `AWS::Lambda::EventSourceMapping`, checked as Lambda checks them and
 * with Lambda's defaults: an SQS queue or a DynamoDB stream as the source. What the local
 * cloud does not run (filters, tumbling windows, Kafka and MQ sources) is refused by name.
 */

export class EventSourceMappingError extends Error {
  override name = 'EventSourceMappingError';
}

interface Common {
  functionArn: string;
  eventSourceArn: string;
  batchSize: number;
  windowMs: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
}

export interface SqsMapping extends Common {
  kind: 'sqs';
  /** ScalingConfig.MaximumConcurrency; Infinity when not set (the function's concurrency limits it). */
  maxConcurrency: number;
}

export interface StreamMapping extends Common {
  kind: 'dynamodb';
  tableName: string;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  bisectOnError: boolean;
  /** -1: until the record is too old. */
  maxRetryAttempts: number;
  /** -1: as long as the stream keeps records (24 hours). */
  maxRecordAgeSeconds: number;
  /** DestinationConfig.OnFailure.Destination: an SQS queue ARN. */
  onFailure?: string;
}

export type MappingConfig = SqsMapping | StreamMapping;

const KNOWN = new Set([
  'FunctionName',
  'EventSourceArn',
  'BatchSize',
  'MaximumBatchingWindowInSeconds',
  'FunctionResponseTypes',
  'ScalingConfig',
  'Enabled',
  'StartingPosition',
  'BisectBatchOnFunctionError',
  'MaximumRetryAttempts',
  'MaximumRecordAgeInSeconds',
  'DestinationConfig',
  'ParallelizationFactor',
  'Tags',
]);

const SQS_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}$/;
const STREAM_ARN =
  /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table\/([A-Za-z0-9_.-]{3,255})\/stream\/[^/]+$/;
const FUNCTION_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$/;
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function mappingConfig(
  logicalId: string,
  properties: Record<string, unknown>,
  where: { account: string; region: string },
): MappingConfig {
  const fail = (problem: string) => new EventSourceMappingError(`${logicalId}: ${problem}`);
  const unknown = Object.keys(properties).filter((name) => !KNOWN.has(name));
  if (unknown.length > 0) {
    throw fail(`the local cloud does not run event source mappings with ${unknown.join(', ')}`);
  }
  const integer = (name: string, min: number, max: number): number | undefined => {
    const value = properties[name];
    if (value === undefined) return undefined;
    const number = typeof value === 'string' ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
      throw fail(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
    return number;
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const value = properties[name];
    if (value === undefined) return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw fail(`${name} must be true or false, got ${JSON.stringify(value)}`);
  };

  const functionName = properties.FunctionName;
  let functionArn: string;
  if (typeof functionName === 'string' && FUNCTION_ARN.test(functionName)) functionArn = functionName;
  else if (typeof functionName === 'string' && FUNCTION_NAME.test(functionName)) {
    functionArn = `arn:aws:lambda:${where.region}:${where.account}:function:${functionName}`;
  } else throw fail(`FunctionName must be a function name or ARN, got ${JSON.stringify(functionName)}`);

  const eventSourceArn = properties.EventSourceArn;
  if (typeof eventSourceArn !== 'string') {
    throw fail(
      `EventSourceArn must be an SQS queue or DynamoDB stream ARN, got ${JSON.stringify(eventSourceArn)}`,
    );
  }
  const responseTypes = properties.FunctionResponseTypes ?? [];
  if (!Array.isArray(responseTypes) || !responseTypes.every((type) => type === 'ReportBatchItemFailures')) {
    throw fail(
      `FunctionResponseTypes may only list ReportBatchItemFailures, got ${JSON.stringify(responseTypes)}`,
    );
  }
  const windowSeconds = integer('MaximumBatchingWindowInSeconds', 0, 300) ?? 0;
  const common = {
    functionArn,
    eventSourceArn,
    windowMs: windowSeconds * 1000,
    reportBatchItemFailures: responseTypes.length > 0,
    enabled: flag('Enabled', true),
  };

  if (SQS_ARN.test(eventSourceArn)) {
    for (const name of [
      'StartingPosition',
      'BisectBatchOnFunctionError',
      'MaximumRetryAttempts',
      'MaximumRecordAgeInSeconds',
      'DestinationConfig',
      'ParallelizationFactor',
    ]) {
      if (properties[name] !== undefined)
        throw fail(`${name} applies to stream sources, not to an SQS queue`);
    }
    const batchSize = integer('BatchSize', 1, 10_000) ?? 10;
    if (batchSize > 10 && windowSeconds < 1) {
      throw fail(`BatchSize ${batchSize} above 10 needs MaximumBatchingWindowInSeconds of at least 1`);
    }
    const scaling = properties.ScalingConfig;
    let maxConcurrency = Number.POSITIVE_INFINITY;
    if (scaling !== undefined) {
      const value =
        typeof scaling === 'object' && scaling !== null
          ? (scaling as Record<string, unknown>).MaximumConcurrency
          : scaling;
      if (value !== undefined) {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 2 || value > 1000) {
          throw fail(
            `ScalingConfig.MaximumConcurrency must be an integer from 2 to 1000, got ${JSON.stringify(value)}`,
          );
        }
        maxConcurrency = value;
      }
    }
    return { kind: 'sqs', ...common, batchSize, maxConcurrency };
  }

  const stream = STREAM_ARN.exec(eventSourceArn);
  if (stream === null) {
    throw fail(`EventSourceArn ${eventSourceArn} is neither an SQS queue nor a DynamoDB stream ARN`);
  }
  if (properties.ScalingConfig !== undefined) throw fail('ScalingConfig applies to SQS sources only');
  const startingPosition = properties.StartingPosition;
  if (startingPosition !== 'TRIM_HORIZON' && startingPosition !== 'LATEST') {
    throw fail(
      `StartingPosition must be TRIM_HORIZON or LATEST for a DynamoDB stream, got ${JSON.stringify(startingPosition)}`,
    );
  }
  const parallelization = integer('ParallelizationFactor', 1, 10) ?? 1;
  if (parallelization !== 1)
    throw fail(`the local cloud runs ParallelizationFactor 1 only, got ${parallelization}`);
  const maxRecordAgeSeconds = integer('MaximumRecordAgeInSeconds', -1, 604_800) ?? -1;
  if (maxRecordAgeSeconds !== -1 && maxRecordAgeSeconds < 60) {
    throw fail(`MaximumRecordAgeInSeconds must be -1 or from 60 to 604800, got ${maxRecordAgeSeconds}`);
  }
  let onFailure: string | undefined;
  const destination = properties.DestinationConfig;
  if (destination !== undefined) {
    const target =
      typeof destination === 'object' && destination !== null
        ? ((destination as Record<string, unknown>).OnFailure as Record<string, unknown> | undefined)
            ?.Destination
        : undefined;
    if (typeof target !== 'string' || !SQS_ARN.test(target)) {
      throw fail(
        `DestinationConfig.OnFailure.Destination must be an SQS queue ARN (the local cloud sends stream failures to SQS), got ${JSON.stringify(destination)}`,
      );
    }
    onFailure = target;
  }
  return {
    kind: 'dynamodb',
    ...common,
    batchSize: integer('BatchSize', 1, 10_000) ?? 100,
    tableName: stream[1] ?? '',
    startingPosition,
    bisectOnError: flag('BisectBatchOnFunctionError', false),
    maxRetryAttempts: integer('MaximumRetryAttempts', -1, 10_000) ?? -1,
    maxRecordAgeSeconds,
    ...(onFailure === undefined ? {} : { onFailure }),
  };
}
