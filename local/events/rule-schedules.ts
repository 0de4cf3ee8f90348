/**
 * The schedules of enabled rules, each a recurring timer on the cloud's clock: moving the
 * clock past a firing fires it (once, however far the clock jumped), and it is armed again
 * for the next. `intervalOverrideMs` (local only: `plgate local --sweep-interval`) makes every
 * schedule fire at that interval instead of its own.
 */
import type { Timers } from '../deliveries.ts';
import { type EventRule, ruleArnOf } from './rules.ts';
import { nextFireAt, parseSchedule } from './schedule.ts';

/** The longest delay setTimeout keeps; a later firing is armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface RuleSchedulesOptions {
  timers: Timers;
  clock: { now(): number };
  log: (line: string) => void;
  intervalOverrideMs?: number;
  fire(rule: EventRule, at: number): void;
}

export class RuleSchedules {
  readonly #armed = new Map<string, () => void>();

  constructor(private readonly options: RuleSchedulesOptions) {
    const override = options.intervalOverrideMs;
    if (override !== undefined && (!Number.isFinite(override) || override < 1))
      throw new RangeError(`scheduleIntervalOverrideMs: a number of milliseconds >= 1, got ${override}`);
  }

  /** Arms the rule's schedule (again), or disarms it when it has none or is disabled. */
  arm(rule: EventRule): void {
    this.disarm(rule);
    if (rule.state !== 'ENABLED' || rule.scheduleExpression === undefined) return;
    const schedule = parseSchedule(rule.scheduleExpression);
    const now = this.options.clock.now();
    const dueAt =
      this.options.intervalOverrideMs !== undefined
        ? now + this.options.intervalOverrideMs
        : nextFireAt(schedule, now, rule.createdAt);
    if (dueAt === undefined) {
      this.options.log(`eventbridge rule ${rule.name}: ${rule.scheduleExpression} fires no more`);
      return;
    }
    this.#armAt(rule, dueAt);
  }

  #armAt(rule: EventRule, dueAt: number): void {
    const key = ruleArnOf(rule);
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, dueAt - this.options.clock.now()));
    const cancel = this.options.timers.schedule(
      delay,
      `schedule of ${key}`,
      () => {
        this.#armed.delete(key);
        const now = this.options.clock.now();
        if (now < dueAt) {
          this.#armAt(rule, dueAt);
          return;
        }
        this.arm(rule);
        this.options.fire(rule, now);
      },
      { recurring: true },
    );
    this.#armed.set(key, cancel);
  }

  disarm(rule: Pick<EventRule, 'account' | 'region' | 'busName' | 'name'>): void {
    const key = ruleArnOf(rule);
    this.#armed.get(key)?.();
    this.#armed.delete(key);
  }

  stop(): void {
    for (const cancel of this.#armed.values()) cancel();
    this.#armed.clear();
  }
}
