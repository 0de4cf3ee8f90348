/**
 * Plain fakes of the ports the local cloud's services reach each other by (local/service.ts):
 * a Lambda that records invocations, an SQS that records messages, and resource requests as
 * the deployer makes them. A fake refuses what a test tells it to, with the real errors.
 */
import type { Deliveries, Timers } from '../../local/deliveries.ts';
import {
  type FunctionInvoker,
  FunctionNotFoundError,
  InvokeDeniedError,
  type InvokeResult,
  type InvokeSource,
  QueueDeniedError,
  type QueueSender,
  type QueueWriter,
  type ResourceRequest,
  type StackIdentity,
} from '../../local/service.ts';

export interface RecordedInvoke {
  mode: 'sync' | 'async';
  functionArn: string;
  event: unknown;
  source: InvokeSource;
}

export class RecordingInvoker implements FunctionInvoker {
  readonly calls: RecordedInvoke[] = [];
  /** Functions whose permission refuses every service. */
  readonly denied = new Set<string>();
  /** Functions that do not exist. */
  readonly missing = new Set<string>();
  /** What a synchronous invoke answers, by function ARN. */
  readonly results = new Map<string, InvokeResult>();

  #check(functionArn: string): void {
    if (this.missing.has(functionArn)) throw new FunctionNotFoundError(`Function not found: ${functionArn}`);
    if (this.denied.has(functionArn))
      throw new InvokeDeniedError(`no permission lets the service invoke ${functionArn}`);
  }

  async invoke(functionArn: string, event: unknown, source: InvokeSource): Promise<InvokeResult> {
    this.#check(functionArn);
    this.calls.push({ mode: 'sync', functionArn, event, source });
    return this.results.get(functionArn) ?? { ok: true, payload: null };
  }

  async invokeAsync(functionArn: string, event: unknown, source: InvokeSource): Promise<void> {
    this.#check(functionArn);
    this.calls.push({ mode: 'async', functionArn, event, source });
  }
}

export interface RecordedMessage {
  queueArn: string;
  body: string;
  sender: QueueSender;
  attributes: Record<string, string> | undefined;
}

export class RecordingQueues implements QueueWriter {
  readonly messages: RecordedMessage[] = [];
  readonly denied = new Set<string>();
  /** Throws this many times before accepting (a flaky queue). */
  failures = 0;

  async send(
    queueArn: string,
    body: string,
    sender: QueueSender,
    attributes?: Record<string, string>,
  ): Promise<void> {
    if (this.denied.has(queueArn)) throw new QueueDeniedError(`the queue policy of ${queueArn} refuses`);
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('ServiceUnavailable: try again');
    }
    this.messages.push({ queueArn, body, sender, attributes });
  }
}

export function testStack(account: string, region: string, name = 'TestStack'): StackIdentity {
  return {
    name,
    id: `arn:aws:cloudformation:${region}:${account}:stack/${name}/00000000-0000-4000-8000-000000000000`,
    account,
    region,
  };
}

/** A resource request as the deployer makes one, intrinsics already resolved. */
export function resourceRequest(
  stack: StackIdentity,
  logicalId: string,
  properties: Record<string, unknown>,
): ResourceRequest {
  return {
    logicalId,
    properties,
    stack,
    generatedName: (maxLength = 128) => `${stack.name}-${logicalId}-ABCDEFGHIJKL`.slice(0, maxLength),
  };
}

/** Waits until no delivery or timer is left, as the cloud's `idle()` does. */
export async function settled(deliveries: Deliveries, timers: Timers): Promise<void> {
  while (deliveries.busy || timers.busy) await Promise.all([deliveries.idle(), timers.idle()]);
}
