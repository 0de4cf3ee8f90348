/**
 * Asynchronous delivery to in-process subscribers, the way AWS invokes a Lambda
 * from SNS, EventBridge or a DynamoDB stream: after the API call has answered,
 * one at a time per subscriber, retried a few times, errors logged not thrown.
 * Also the timers of the emulated state machine, so that `idle()` can say when
 * nothing is left to happen.
 */
export interface DeliveryOptions {
  /** Retries after a failed attempt (AWS retries asynchronous invocations twice). */
  retries: number;
  /** Delay before the first retry; doubles for each further retry. */
  retryDelayMs: number;
  log: (line: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

const isExpectedRetry = (error: unknown): boolean =>
  error instanceof Error && 'expectedRetry' in error && error.expectedRetry === true;

/** Counts work in flight and wakes whoever waits for it to reach zero. */
class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];

  begin(): void {
    this.count += 1;
  }

  end(): void {
    this.count -= 1;
    if (this.count === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
  }

  get busy(): boolean {
    return this.count > 0;
  }

  drained(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export class Deliveries {
  private readonly queues = new WeakMap<object, Promise<void>>();
  private readonly inFlight = new InFlight();
  private closed = false;

  constructor(private readonly options: DeliveryOptions) {}

  /**
   * Queues `deliver` behind earlier deliveries to the same subscriber. It starts
   * no earlier than the next turn of the event loop, so the API response that
   * caused it goes out first.
   */
  enqueue(subscriber: object, label: string, deliver: () => Promise<unknown>): void {
    if (this.closed) return;
    this.inFlight.begin();
    const previous = this.queues.get(subscriber) ?? Promise.resolve();
    const next = previous
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => this.attempt(label, deliver))
      .finally(() => this.inFlight.end());
    this.queues.set(subscriber, next);
  }

  private async attempt(label: string, deliver: () => Promise<unknown>): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      if (this.closed) {
        this.options.log(`delivery dropped at shutdown: ${label}`);
        return;
      }
      try {
        await deliver();
        return;
      } catch (error) {
        if (attempt >= this.options.retries) {
          this.options.log(`delivery failed after ${attempt + 1} attempts: ${label}: ${describe(error)}`);
          return;
        }
        // A handler that asks to be called again (the gate's own action is still being
        // recorded) is waiting, not failing: no failure line for it.
        if (!isExpectedRetry(error))
          this.options.log(`delivery attempt ${attempt + 1} failed, retrying: ${label}: ${describe(error)}`);
        await sleep(this.options.retryDelayMs * 2 ** attempt);
      }
    }
  }

  get busy(): boolean {
    return this.inFlight.busy;
  }

  idle(): Promise<void> {
    return this.inFlight.drained();
  }

  /** Stops taking deliveries; queued ones are dropped, the running ones finish. */
  async close(): Promise<void> {
    this.closed = true;
    await this.inFlight.drained();
  }
}

/**
 * Timers of the emulated services (pending → available, visibility timeouts, schedules),
 * on the cloud's clock: moving the clock ahead fires those that fall due.
 */
export class Timers {
  private readonly handles = new Map<
    NodeJS.Timeout,
    { fire: () => void; dueAt: number; recurring: boolean; window: boolean }
  >();
  private readonly inFlight = new InFlight();
  private closed = false;
  /** How many callers are draining (see `draining`): batching windows close at once meanwhile. */
  private drainers = 0;

  constructor(
    private readonly log: (line: string) => void,
    private readonly clock: { now(): number } = { now: () => Date.now() },
  ) {}

  /**
   * Runs `run` after `delayMs` (or when the clock moves past it); returns what cancels it.
   * A `recurring` timer (a rule's schedule, which always has a next firing) is not work
   * in flight: `idle()` does not wait for it and `flush()` leaves it, only time fires it.
   * A `window` timer (an event source's batching window) only waits for more records to
   * share a batch: it closes at once while someone drains (see `draining`).
   */
  schedule(
    delayMs: number,
    label: string,
    run: () => void,
    options: { recurring?: boolean; window?: boolean } = {},
  ): () => void {
    if (this.closed) return () => {};
    const recurring = options.recurring === true;
    const window = options.window === true;
    if (window && this.drainers > 0) delayMs = 0;
    if (!recurring) this.inFlight.begin();
    const fire = () => {
      if (!this.handles.delete(handle)) return;
      try {
        run();
      } catch (error) {
        this.log(`timer failed: ${label}: ${describe(error)}`);
      } finally {
        if (!recurring) this.inFlight.end();
      }
    };
    const handle = setTimeout(fire, delayMs);
    this.handles.set(handle, { fire, dueAt: this.clock.now() + delayMs, recurring, window });
    return () => {
      if (!this.handles.delete(handle)) return;
      clearTimeout(handle);
      if (!recurring) this.inFlight.end();
    };
  }

  /**
   * Runs `wait` (a wait for the cloud to go idle) with every batching window closing as soon
   * as it opens, those open now included: the batches are what the records that came by
   * then make, and nothing waits out a window for records that will not come. What happens
   * to each record is the same; only how they are grouped into invocations can differ.
   */
  async draining<T>(wait: () => Promise<T>): Promise<T> {
    this.drainers += 1;
    try {
      for (const [handle, { fire, window }] of [...this.handles]) {
        if (!window) continue;
        clearTimeout(handle);
        fire();
      }
      return await wait();
    } finally {
      this.drainers -= 1;
    }
  }

  /** Fires every pending timer now, as if its delay had passed (oldest first); not recurring ones. */
  flush(): void {
    for (const [handle, { fire, recurring }] of [...this.handles]) {
      if (recurring) continue;
      clearTimeout(handle);
      fire();
    }
  }

  /** Fires the timers the clock has reached (after it moved ahead), soonest first. */
  fireDue(): void {
    const now = this.clock.now();
    const due = [...this.handles].filter(([, timer]) => timer.dueAt <= now);
    due.sort(([, a], [, b]) => a.dueAt - b.dueAt);
    for (const [handle, { fire }] of due) {
      clearTimeout(handle);
      fire();
    }
  }

  get busy(): boolean {
    return this.inFlight.busy;
  }

  /** When the soonest timer that is work in flight (not a schedule) falls due on the clock. */
  nextDueAt(): number | undefined {
    let soonest: number | undefined;
    for (const { dueAt, recurring } of this.handles.values())
      if (!recurring && (soonest === undefined || dueAt < soonest)) soonest = dueAt;
    return soonest;
  }

  idle(): Promise<void> {
    return this.inFlight.drained();
  }

  close(): void {
    this.closed = true;
    for (const [handle, { recurring }] of this.handles) {
      clearTimeout(handle);
      if (!recurring) this.inFlight.end();
    }
    this.handles.clear();
  }
}
