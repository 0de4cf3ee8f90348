/**
 * EventBridge as one service of the local cloud: the JSON API (`X-Amz-Target: AWSEvents.*`)
 * with IAM, the buses and rules a template creates, routing of every event a bus receives
 * to the targets of the rules it matches, and the rules' schedules on the cloud's clock.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Deliveries, Timers } from '../deliveries.ts';
import { AccessDeniedError, type Authorizer, type PolicyDocument } from '../iam/authorizer.ts';
import { eventsAccessRequests } from '../iam/events-access.ts';
import { type LocalRoles, type Principal, roleArnOf, roleSessionArnOf } from '../identity.ts';
import type {
  EdgeRequest,
  EdgeResponse,
  FunctionInvoker,
  LocalClock,
  LocalService,
  QueueWriter,
  ResourceProvider,
} from '../service.ts';
import { handleEventsRequest, type JsonResponse, jsonError } from './api.ts';
import { type BusEvent, type BusPlace, EventBuses } from './buses.ts';
import { matchesPattern } from './pattern.ts';
import { BusPolicies, eventBusPolicyProvider, eventBusProvider, eventRuleProvider } from './resources.ts';
import { RuleSchedules } from './rule-schedules.ts';
import { type EventRule, EventRules, ruleArnOf } from './rules.ts';
import { ForwardDeniedError, TargetDelivery, targetKindOf } from './target-delivery.ts';

export interface EventsServiceOptions {
  /** The provider account (whose buses in-process subscribers listen on). */
  account: string;
  region: string;
  deliveries: Deliveries;
  timers: Timers;
  clock: LocalClock;
  log: (line: string) => void;
  authorizer: Authorizer;
  functions(): FunctionInvoker;
  queues(): QueueWriter;
  /** Local only: every schedule fires at this interval instead of its own. */
  scheduleIntervalOverrideMs?: number;
  /** The buses to serve, when the cloud already made them; else the service makes its own. */
  buses?: EventBuses;
  /** The roles a rule's target names (`RoleArn`): a bus target in another account is put on as that role. */
  roles?: LocalRoles;
}

/** What `--data` keeps: the created buses (`account/name`), their policies and the rules. */
export interface EventsSnapshot {
  buses: string[];
  policies?: Array<[string, PolicyDocument]>;
  rules?: EventRule[];
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';

export class EventsService implements LocalService {
  readonly name = 'events';
  readonly buses: EventBuses;
  readonly rules = new EventRules();
  readonly resources: readonly ResourceProvider[];
  readonly #policies = new BusPolicies();
  readonly #schedules: RuleSchedules;
  readonly #targets: TargetDelivery;
  /** Events that reached their bus from another bus: EventBridge forwards an event one hop only. */
  readonly #forwarded = new WeakSet<BusEvent>();
  readonly #stopListening: () => void;

