/**
 * SQS in the local cloud: the JSON API on the edge port (what the AWS CLI and the SDK
 * speak), the queue port SNS, EventBridge and Lambda destinations send through, the
 * queue and queue-policy resources of a template, and the queues' state for `--data`.
 * Every call is authorised as on AWS: a role by its policy and the queue's, an AWS
 * service only by the queue's policy.
 */
import { createHash } from 'node:crypto';
import { AccessDeniedError, type AccessRequest, type Authorizer } from '../iam/authorizer.ts';
import type { Principal } from '../identity.ts';
import {
  type EdgeRequest,
  type EdgeResponse,
  type LocalService,
  QueueDeniedError,
  QueueNotFoundError,
  type QueueSender,
  type QueueWriter,
  type ResourceProvider,
} from '../service.ts';
import { queueAccess, sqsAccessRequests } from './access.ts';
import { OPERATIONS, type ReceiveRequest, receiveRequest, renderReceived, type SqsCall } from './api.ts';
import { SqsError } from './errors.ts';
import type { Queue, ReceivedMessage } from './queue.ts';
import { SqsQueues } from './queues.ts';
import { queuePolicyProvider, queueProvider } from './resources.ts';

export interface SqsServiceOptions {
  /** The edge port's URL, which queue URLs start with. */
  endpoint(): string;
  authorizer: Pick<Authorizer, 'authorize' | 'allowsService'>;
  /** Visibility timeouts and delays run on the cloud's timers. */
  timers: { schedule(delayMs: number, label: string, run: () => void): void };
  clock: { now(): number };
  log: (line: string) => void;
  /** The longest a ReceiveMessage waits for a message (SQS allows 20 s). */
  maxWaitMs?: number;
}

/** What a Lambda event source mapping does with a queue (it polls with the function's role). */
export interface QueueConsumer {
  exists(queueArn: string): boolean;
  /** Messages that can be received now. */
  visibleCount(queueArn: string): number;
  /**
   * Receives as ReceiveMessage does (counts the receive, hides for the visibility timeout,
   * redrives), but a message's return is armed only by `returnAfterTimeout`: settling the
   * cloud while the function still runs must not show its batch to another poller.
   */
  receive(queueArn: string, max: number): ReceivedMessage[];
  delete(queueArn: string, receiptHandle: string): void;
  /** A message the function failed: it comes back when its visibility timeout is up. */
  returnAfterTimeout(queueArn: string, receiptHandle: string): void;
  /** Calls `listener` whenever the queue may have a message to receive; returns what unsubscribes. */
  onAvailable(queueArn: string, listener: () => void): () => void;
  /** The IAM request for `action` on the queue, with its policy. */
  access(queueArn: string, action: string): AccessRequest;
}

const TARGET = /^AmazonSQS\.([A-Za-z]+)$/;
const JSON_1_0 = 'application/x-amz-json-1.0';
const MAX_WAIT_MS = 20_000;

/** SenderId as SQS reports it: a role session's `ROLEID:session`, a user's id, an account's id. */
function senderIdOf(principal: Principal): string {
  const id = (prefix: string, of: string) =>
    `${prefix}${createHash('sha256').update(of).digest('hex').slice(0, 17).toUpperCase()}`;
  if (principal.kind === 'role') return `${id('AROA', principal.roleArn)}:${principal.role.name}`;
  if (principal.kind === 'administrator') return id('AIDA', principal.arn);
  return principal.account;
}

export class SqsService implements LocalService, QueueWriter {
  readonly name = 'sqs';
  readonly queues: SqsQueues;
  readonly resources: readonly ResourceProvider[];
  private readonly waits = new Set<() => void>();
  private stopped = false;

  constructor(private readonly options: SqsServiceOptions) {
    this.queues = new SqsQueues({
      clock: options.clock,
      schedule: options.timers.schedule.bind(options.timers),
      log: options.log,
    });
    this.resources = [
      queueProvider(this.queues, (queue) => this.urlOf(queue)),
      queuePolicyProvider(this.queues),
    ];
  }

  readonly consumer: QueueConsumer = {
    exists: (arn) => this.queues.get(arn) !== undefined,
    visibleCount: (arn) => this.queues.get(arn)?.counts().visible ?? 0,
    receive: (arn, max) => {
      const queue = this.queues.get(arn);
      return queue === undefined ? [] : this.queues.receive(queue, max, undefined, { deferReturn: true });
    },
    delete: (arn, handle) => this.queues.get(arn)?.delete(handle),
    returnAfterTimeout: (arn, handle) => this.queues.get(arn)?.returnAfterTimeout(handle),
    onAvailable: (arn, listener) => this.queues.onAvailable(arn, listener),
    access: (arn, action) => {
      const queue = this.queues.get(arn);
      if (queue !== undefined) return queueAccess(queue, action);
      return { action, resource: arn, resourceAccount: arn.split(':')[4] ?? '' };
    },
  };

