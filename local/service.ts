/**
 * The contract every AWS service of the local cloud keeps, and the ports the services
 * use to reach each other. A service is one folder under local/ with one object that
 * implements `LocalService`: which requests are its, how it answers them (asking IAM
 * first), the CloudFormation resource types it creates, and its state for `--data`.
 * `local/registry.ts` lists them; the edge server and the deployer know no service by name.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Caller, CredentialError, Principal } from './identity.ts';

/** One HTTP request to the edge port, with who signed it. */
export interface EdgeRequest {
  method: string;
  url: URL;
  /** The request line's target as sent (path and query), for signature checks. */
  rawUrl: string;
  headers: IncomingHttpHeaders;
  body: string;
  requestId: string;
  /** The signer, from the SigV4 credential scope; undefined when unsigned or garbled. */
  caller: Caller | undefined;
  /** Why there is no caller. */
  credentialError: CredentialError | undefined;
  /** Who the caller is to IAM; undefined without a caller. */
  principal: Principal | undefined;
}

export interface EdgeResponse {
  status: number;
  /** A header given more than once (an HTTP API's `set-cookie`) is a list. */
  headers?: Record<string, string | string[]>;
  /** Bytes where the answer is binary (an HTTP API's base64-encoded function result). */
  body: string | Buffer;
}

/** A resource the deployer asks a service to create, update or delete. */
export interface ResourceRequest {
  logicalId: string;
  /** The resource's properties with every intrinsic function resolved. */
  properties: Record<string, unknown>;
  stack: StackIdentity;
  /**
   * A physical name as CloudFormation makes one when the template gives none:
   * `<stack>-<logicalId>-<RANDOM>`, cut to `maxLength` (default 128), stable for this resource.
   */
  generatedName(maxLength?: number): string;
}

export interface StackIdentity {
  name: string;
  /** `arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID` */
  id: string;
  account: string;
  region: string;
}

/** What `Ref` and `Fn::GetAtt` of a created resource return. */
export interface CreatedResource {
  physicalId: string;
  attributes: Record<string, unknown>;
}

/** Creates, updates and deletes one CloudFormation resource type. */
export interface ResourceProvider {
  readonly type: string;
  create(request: ResourceRequest): Promise<CreatedResource>;
  /**
   * Changes the resource in place where CloudFormation would; returns 'replace' where
   * CloudFormation replaces it (the deployer then creates the new one and deletes the old).
   * Absent: every change replaces.
   */
  update?(
    request: ResourceRequest & { physicalId: string; previous: Record<string, unknown> },
  ): Promise<CreatedResource | 'replace'>;
  delete(request: ResourceRequest & { physicalId: string }): Promise<void>;
  /**
   * Brings a resource kept in `--data` back to life after a restart, where its service
   * keeps part of it only in memory (a subscription's delivery, a schedule's timer, a
   * function's runtime). Absent: the service's own snapshot restores all of it.
   */
  reattach?(
    request: ResourceRequest & { physicalId: string; attributes: Record<string, unknown> },
  ): Promise<void>;
}

/** One AWS service of the local cloud. */
export interface LocalService {
  /** The signing name (`sqs`, `cloudformation`, `lambda`, `execute-api`, …). */
  readonly name: string;
  /** Whether the request is this service's: by `X-Amz-Target`, path, credential scope or `Action`. */
  matches?(request: EdgeRequest): boolean;
  /** Answers a request `matches` claimed, IAM included, in the service's own error shapes. */
  handle?(request: EdgeRequest): Promise<EdgeResponse>;
  /** The resource types it creates for the deployer. */
  readonly resources?: readonly ResourceProvider[];
  /** Its state for `--data`: JSON-serialisable. */
  snapshot?(): unknown;
  restore?(snapshot: unknown): void;
  /** Stops its timers and workers; called once when the cloud stops. */
  stop?(): Promise<void>;
}

/** Who invokes a function: a service principal (resource policy checked) or the Lambda service itself. */
export type InvokeSource =
  | {
      kind: 'service';
      /** `sns.amazonaws.com`, `events.amazonaws.com`, `apigateway.amazonaws.com` */
      principal: string;
      sourceArn: string;
      sourceAccount: string;
    }
  /** An event source mapping or a direct `Invoke` the edge already authorised. */
  | { kind: 'internal' };

export type InvokeResult =
  | { ok: true; payload: unknown }
  | { ok: false; errorType: string; errorMessage: string };

/** The Lambda service as the other services reach it. */
export interface FunctionInvoker {
  /**
   * A synchronous invoke: the result, or the function's error as `ok: false`. Throws
   * `InvokeDeniedError` when no permission lets `source` invoke it, `FunctionNotFoundError`
   * when there is no such function.
   */
  invoke(functionArn: string, event: unknown, source: InvokeSource): Promise<InvokeResult>;
  /**
   * An asynchronous invoke (SNS, EventBridge): queued, then retried and sent to the
   * on-failure destination as the function's async invoke configuration says. Throws
   * as `invoke` does, before queueing.
   */
  invokeAsync(functionArn: string, event: unknown, source: InvokeSource): Promise<void>;
}

/** Who sends to a queue: a service principal (the queue policy decides) or a role (its policy and the queue's). */
export type QueueSender =
  | { kind: 'service'; principal: string; sourceArn: string; sourceAccount: string }
  | { kind: 'principal'; principal: Principal };

/** The SQS service as the other services reach it. */
export interface QueueWriter {
  /**
   * Sends a message, with string message attributes when given (EventBridge's dead-letter
   * attributes); throws `QueueDeniedError` when the policies refuse, `QueueNotFoundError` when there is none.
   */
  send(
    queueArn: string,
    body: string,
    sender: QueueSender,
    attributes?: Record<string, string>,
  ): Promise<void>;
}

export class InvokeDeniedError extends Error {
  override name = 'InvokeDeniedError';
}
export class FunctionNotFoundError extends Error {
  override name = 'FunctionNotFoundError';
}
export class QueueDeniedError extends Error {
  override name = 'QueueDeniedError';
}
export class QueueNotFoundError extends Error {
  override name = 'QueueNotFoundError';
}

/** The local cloud's clock: real time plus what tests moved it ahead by. Functions see it too. */
export interface LocalClock {
  now(): number;
  /** Moves every function's clock (and the cloud's) ahead by `ms`; never back. */
  advance(ms: number): void;
  /** How far ahead of real time it is. */
  readonly offsetMs: number;
}