  constructor(private readonly options: EventsServiceOptions) {
    this.buses =
      options.buses ?? new EventBuses(options.deliveries, options.log, options.account, options.clock);
    this.#targets = new TargetDelivery({
      deliveries: options.deliveries,
      timers: options.timers,
      clock: options.clock,
      log: options.log,
      functions: () => options.functions(),
      queues: () => options.queues(),
      forward: (busArn, event, rule, target) => this.#forward(busArn, event, rule, target.RoleArn),
    });
    this.#schedules = new RuleSchedules({
      timers: options.timers,
      clock: options.clock,
      log: options.log,
      ...(options.scheduleIntervalOverrideMs === undefined
        ? {}
        : { intervalOverrideMs: options.scheduleIntervalOverrideMs }),
      fire: (rule, at) => this.#fireSchedule(rule, at),
    });
    this.resources = [
      eventBusProvider(this.buses, this.#policies),
      eventBusPolicyProvider(this.buses, this.#policies),
      eventRuleProvider(this.buses, this.rules, this.#schedules, options.clock),
    ];
    this.#stopListening = this.buses.listen((place, event) => this.#route(place, event));
  }

  matches(request: EdgeRequest): boolean {
    const target = request.headers['x-amz-target'];
    return typeof target === 'string' && target.startsWith('AWSEvents.');
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.slice('AWSEvents.'.length);
    const { caller, principal } = request;
    if (caller === undefined || principal === undefined) {
      const type =
        request.credentialError?.problem === 'garbled'
          ? 'IncompleteSignatureException'
          : 'MissingAuthenticationTokenException';
      return respond(
        request,
        jsonError(400, type, request.credentialError?.message ?? 'Request is missing Authentication Token'),
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body === '' ? '{}' : request.body);
    } catch {
      return respond(request, jsonError(400, 'SerializationException', 'The request body is not valid JSON'));
    }
    const policyOf = (region: string, account: string, name: string) =>
      this.#policies.get(region, account, name);
    try {
      await this.options.authorizer.authorize(
        principal,
        eventsAccessRequests(caller, operation, body, policyOf),
      );
    } catch (error) {
      if (error instanceof AccessDeniedError)
        return respond(request, jsonError(400, 'AccessDeniedException', error.message));
      throw error;
    }
    return respond(request, handleEventsRequest(this.buses, caller, operation, body, this.rules));
  }

  /** Hands an event a bus received to the targets of each enabled rule of that bus it matches. */
  #route(place: BusPlace, event: BusEvent): void {
    const forwarded = this.#forwarded.has(event);
    for (const { rule, pattern } of this.rules.withPatterns(place.account, place.region, place.name)) {
      if (!matchesPattern(pattern, event)) continue;
      for (const target of rule.targets) {
        if (forwarded && targetKindOf(target.Arn) === 'event-bus') {
          this.options.log(
            `eventbridge rule ${rule.name}: an event is forwarded one hop only, not to ${target.Arn}`,
          );
          continue;
        }
        this.#targets.deliver(rule, target, event);
      }
    }
  }

  #fireSchedule(rule: EventRule, at: number): void {
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: rule.account,
      time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: rule.region,
      resources: [ruleArnOf(rule)],
      detail: {},
    };
    for (const target of rule.targets) this.#targets.deliver(rule, target, event);
  }

  /**
   * Puts a rule's event on another bus. Another account's bus takes it only when its
   * policy lets the sender put events there (evaluated by IAM, as on AWS): the target's role
   * when it names one (its own policy must allow `events:PutEvents` on the bus too), else
   * the rule's account.
   */
  async #forward(
    busArn: string,
    event: BusEvent,
    rule: EventRule,
    roleArn: string | undefined,
  ): Promise<void> {
    const match = /^arn:aws[a-z-]*:events:([a-z0-9-]+):([0-9]{12}):event-bus\/(.+)$/.exec(busArn);
    if (match === null) throw new ForwardDeniedError(`${busArn} is not an event bus ARN`);
    const [, region = '', account = '', name = ''] = match;
    if (account !== rule.account) {
      const policy = this.#policies.get(region, account, name);
      const sender = this.#sender(rule, roleArn);
      try {
        await this.options.authorizer.authorize(sender, [
          {
            action: 'events:PutEvents',
            resource: busArn,
            resourceAccount: account,
            context: {
              'aws:SourceArn': ruleArnOf(rule),
              'aws:SourceAccount': rule.account,
              'aws:PrincipalArn': sender.kind === 'role' ? sender.roleArn : sender.arn,
              'aws:PrincipalAccount': rule.account,
            },
            ...(policy === undefined ? {} : { resourcePolicy: policy }),
          },
        ]);
      } catch (error) {
        if (error instanceof AccessDeniedError) throw new ForwardDeniedError(error.message, { cause: error });
        throw error;
      }
    }
    this.#forwarded.add(event);
    this.buses.deliver(name, event, account, region);
  }

  /** Who puts a rule's event on another account's bus: the target's role, in the rule's account. */
  #sender(rule: EventRule, roleArn: string | undefined): Principal {
    if (roleArn === undefined)
      return { kind: 'root', account: rule.account, arn: `arn:aws:iam::${rule.account}:root` };
    const role = this.options.roles?.byRoleArn(roleArn);
    if (role === undefined || role.account !== rule.account)
      throw new ForwardDeniedError(`the target's role ${roleArn} does not exist in ${rule.account}`);
    return {
      kind: 'role',
      account: role.account,
      arn: roleSessionArnOf(role),
      roleArn: roleArnOf(role),
      role,
    };
  }

  snapshot(): EventsSnapshot {
    return {
      ...this.buses.snapshot(),
      policies: this.#policies.entries(),
      rules: this.rules.all().map((rule) => structuredClone(rule)),
    };
  }

  restore(snapshot: unknown): void {
    const state = parseSnapshot(snapshot);
    this.buses.restore(state);
    this.#policies.restore(state.policies ?? []);
    this.#schedules.stop();
    this.rules.clear();
    for (const rule of state.rules ?? []) {
      this.rules.put(rule);
      this.#schedules.arm(rule);
    }
  }

  async stop(): Promise<void> {
    this.#schedules.stop();
    this.#stopListening();
  }
}

function respond(request: EdgeRequest, response: JsonResponse): EdgeResponse {
  return {
    status: response.status,
    headers: {
      'content-type': CONTENT_TYPE,
      'x-amzn-requestid': request.requestId,
      ...(response.errorType === undefined ? {} : { 'x-amzn-errortype': response.errorType }),
    },
    body: JSON.stringify(response.body),
  };
}

const Target = z.object({
  Id: z.string(),
  Arn: z.string(),
  RoleArn: z.string().optional(),
  Input: z.string().optional(),
  InputPath: z.string().optional(),
  InputTransformer: z
    .object({ InputPathsMap: z.record(z.string(), z.string()).optional(), InputTemplate: z.string() })
    .optional(),
  RetryPolicy: z.object({
    MaximumRetryAttempts: z.number().int(),
    MaximumEventAgeInSeconds: z.number().int(),
  }),
  DeadLetterConfig: z.object({ Arn: z.string() }).optional(),
});

const Rule = z.object({
  account: z.string().regex(/^[0-9]{12}$/),
  region: z.string(),
  busName: z.string(),
  name: z.string(),
  eventPattern: z.string().optional(),
  scheduleExpression: z.string().optional(),
  state: z.enum(['ENABLED', 'DISABLED']),
  description: z.string().optional(),
  roleArn: z.string().optional(),
  targets: z.array(Target),
  createdAt: z.number(),
  stackName: z.string().optional(),
});

const Policy = z.looseObject({
  Version: z.enum(['2012-10-17', '2008-10-17']),
  Statement: z.array(z.record(z.string(), z.unknown())),
});

/** What `--data` kept; an older snapshot has only `buses`. */
const Snapshot = z.object({
  buses: z.array(z.string()),
  policies: z.array(z.tuple([z.string(), Policy])).optional(),
  rules: z.array(Rule).optional(),
});

function parseSnapshot(value: unknown): EventsSnapshot {
  const parsed = Snapshot.safeParse(value);
  if (!parsed.success)
    throw new Error(
      `events snapshot is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data as EventsSnapshot;
}
