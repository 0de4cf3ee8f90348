/**
 * Counts every API call the edge port answers, per caller (the access key id that
 * signed it), service and action: the one way the bench and the tests count what the
 * gate costs. It reads only the request (headers, query, body), so it counts calls
 * that fail or are refused as AWS would bill and throttle them: every one.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { CredentialError, identifyCaller } from './identity.ts';

export interface CallCount {
  /** The access key id of the call's credential; `anonymous` for an unsigned call. */
  caller: string;
  /** `ec2`, `sns`, `sts`, `dynamodb` or `events`. */
  service: string;
  action: string;
  count: number;
}

const JSON_SERVICES: Record<string, string> = { DynamoDB_20120810: 'dynamodb', AWSEvents: 'events' };

export class CallCounts {
  private readonly counts = new Map<string, CallCount>();

  /** Counts one request to the edge port. */
  record(headers: IncomingHttpHeaders, url: URL, body: string): void {
    const call = callOf(headers, url, body);
    const key = `${call.caller}\n${call.service}\n${call.action}`;
    const known = this.counts.get(key);
    if (known) known.count += 1;
    else this.counts.set(key, { ...call, count: 1 });
  }

  /** Every count so far, sorted by caller, service, action. */
  list(): CallCount[] {
    return [...this.counts.values()]
      .map((c) => ({ ...c }))
      .sort(
        (a, b) =>
          a.caller.localeCompare(b.caller) ||
          a.service.localeCompare(b.service) ||
          a.action.localeCompare(b.action),
      );
  }

  reset(): void {
    this.counts.clear();
  }
}

function callOf(headers: IncomingHttpHeaders, url: URL, body: string): Omit<CallCount, 'count'> {
  let caller = 'anonymous';
  let scope: string | undefined;
  try {
    const identified = identifyCaller(headers.authorization, url.searchParams, '000000000000');
    caller = identified.accessKeyId;
    scope = identified.service;
  } catch (error) {
    if (!(error instanceof CredentialError)) throw error;
  }
  const target = headers['x-amz-target'];
  if (typeof target === 'string' && target !== '') {
    const [api = '', operation = ''] = target.split('.');
    return { caller, service: JSON_SERVICES[api] ?? api, action: operation };
  }
  const action = url.searchParams.get('Action') ?? new URLSearchParams(body).get('Action') ?? '';
  return { caller, service: scope ?? 'ec2', action };
}
