/**
 * The execution environments of one function: started on demand (the first invocation of
 * each is a cold start), at most `limit` at once, each running one invocation at a time;
 * further invocations wait their turn. An environment that timed out or crashed is dropped
 * and the next invocation starts a new one. Idle environments are ended after a while,
 * as Lambda reclaims them.
 */
import { FunctionWorker, type Invocation, type Outcome, type WorkerSpec } from './function-worker.ts';

export interface PoolOptions {
  /** Most environments at once (reserved concurrency, bounded by the machine); at least 1. */
  limit: number;
  /** Builds what a new environment starts with (code, environment, fresh role credentials). */
  prepare: () => Promise<WorkerSpec & { expiresAt: number }>;
  /** The cloud's time, for credentials about to expire. */
  now: () => number;
  clockOffsetMs: () => number;
  log: (line: string) => void;
  /** How long an environment may sit idle before it is ended. */
  idleMs: number;
}

/** An environment is not handed an invocation when its credentials expire within this. */
const CREDENTIALS_MARGIN_MS = 5 * 60_000;

interface Environment {
  worker: FunctionWorker;
  /** The function's configuration it was started with (see `renew`). */
  generation: number;
  expiresAt: number;
  idleTimer: NodeJS.Timeout | undefined;
}

export class FunctionPool {
  readonly #idle: Environment[] = [];
  readonly #all = new Set<Environment>();
  readonly #waiting: Array<() => void> = [];
  /** Environments being started (they count against the limit). */
  #starting = 0;
  #stopped = false;
  #generation = 0;

  #limit: number;

  constructor(private readonly options: PoolOptions) {
    this.#limit = options.limit;
  }

  /** A new reserved concurrency: environments beyond it end as they finish. */
  setLimit(limit: number): void {
    this.#limit = limit;
    while (this.#waiting.length > 0 && this.size < this.#limit) this.#waiting.shift()?.();
  }

  /** Runs one invocation in a free environment, starting one or waiting for one. */
  async invoke(invocation: Invocation): Promise<Outcome> {
    let environment: Environment | undefined;
    try {
      environment = await this.#acquire();
    } catch (error) {
      // The code could not be prepared (a bundle that does not build, a role that is gone).
      const failure = error instanceof Error ? error : new Error(String(error));
      this.options.log(`${failure.name}: ${failure.message}`);
      return { ok: false, error: { errorType: failure.name, errorMessage: failure.message }, fatal: true };
    }
    if (environment === undefined) {
      return {
        ok: false,
        error: { errorType: 'ServiceException', errorMessage: 'the function was stopped or replaced' },
        fatal: false,
      };
    }
    const outcome = await environment.worker.invoke(invocation);
    this.#release(environment, !outcome.ok && outcome.fatal);
    return outcome;
  }

  setClockOffset(offsetMs: number): void {
    for (const environment of this.#all) environment.worker.setClockOffset(offsetMs);
  }

  /**
   * The function's code or configuration changed: idle environments end now, busy ones when
   * their invocation ends; invocations from now on run in new environments.
   */
  renew(): void {
    this.#generation += 1;
    for (const environment of this.#idle.splice(0)) {
      clearTimeout(environment.idleTimer);
      this.#discard(environment);
    }
  }

  /** Ends every environment (running invocations fail) and refuses new ones. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const wake of this.#waiting.splice(0)) wake();
    const all = [...this.#all];
    this.#all.clear();
    this.#idle.length = 0;
    await Promise.all(
      all.map((environment) => {
        clearTimeout(environment.idleTimer);
        return environment.worker.terminate();
      }),
    );
  }

  /** How many environments this pool has started (cold starts), for counting per-container costs. */
  get started(): number {
    return this.#started;
  }

  #started = 0;

  get size(): number {
    return this.#all.size + this.#starting;
  }

  async #acquire(): Promise<Environment | undefined> {
    for (;;) {
      if (this.#stopped) return undefined;
      for (let environment = this.#idle.pop(); environment !== undefined; environment = this.#idle.pop()) {
        clearTimeout(environment.idleTimer);
        if (
          !environment.worker.exited &&
          environment.generation === this.#generation &&
          environment.expiresAt - CREDENTIALS_MARGIN_MS > this.options.now()
        )
          return environment;
        this.#discard(environment);
      }
      if (this.size < this.#limit) return this.#start();
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  async #start(): Promise<Environment | undefined> {
    this.#starting += 1;
    this.#started += 1;
    const generation = this.#generation;
    try {
      const spec = await this.options.prepare();
      if (this.#stopped) return undefined;
      const worker = new FunctionWorker(
        { ...spec, start: { ...spec.start, clockOffsetMs: this.options.clockOffsetMs() } },
        this.options.log,
      );
      const environment: Environment = {
        worker,
        generation,
        expiresAt: spec.expiresAt,
        idleTimer: undefined,
      };
      this.#all.add(environment);
      return environment;
    } catch (error) {
      this.#waiting.shift()?.();
      throw error;
    } finally {
      this.#starting -= 1;
    }
  }

  #release(environment: Environment, broken: boolean): void {
    if (
      broken ||
      this.#stopped ||
      environment.generation !== this.#generation ||
      this.#all.size > this.#limit
    ) {
      // Its place is free: a waiting invocation starts a new environment.
      this.#discard(environment);
    } else {
      environment.idleTimer = setTimeout(() => {
        const at = this.#idle.indexOf(environment);
        if (at >= 0) this.#idle.splice(at, 1);
        this.#discard(environment);
      }, this.options.idleMs);
      environment.idleTimer.unref();
      this.#idle.push(environment);
    }
    this.#waiting.shift()?.();
  }

  #discard(environment: Environment): void {
    this.#all.delete(environment);
    void environment.worker.terminate();
  }
}
