/**
 * Where the local cloud's faults strike: a layer in front of the edge dispatch for the
 * gate's API calls, a wrapper around connection-notification deliveries, and one around
 * in-process Lambda invocations. Only the gate's own calls are faulted, so a test's
 * observer (the provider's admin credentials, consumers' 12-digit keys) sees the truth.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Ec2Error } from './ec2/errors.ts';
import { ec2ErrorResponse } from './ec2/query.ts';
import { jsonError } from './events/api.ts';
import type { FaultName, Faults } from './faults.ts';
import { type Caller, CredentialError, identifyCaller, type RoleAccountOf } from './identity.ts';
import { SnsError, snsErrorDocument } from './sns/query.ts';

/** Answers the request itself (true) when a fault strikes it; false lets it through. */
export type EdgeFaultLayer = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  requestId: string,
) => Promise<boolean>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Faults strike the gate's own calls only: `isGateCall` tells them (a call signed with a
 * role session, as every function's is).
 */
export function edgeFaultLayer(
  faults: Faults,
  providerAccount: string,
  isGateCall: (caller: Caller) => boolean,
  /** The account a role session's key acts in, so a fault aimed at a member strikes its calls. */
  roleAccountOf?: RoleAccountOf,
): EdgeFaultLayer {
  return async (req, res, url, requestId) => {
    if (!faults.active) return false;
    let caller: Caller;
    try {
      caller = identifyCaller(req.headers.authorization, url.searchParams, providerAccount, roleAccountOf);
    } catch (error) {
      if (error instanceof CredentialError) return false;
      throw error;
    }
    if (!isGateCall(caller)) return false;
    const target = req.headers['x-amz-target'];
    const service =
      typeof target === 'string' && target !== ''
        ? target.startsWith('DynamoDB_')
          ? 'dynamodb'
          : 'events'
        : caller.service;
    const answer = (status: number, contentType: string, body: string, headers = {}): true => {
      res.writeHead(status, {
        'content-type': contentType,
        'content-length': Buffer.byteLength(body, 'utf8'),
        'x-amzn-requestid': requestId,
        ...headers,
      });
      res.end(body);
      return true;
    };
    const ec2Error = (code: string, message: string, status: number): true => {
      const response = ec2ErrorResponse(new Ec2Error(code, message, status), requestId);
      return answer(response.status, 'text/xml;charset=UTF-8', response.body);
    };
    const place = { account: caller.account, region: caller.region };
    const strikes = (name: FaultName): boolean => faults.strikes(name, place);

    switch (service) {
      case 'ec2': {
        if (strikes('ec2.throttle')) return ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);
        if (strikes('ec2.error')) {
          return faults.pick(2) === 0
            ? ec2Error('InternalError', 'An internal error has occurred (injected).', 500)
            : ec2Error('Unavailable', 'The server is overloaded (injected).', 503);
        }
        if (strikes('ec2.reset')) {
          if (faults.pick(2) === 0) {
            // Before EC2 saw it: the call never happened.
            req.socket.destroy();
            return true;
          }
          // After EC2 did it: the change is made, the answer is lost.
          resetInsteadOfAnswering(req, res);
        }
        if (strikes('ec2.slow')) await sleep(50 + faults.pick(450));
        return false;
      }
      case 'dynamodb':
        if (!strikes('dynamodb.error')) return false;
        return faults.pick(2) === 0
          ? answer(
              400,
              'application/x-amz-json-1.0',
              JSON.stringify({
                __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
                message: 'Rate of requests exceeds the allowed throughput (injected).',
              }),
            )
          : answer(
              500,
              'application/x-amz-json-1.0',
              JSON.stringify({
                __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
                message: 'Internal server error (injected).',
              }),
            );
      case 'events': {
        if (!strikes('events.error')) return false;
        const error = jsonError(500, 'InternalException', 'Internal error (injected).');
        return answer(error.status, 'application/x-amz-json-1.1', JSON.stringify(error.body), {
          'x-amzn-errortype': 'InternalException',
        });
      }
      case 'sns':
        if (!strikes('sns.error')) return false;
        return answer(
          500,
          'text/xml',
          snsErrorDocument(new SnsError('InternalError', 'Internal error (injected).', 500), requestId),
        );
      default:
        return false;
    }
  };
}

/** The request is served, but its answer never arrives: the connection is reset instead. */
function resetInsteadOfAnswering(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead = (() => res) as typeof res.writeHead;
  res.end = (() => {
    req.socket.destroy();
    return res;
  }) as typeof res.end;
}

/**
 * Connection notifications as a flaky network delivers them: some lost, some twice, some
 * late, some overtaken by the next one. `schedule` is the cloud's timer, so that
 * `idle()` waits for late ones.
 */
export function faultyNotifications(
  faults: Faults,
  schedule: (delayMs: number, label: string, run: () => void) => void,
): (publish: () => void) => void {
  let held: (() => void) | undefined;
  const releaseHeld = (): void => {
    const previous = held;
    held = undefined;
    previous?.();
  };
  return (publish) => {
    if (faults.strikes('notify.drop')) return;
    const copies = faults.strikes('notify.duplicate') ? 2 : 1;
    const send = (): void => {
      for (let i = 0; i < copies; i += 1) publish();
    };
    if (faults.strikes('notify.reorder')) {
      // Held until the next notification has gone out, or a second has passed.
      releaseHeld();
      held = send;
      schedule(1000, 'reordered connection notification', () => {
        if (held === send) releaseHeld();
      });
      return;
    }
    if (faults.strikes('notify.delay'))
      schedule(100 + faults.pick(2000), 'delayed connection notification', send);
    else send();
    releaseHeld();
  };
}

export class LambdaCrashError extends Error {
  override name = 'LambdaCrashError';
}

/**
 * An in-process invocation that may die as a Lambda that times out does: before it did
 * anything, or after its work but before it could answer (so it is retried). Either way
 * the invoker sees a failure and AWS's retry-then-dead-letter path runs.
 */
export function crashingInvocation<T>(
  faults: Faults | undefined,
  name: string,
  run: () => Promise<T>,
): Promise<T> {
  if (faults === undefined || !faults.strikes('lambda.crash')) return run();
  if (faults.pick(2) === 0)
    return Promise.reject(new LambdaCrashError(`${name} died before it started (injected)`));
  return run().then(() => {
    throw new LambdaCrashError(`${name} died before it could answer (injected)`);
  });
}
