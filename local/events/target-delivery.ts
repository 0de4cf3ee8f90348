/**
 * Delivery of one event to one rule target as EventBridge does it: a Lambda function is
 * invoked asynchronously, a queue gets the event as a message, another bus gets the event
 * put on it; each as `events.amazonaws.com` on behalf of the rule. A failed delivery is
 * retried (short local delays) until the target's RetryPolicy runs out, then the event goes
 * to the target's dead-letter queue with EventBridge's message attributes. A refusal (no
 * permission) or a target that does not exist is not retried, as EventBridge does not.
 * Everything runs through `deliveries` and `timers`, so the cloud's `idle()` waits for it.
 */
import type { Deliveries, Timers } from '../deliveries.ts';
import {
  type FunctionInvoker,
  FunctionNotFoundError,
  InvokeDeniedError,
  QueueDeniedError,
  QueueNotFoundError,
  type QueueWriter,
} from '../service.ts';
import type { BusEvent } from './buses.ts';
import { type EventRule, type RuleTarget, ruleArnOf } from './rules.ts';
import { payloadText, type TargetPayload, targetPayload } from './target-input.ts';

/** A target bus whose policy does not let the rule's account put events on it. */
export class ForwardDeniedError extends Error {
  override name = 'ForwardDeniedError';
}

export interface TargetDeliveryOptions {
  deliveries: Deliveries;
  timers: Timers;
  clock: { now(): number };
  log: (line: string) => void;
  functions(): FunctionInvoker;
  queues(): QueueWriter;
  /** Puts the event on another bus (`arn:aws:events:…:event-bus/NAME`) for `rule`; throws ForwardDeniedError. */
  forward(busArn: string, event: BusEvent, rule: EventRule, target: RuleTarget): Promise<void>;
  /** Delay before retry `n` (0-based); short locally. */
  retryDelayMs?: (attempt: number) => number;
}

const LAMBDA = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[^:]+(:[^:]+)?$/;
const SQS = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[^:]+$/;
const BUS = /^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus\/[^:]+$/;

/** The kinds of target the local cloud delivers to. */
export type TargetKind = 'lambda' | 'sqs' | 'event-bus';

export function targetKindOf(arn: string): TargetKind | undefined {
  if (LAMBDA.test(arn)) return 'lambda';
  if (SQS.test(arn)) return 'sqs';
  if (BUS.test(arn)) return 'event-bus';
  return undefined;
}

class UnsupportedTargetError extends Error {
  override name = 'UnsupportedTargetError';
}

/** EventBridge's `ERROR_CODE` for a failure, and whether it is retried. */
function classify(error: unknown): { code: string; retried: boolean } {
  if (
    error instanceof InvokeDeniedError ||
    error instanceof QueueDeniedError ||
    error instanceof ForwardDeniedError
  )
    return { code: 'NO_PERMISSIONS', retried: false };
  if (error instanceof FunctionNotFoundError || error instanceof QueueNotFoundError)
    return { code: 'RESOURCE_NOT_FOUND', retried: false };
  if (error instanceof UnsupportedTargetError) return { code: 'RESOURCE_NOT_FOUND', retried: false };
  return { code: 'SDK_CLIENT_ERROR', retried: true };
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const lambdaEvent = (payload: TargetPayload): unknown => {
  if (payload.kind === 'json') return payload.value;
  try {
    return JSON.parse(payload.text);
  } catch {
    return payload.text;
  }
};

export class TargetDelivery {
  /** One queue of deliveries per target, so a target gets its events in order. */
  readonly #lanes = new Map<string, object>();

  constructor(private readonly options: TargetDeliveryOptions) {}

  /** Hands the event to the target; failures are retried and dead-lettered, never thrown. */
  deliver(rule: EventRule, target: RuleTarget, event: BusEvent): void {
    this.#attempt(rule, target, event, this.options.clock.now(), 0);
  }

  #lane(ruleArn: string, targetId: string): object {
    const key = `${ruleArn}#${targetId}`;
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = {};
      this.#lanes.set(key, lane);
    }
    return lane;
  }

  #attempt(rule: EventRule, target: RuleTarget, event: BusEvent, receivedAt: number, attempt: number): void {
    const ruleArn = ruleArnOf(rule);
    const label = `eventbridge rule ${rule.name} -> ${target.Id} ${event['detail-type']} ${event.id}`;
    this.options.deliveries.enqueue(this.#lane(ruleArn, target.Id), label, async () => {
      try {
        await this.#send(rule, target, event, receivedAt);
      } catch (error) {
        const { code, retried } = classify(error);
        const ageMs = this.options.clock.now() - receivedAt;
        const exhausted = !retried
          ? undefined
          : attempt >= target.RetryPolicy.MaximumRetryAttempts
            ? 'MaximumRetryAttempts'
            : ageMs >= target.RetryPolicy.MaximumEventAgeInSeconds * 1000
              ? 'MaximumEventAgeInSeconds'
              : 'none';
        if (exhausted === 'none') {
          this.options.log(`${label}: attempt ${attempt + 1} failed, retrying: ${describe(error)}`);
          const delay = this.options.retryDelayMs?.(attempt) ?? Math.min(2000, 100 * 2 ** attempt);
          this.options.timers.schedule(delay, `retry ${label}`, () =>
            this.#attempt(rule, target, event, receivedAt, attempt + 1),
          );
          return;
        }
        this.options.log(`${label}: not delivered (${code}): ${describe(error)}`);
        await this.#deadLetter(rule, target, event, {
          RULE_ARN: ruleArn,
          TARGET_ARN: target.Arn,
          ERROR_CODE: code,
          ERROR_MESSAGE: describe(error),
          RETRY_ATTEMPTS: String(attempt),
          ...(exhausted === undefined ? {} : { EXHAUSTED_RETRY_CONDITION: exhausted }),
        });
      }
    });
  }

  async #send(rule: EventRule, target: RuleTarget, event: BusEvent, receivedAt: number): Promise<void> {
    const kind = targetKindOf(target.Arn);
    const ruleArn = ruleArnOf(rule);
    const source = {
      kind: 'service' as const,
      principal: 'events.amazonaws.com',
      sourceArn: ruleArn,
      sourceAccount: rule.account,
    };
    const payload = targetPayload(target, event as unknown as Record<string, unknown>, {
      ruleArn,
      ruleName: rule.name,
      ingestionTime: new Date(receivedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    if (kind === 'lambda')
      return this.options.functions().invokeAsync(target.Arn, lambdaEvent(payload), source);
    if (kind === 'sqs') return this.options.queues().send(target.Arn, payloadText(payload), source);
    if (kind === 'event-bus') return this.options.forward(target.Arn, event, rule, target);
    throw new UnsupportedTargetError(`the local cloud does not deliver to ${target.Arn}`);
  }

  async #deadLetter(
    rule: EventRule,
    target: RuleTarget,
    event: BusEvent,
    attributes: Record<string, string>,
  ): Promise<void> {
    const queue = target.DeadLetterConfig?.Arn;
    if (queue === undefined) return;
    try {
      await this.options.queues().send(
        queue,
        JSON.stringify(event),
        {
          kind: 'service',
          principal: 'events.amazonaws.com',
          sourceArn: ruleArnOf(rule),
          sourceAccount: rule.account,
        },
        attributes,
      );
    } catch (error) {
      this.options.log(
        `eventbridge rule ${rule.name} -> ${target.Id}: dead-letter queue ${queue} refused: ${describe(error)}`,
      );
    }
  }
}