  urlOf(queue: Queue): string {
    return `${this.options.endpoint()}/${queue.address.account}/${queue.name}`;
  }

  matches(request: EdgeRequest): boolean {
    const target = request.headers['x-amz-target'];
    return typeof target === 'string' && target.startsWith('AmazonSQS.');
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    try {
      return this.ok(await this.answer(request));
    } catch (error) {
      if (error instanceof SqsError) return this.error(error);
      if (error instanceof AccessDeniedError) return this.error(new SqsError('AccessDenied', error.message));
      throw error;
    }
  }

  private async answer(request: EdgeRequest): Promise<unknown> {
    const target = request.headers['x-amz-target'];
    const operation = typeof target === 'string' ? TARGET.exec(target)?.[1] : undefined;
    if (request.caller === undefined || request.principal === undefined) {
      const garbled = request.credentialError?.problem === 'garbled';
      throw new SqsError(
        garbled ? 'IncompleteSignature' : 'MissingAuthenticationToken',
        request.credentialError?.message ?? 'Request is missing Authentication Token',
      );
    }
    if (operation === undefined || (operation !== 'ReceiveMessage' && OPERATIONS[operation] === undefined)) {
      throw new SqsError('InvalidAction', `The action ${String(target)} is not valid for this endpoint.`);
    }
    const input = parseBody(request.body);
    await this.options.authorizer.authorize(
      request.principal,
      sqsAccessRequests(this.queues, request.caller, operation, input),
    );
    const call: SqsCall = {
      caller: request.caller,
      senderId: senderIdOf(request.principal),
      urlOf: (queue) => this.urlOf(queue),
    };
    if (operation === 'ReceiveMessage') {
      const receive = receiveRequest(this.queues, call, input);
      return renderReceived(receive, await this.receive(receive));
    }
    return (OPERATIONS[operation] as NonNullable<(typeof OPERATIONS)[string]>)(this.queues, call, input);
  }

  /** Receives at once, or waits up to the wait time for a message to arrive (long polling). */
  private async receive(request: ReceiveRequest): Promise<ReceivedMessage[]> {
    const deadline = Date.now() + Math.min(request.waitSeconds * 1000, this.options.maxWaitMs ?? MAX_WAIT_MS);
    for (;;) {
      if (this.queues.get(request.queue.arn) !== request.queue) return [];
      const received = this.queues.receive(request.queue, request.max, request.visibilityTimeout);
      const left = deadline - Date.now();
      if (received.length > 0 || left <= 0 || this.stopped) return received;
      await this.waitForMessage(request.queue.arn, left);
    }
  }

  private waitForMessage(arn: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        this.waits.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const unsubscribe = this.queues.onAvailable(arn, done);
      this.waits.add(done);
    });
  }

  private ok(body: unknown): EdgeResponse {
    return { status: 200, headers: { 'content-type': JSON_1_0 }, body: JSON.stringify(body) };
  }

  private error(error: SqsError): EdgeResponse {
    return {
      status: error.status,
      headers: { 'content-type': JSON_1_0, 'x-amzn-query-error': error.queryError },
      body: JSON.stringify({ __type: error.type, message: error.message }),
    };
  }

  /** What SNS, EventBridge and Lambda destinations send through; the queue's policy decides. */
  async send(queueArn: string, body: string, sender: QueueSender): Promise<void> {
    const queue = this.queues.get(queueArn);
    if (queue === undefined) throw new QueueNotFoundError(`queue ${queueArn} does not exist`);
    if (sender.kind === 'service') {
      const allowed = await this.options.authorizer.allowsService(
        sender.principal,
        queueAccess(queue, 'sqs:SendMessage', {
          'aws:SourceArn': sender.sourceArn,
          'aws:SourceAccount': sender.sourceAccount,
        }),
      );
      if (!allowed) {
        throw new QueueDeniedError(
          `the policy of queue ${queueArn} does not let ${sender.principal} send messages for ${sender.sourceArn}`,
        );
      }
    } else {
      try {
        await this.options.authorizer.authorize(sender.principal, [queueAccess(queue, 'sqs:SendMessage')]);
      } catch (error) {
        if (error instanceof AccessDeniedError) throw new QueueDeniedError(error.message, { cause: error });
        throw error;
      }
    }
    this.queues.send(queue, {
      body,
      messageAttributes: {},
      senderId: sender.kind === 'service' ? sender.principal : senderIdOf(sender.principal),
    });
  }

  /** The bodies of every message a queue holds, visible or not, without receiving them (tests, demos). */
  peek(queueArn: string): string[] {
    return (this.queues.get(queueArn)?.snapshot().messages ?? []).map((message) => message.body);
  }

  snapshot(): unknown {
    return this.queues.snapshot();
  }

  restore(snapshot: unknown): void {
    this.queues.restore(snapshot);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const done of [...this.waits]) done();
  }
}

function parseBody(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new SqsError('InvalidParameterValue', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SqsError('InvalidParameterValue', 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}
