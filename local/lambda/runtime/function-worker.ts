/**
 * One execution environment of a function: a worker thread of its own (its own module
 * graph, globals and `process.env`), running one invocation at a time. Its stdout and
 * stderr lines are the function's log. An invocation that outlives the function's timeout
 * ends the worker, as Lambda ends the sandbox; so does a crash.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type {
  FromWorker,
  FunctionErrorPayload,
  InvocationContext,
  ToWorker,
  WorkerStart,
} from './worker-protocol.ts';

const BOOTSTRAP = new URL('./worker-bootstrap.mjs', import.meta.url);

/** Lambda's init phase may take 10 s on top of the function's timeout before the invocation fails. */
const INIT_ALLOWANCE_MS = 10_000;

export interface WorkerSpec {
  start: WorkerStart;
  /** The worker's whole `process.env`. */
  env: Record<string, string>;
  memoryMb: number;
  /** Names the thread in inspectors and heap snapshots. */
  label: string;
}

/** How an invocation ended, as Lambda reports it. */
export type Outcome =
  | { ok: true; payload: string }
  | {
      ok: false;
      error: FunctionErrorPayload;
      /** The error ended the environment (timeout, crash, failed init): it is not reused. */
      fatal: boolean;
      /** Refused for want of concurrency (reserved concurrency 0): Lambda's 429. */
      throttled?: boolean;
    };

export interface Invocation {
  requestId: string;
  event: string;
  timeoutMs: number;
  context: InvocationContext;
}

const timeoutSeconds = (ms: number): string => (ms / 1000).toFixed(2);

export class FunctionWorker {
  readonly #worker: Worker;
  readonly #ready: Promise<FunctionErrorPayload | undefined>;
  #pending: ((outcome: Outcome) => void) | undefined;
  #exited = false;
  #cold = true;
  #requestId = '';

  constructor(
    spec: WorkerSpec,
    private readonly log: (line: string) => void,
  ) {
    this.#worker = new Worker(BOOTSTRAP, {
      workerData: spec.start,
      env: spec.env,
      execArgv: [],
      stdout: true,
      stderr: true,
      name: spec.label,
      // Lambda's memory setting bounds the heap; a function that outgrows it dies as it would there.
      resourceLimits: { maxOldGenerationSizeMb: spec.memoryMb },
    });
    for (const stream of [this.#worker.stdout, this.#worker.stderr]) {
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
        this.log(line),
      );
    }
    this.#ready = new Promise((resolve) => {
      const onMessage = (message: FromWorker) => {
        if (message.type === 'ready') resolve(undefined);
        else if (message.type === 'init-error') resolve(message.error);
        else this.#settle(message.ok ? message : { ok: false, error: message.error, fatal: false });
      };
      this.#worker.on('message', onMessage);
      this.#worker.on('error', (error) => {
        this.log(error.stack ?? `${error.name}: ${error.message}`);
        const reason = `Runtime exited with error: ${error.name}: ${error.message}`;
        resolve({ errorType: 'Runtime.ExitError', errorMessage: reason });
        this.#settleFatal(reason);
      });
      this.#worker.on('exit', (code) => {
        this.#exited = true;
        const reason = `Runtime exited with error: exit status ${code}`;
        resolve({ errorType: 'Runtime.ExitError', errorMessage: reason });
        this.#settleFatal(reason);
      });
    });
  }

  /** Gone: crashed, timed out or terminated; never reused. */
  get exited(): boolean {
    return this.#exited;
  }

  setClockOffset(offsetMs: number): void {
    if (!this.#exited) this.#worker.postMessage({ type: 'clock', offsetMs } satisfies ToWorker);
  }

  /** Runs one invocation; never rejects. The first one waits for the handler module to load (the cold start). */
  async invoke(invocation: Invocation): Promise<Outcome> {
    if (this.#pending !== undefined) throw new Error('a function worker runs one invocation at a time');
    const initError = this.#cold
      ? await this.#initialised(invocation.timeoutMs + INIT_ALLOWANCE_MS)
      : undefined;
    this.#cold = false;
    if (initError !== undefined) {
      await this.terminate();
      return { ok: false, error: initError, fatal: true };
    }
    if (this.#exited) {
      return {
        ok: false,
        error: {
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${invocation.requestId} Error: Runtime exited`,
        },
        fatal: true,
      };
    }
    this.#requestId = invocation.requestId;
    const outcome = new Promise<Outcome>((resolve) => {
      this.#pending = resolve;
    });
    const timer = setTimeout(() => {
      const message = `RequestId: ${invocation.requestId} Error: Task timed out after ${timeoutSeconds(invocation.timeoutMs)} seconds`;
      this.log(`${new Date().toISOString()} ${message}`);
      this.#settle({
        ok: false,
        error: { errorType: 'Sandbox.Timedout', errorMessage: message },
        fatal: true,
      });
      void this.terminate();
    }, invocation.timeoutMs);
    this.#worker.postMessage({
      type: 'invoke',
      requestId: invocation.requestId,
      event: invocation.event,
      timeoutMs: invocation.timeoutMs,
      context: invocation.context,
    } satisfies ToWorker);
    try {
      return await outcome;
    } finally {
      clearTimeout(timer);
    }
  }

  async terminate(): Promise<void> {
    if (this.#exited) return;
    const exited = once(this.#worker, 'exit');
    await this.#worker.terminate();
    await exited.catch(() => undefined);
  }

  async #initialised(limitMs: number): Promise<FunctionErrorPayload | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<FunctionErrorPayload>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            errorType: 'Runtime.InitError',
            errorMessage: `Init phase did not finish within ${timeoutSeconds(limitMs)} seconds`,
          }),
        limitMs,
      );
    });
    try {
      return await Promise.race([this.#ready, limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  #settle(outcome: Outcome): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.(outcome);
  }

  #settleFatal(reason: string): void {
    const errorMessage = `RequestId: ${this.#requestId} Error: ${reason}`;
    this.#settle({ ok: false, error: { errorType: 'Runtime.ExitError', errorMessage }, fatal: true });
  }
}
