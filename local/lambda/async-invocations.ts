/**
 * Lambda's queue of asynchronous invocations (SNS, EventBridge, `Invoke` with `Event`):
 * each event is run, retried after a function error as the function's async invoke
 * configuration says (with short local delays on the cloud's timers, not Lambda's minutes),
 * dropped when it grows older than its maximum age, and in either case recorded to the
 * on-failure destination. Queued through the cloud's deliveries, so `idle()` waits for it.
 */
import type { Deliveries, Timers } from '../deliveries.ts';
import type { QueueWriter } from '../service.ts';
import type { DeployedFunction } from './deployed-function.ts';
import {
  type AsyncInvokeConfig,
  DEFAULT_ASYNC_INVOKE,
  type FailureCondition,
  invocationRecord,
} from './invoke-config.ts';
import type { Outcome } from './runtime/function-worker.ts';

export interface AsyncInvocationDeps {
  deliveries: Deliveries;
  timers: Timers;
  now: () => number;
  queues: () => QueueWriter;
  log: (line: string) => void;
  /** The function now deployed under an ARN (it may be replaced or deleted while events wait). */
  functionOf: (functionArn: string) => DeployedFunction | undefined;
  configOf: (functionArn: string) => AsyncInvokeConfig | undefined;
  /** Before the first retry; doubles for each further retry. */
  retryDelayMs: number;
}

export class AsyncInvocations {
  /** Wakes retries waiting on a timer when the cloud stops. */
  readonly #waiting = new Set<() => void>();
  #stopped = false;

  constructor(private readonly deps: AsyncInvocationDeps) {}

  /** Queues one event; returns at once, as Lambda's `Event` invoke does. */
  enqueue(functionArn: string, event: unknown, requestId: string): void {
    const queuedAt = this.deps.now();
    // A key of its own: events to one function run side by side, as Lambda runs them.
    this.deps.deliveries.enqueue({}, `lambda async invoke ${functionArn} ${requestId}`, () =>
      this.#process(functionArn, event, requestId, queuedAt).catch((error: unknown) => {
        this.deps.log(`lambda: async invocation ${requestId} of ${functionArn} failed: ${String(error)}`);
      }),
    );
  }

  stop(): void {
    this.#stopped = true;
    for (const wake of this.#waiting) wake();
    this.#waiting.clear();
  }

  async #process(functionArn: string, event: unknown, requestId: string, queuedAt: number): Promise<void> {
    let last: Outcome | undefined;
    for (let attempt = 1; ; attempt += 1) {
      const fn = this.deps.functionOf(functionArn);
      if (fn === undefined || this.#stopped) {
        this.deps.log(`lambda: async event ${requestId} dropped: ${functionArn} is gone`);
        return;
      }
      const config = this.deps.configOf(functionArn);
      const maximumAgeMs =
        (config?.maximumEventAgeSeconds ?? DEFAULT_ASYNC_INVOKE.maximumEventAgeSeconds) * 1000;
      if (this.deps.now() - queuedAt > maximumAgeMs) {
        await this.#fail(fn, config, 'EventAgeExceeded', attempt - 1, event, requestId, last);
        return;
      }
      last = await fn.run(event, requestId);
      if (last.ok) {
        if (config?.onSuccess !== undefined)
          await this.#record(fn, config.onSuccess, 'Success', attempt, event, requestId, last);
        return;
      }
      const retries = config?.maximumRetryAttempts ?? DEFAULT_ASYNC_INVOKE.maximumRetryAttempts;
      if (attempt > retries) {
        await this.#fail(fn, config, 'RetriesExhausted', attempt, event, requestId, last);
        return;
      }
      this.deps.log(
        `lambda: async invocation ${requestId} of ${fn.definition.name} failed (${last.error.errorType}), retry ${attempt} of ${retries}`,
      );
      await this.#delay(this.deps.retryDelayMs * 2 ** (attempt - 1), `lambda async retry ${requestId}`);
    }
  }

  async #fail(
    fn: DeployedFunction,
    config: AsyncInvokeConfig | undefined,
    condition: FailureCondition,
    invokeCount: number,
    event: unknown,
    requestId: string,
    last: Outcome | undefined,
  ): Promise<void> {
    if (config?.onFailure === undefined) {
      this.deps.log(`lambda: async event ${requestId} of ${fn.definition.name} discarded (${condition})`);
      return;
    }
    await this.#record(fn, config.onFailure, condition, invokeCount, event, requestId, last);
  }

  async #record(
    fn: DeployedFunction,
    destination: string,
    condition: FailureCondition | 'Success',
    invokeCount: number,
    event: unknown,
    requestId: string,
    last: Outcome | undefined,
  ): Promise<void> {
    const response = last === undefined ? undefined : last.ok ? JSON.parse(last.payload) : last.error;
    const record = invocationRecord({
      requestId,
      functionArn: fn.definition.arn,
      condition,
      invokeCount,
      event,
      response,
      functionError: last !== undefined && !last.ok,
      at: new Date(this.deps.now()),
    });
    try {
      // Sent as the function's execution role: its policy must allow sqs:SendMessage, as on AWS.
      await this.deps
        .queues()
        .send(destination, JSON.stringify(record), { kind: 'principal', principal: fn.principal() });
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.deps.log(`lambda: invocation record of ${requestId} not delivered to ${destination}: ${reason}`);
    }
  }

  #delay(ms: number, label: string): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.#waiting.delete(wake);
        resolve();
      };
      this.#waiting.add(wake);
      this.deps.timers.schedule(ms, label, wake);
    });
  }
}
