/** The EventBridge JSON API (`AWSEvents.*`, awsJson1_1) of the local cloud: PutEvents. */
import type { Caller } from '../identity.ts';
import type { EventBuses, PutEventsEntry, PutEventsResultEntry } from './buses.ts';

export interface JsonResponse {
  status: number;
  /** The error type, also sent as `x-amzn-ErrorType`. */
  errorType?: string;
  body: unknown;
}

const MAX_ENTRIES = 10;

export function jsonError(status: number, type: string, message: string): JsonResponse {
  return { status, errorType: type, body: { __type: type, message } };
}

function isEntry(value: unknown): value is PutEventsEntry {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function handleEventsRequest(
  buses: EventBuses,
  caller: Caller,
  operation: string,
  body: unknown,
): JsonResponse {
  if (operation !== 'PutEvents') {
    return jsonError(
      400,
      'UnknownOperationException',
      `Operation ${operation} is not supported by the local cloud`,
    );
  }
  const entries = typeof body === 'object' && body !== null && 'Entries' in body ? body.Entries : undefined;
  if (!Array.isArray(entries)) {
    return jsonError(
      400,
      'ValidationException',
      "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
    );
  }
  if (entries.length < 1 || entries.length > MAX_ENTRIES) {
    return jsonError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${entries.length} entries' at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
    );
  }
  const results: PutEventsResultEntry[] = entries.map((entry) =>
    isEntry(entry)
      ? buses.put(caller.account, caller.region, entry)
      : {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Parameter Entry is not valid. Reason: not an object.',
        },
  );
  return {
    status: 200,
    body: {
      FailedEntryCount: results.filter((result) => result.ErrorCode !== undefined).length,
      Entries: results,
    },
  };
}
