/**
 * The gate inside `plgate local`: the same Lambda handlers as in AWS, with the same SDK
 * clients pointed at the local cloud, wired the way the CDK stack wires them:
 * ingest topic → ingest, gate bus `Connection Event` → decide, `Sweep Requested` and a
 * timer → sweep, rules-table changes → rule-change. No second implementation.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { invocationCredentials } from '../functions/handlers/invocation-credentials.ts';
import { advanceGateClock } from '../functions/shared/clock.ts';
import {
  DEFAULT_STACK_NAME,
  ENV,
  type GateConfig,
  operatorFunctionName,
  REGISTER_PATH,
} from '../functions/shared/config.ts';
import { DECIDE_QUEUE } from '../functions/shared/decide-queue.ts';
import {
  CLOUDTRAIL_DETAIL_TYPE,
  DETAIL_TYPE,
  EVENT_SOURCE,
  PROVIDER_API_CALLS,
} from '../functions/shared/events.ts';
import type { GateFunctionName } from '../infra/permissions.ts';
import type { LocalCloud } from './cloud.ts';
import { crashingInvocation } from './fault-layer.ts';
import { localGateConfig, localGateRoles, provisionGateResources } from './gate-resources.ts';
import { roleArnOf } from './identity.ts';

/** Credentials of the provider account in the local cloud (any non-12-digit key id). */
import { PROVIDER_CREDENTIALS } from './provider-credentials.ts';

/** The event an EventBridge schedule invokes the sweep with. */
export function scheduledEvent(account: string, region: string) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account,
    time: new Date().toISOString(),
    region,
    resources: [],
    detail: {},
  };
}

export interface InProcessGateOptions {
  sweepIntervalMs: number;
  /** Lambda time budget given to each sweep invocation. */
  sweepTimeoutMs?: number;
  log?: (line: string) => void;
  /**
   * The decide queue's batching window and batch size; default the stack's
   * (DECIDE_QUEUE). `{ windowMs: 0, maxSize: 1 }` decides each event on its own.
   */
  decideBatch?: { windowMs: number; maxSize: number };
}

export interface InProcessGate {
  config: GateConfig;
  /** Bodies of the connection events the decide queue dead-lettered (its DLQ). */
  decideDeadLetters(): string[];
  /** Where consumers redeem invitations (`plgate register --api`). */
  registerUrl: string;
  /** Runs one sweep now, as the schedule would, and returns its report. */
  sweepNow(): Promise<unknown>;
  /**
   * Runs the gate's clock ahead by `ms` (never back): time passing between scheduled
   * sweeps, so leases of crashed invocations run out as they would, without the wait.
   */
  advanceClock(ms: number): void;
  stop(): void;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Points this process's AWS SDK defaults at the local cloud, creates the gate's tables
 * and subscribes the handlers. One gate per process: the handlers' runtime is a
 * per-container singleton, as in Lambda.
 */
export async function startInProcessGate(
  cloud: LocalCloud,
  options: InProcessGateOptions,
): Promise<InProcessGate> {
  const config = localGateConfig(cloud.account, cloud.region);
  const roles = localGateRoles(cloud.account, cloud.region);
  for (const role of Object.values(roles)) cloud.iam.roles.define(role);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: cloud.endpoint,
    AWS_REGION: cloud.region,
    // A client that is not given its function's role keys finds no credentials and fails,
    // instead of borrowing an identity (no instance metadata to fall back on either).
    AWS_EC2_METADATA_DISABLED: 'true',
    [ENV.rulesTable]: config.rulesTable,
    [ENV.ledgerTable]: config.ledgerTable,
    [ENV.decisionsTopicArn]: config.decisionsTopicArn,
    [ENV.ingestTopicArn]: config.ingestTopicArn,
    [ENV.gateBusName]: config.gateBusName,
    [ENV.organizationsLookup]: 'false',
    // Proofs of account go to the local cloud's own STS; only this configuration allows it.
    [ENV.registerStsOrigins]: cloud.endpoint,
    // As the stack tells ingest: the gate's own accepts and rejects are decide's and sweep's.
    [ENV.gateRoleArns]: [roleArnOf(roles.decide), roleArnOf(roles.sweep)].join(','),
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
  });
  // Each function signs with its own role's keys (asRole below), never the process's.
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.AWS_SECRET_ACCESS_KEY;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;

  await provisionGateResources(cloud, config, PROVIDER_CREDENTIALS);

  // Imported only now: the handlers read the environment set above.
  const handlers = {
    ingest: (await import('../functions/handlers/ingest.ts')).handler as Handler,
    decide: (await import('../functions/handlers/decide.ts')).handler as Handler,
    sweep: (await import('../functions/handlers/sweep.ts')).handler as Handler,
    ruleChange: (await import('../functions/handlers/rule-change.ts')).handler as Handler,
    register: (await import('../functions/handlers/register.ts')).handler as (
      event: APIGatewayProxyEventV2,
      context: Context,
    ) => Promise<APIGatewayProxyStructuredResultV2>,
    operator: (await import('../functions/handlers/operator.ts')).handler as Handler,
  };
  const sweepTimeoutMs = options.sweepTimeoutMs ?? 900_000;
  // Each function calls AWS with its own role's keys, as its Lambda would.
  const asRole = <T>(name: GateFunctionName, run: () => Promise<T>): Promise<T> =>
    invocationCredentials.run({ accessKeyId: roles[name].accessKeyId, secretAccessKey: 'plgate-local' }, run);
  const invoke = (name: GateFunctionName, handler: Handler, timeoutMs: number) => (event: unknown) =>
    asRole(name, () =>
      crashingInvocation(cloud.faults, name, () => handler(event, lambdaContext(name, timeoutMs))),
    );

  const decideQueue = cloud.queues.create(
    `${config.gateBusName}-decide`,
    {
      windowMs: options.decideBatch?.windowMs ?? DECIDE_QUEUE.batchingWindowSeconds * 1000,
      maxSize: options.decideBatch?.maxSize ?? DECIDE_QUEUE.batchSize,
      maxReceives: DECIDE_QUEUE.maxReceiveCount,
      visibilityTimeoutMs: 1_000,
    },
    invoke('decide', handlers.decide, 60_000),
  );
  const ingest = invoke('ingest', handlers.ingest, 30_000);
  const unsubscribe = [
    // The stack's HTTP API: POST /register -> the register function.
    cloud.http.route(REGISTER_PATH, (event) =>
      asRole('register', () => handlers.register(event, lambdaContext('register', 10_000))).catch(
        (error: unknown) => {
          options.log?.(`register failed: ${describe(error)}`);
          throw error;
        },
      ),
    ),
    // What `aws lambda invoke` reaches on the edge port: the Slack buttons' function, by the
    // name a stack of the default name gives it.
    cloud.lambda.register(
      operatorFunctionName(DEFAULT_STACK_NAME),
      'privatelink-gate: approve, deny or explain one endpoint (the Slack buttons)',
      invoke('operator', handlers.operator, 60_000),
    ),
    // SNS and EventBridge invoke a Lambda asynchronously, many invocations at once; the local
    // cloud delivers one at a time per subscription, so ingest subscribes once per lane and
    // each lane takes its share of the messages (by id).
    ...lanes(INGEST_CONCURRENCY, (lane) =>
      cloud.sns.subscribe(config.ingestTopicArn, async (event) => {
        const messageId = event.Records[0]?.Sns.MessageId ?? '';
        return laneOf(messageId, INGEST_CONCURRENCY) === lane ? ingest(event) : undefined;
      }),
    ),
    // The stack's rule targets the decide queue with the whole event as the message body.
    cloud.events.subscribe(
      config.gateBusName,
      (e) => e.source === EVENT_SOURCE && e['detail-type'] === DETAIL_TYPE.connectionEvent,
      async (e) => decideQueue.send(JSON.stringify(e)),
    ),
    () => decideQueue.stop(),
    cloud.events.subscribe(
      config.gateBusName,
      (e) => e.source === EVENT_SOURCE && e['detail-type'] === DETAIL_TYPE.sweepRequested,
      invoke('sweep', handlers.sweep, sweepTimeoutMs),
    ),
    cloud.dynamodb.onTableChange(config.rulesTable, invoke('ruleChange', handlers.ruleChange, 60_000)),
    // The provider's own EC2 calls, as the stack's rule on the default bus routes them.
    ...lanes(INGEST_CONCURRENCY, (lane) =>
      cloud.events.subscribe(
        'default',
        (e) =>
          e.source === 'aws.ec2' &&
          e['detail-type'] === CLOUDTRAIL_DETAIL_TYPE &&
          PROVIDER_API_CALLS.includes(eventNameOf(e.detail)) &&
          laneOf(e.id, INGEST_CONCURRENCY) === lane,
        ingest,
      ),
    ),
  ];

  let sweeping: Promise<unknown> | undefined;
  const sweepNow = async (): Promise<unknown> => {
    // One sweep at a time, like a schedule with reserved concurrency 1.
    while (sweeping) await sweeping.catch(() => undefined);
    const event = scheduledEvent(cloud.account, cloud.region);
    sweeping = asRole('sweep', () => handlers.sweep(event, lambdaContext('sweep', sweepTimeoutMs)));
    try {
      return await sweeping;
    } finally {
      sweeping = undefined;
    }
  };
  const timer = setInterval(() => {
    sweepNow().catch((error: unknown) => options.log?.(`sweep failed: ${describe(error)}`));
  }, options.sweepIntervalMs);
  timer.unref();

  return {
    config,
    decideDeadLetters: () => decideQueue.deadLetters(),
    registerUrl: `${cloud.endpoint}${REGISTER_PATH}`,
    sweepNow,
    advanceClock: advanceGateClock,
    stop: () => {
      clearInterval(timer);
      for (const stop of unsubscribe) stop();
    },
  };
}

/** Ingest invocations at once (each lane is one subscription, delivered in order). */
const INGEST_CONCURRENCY = 4;

function lanes<T>(count: number, make: (lane: number) => T): T[] {
  return Array.from({ length: count }, (_, lane) => make(lane));
}

function laneOf(id: string, count: number): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return hash % count;
}

/** A Lambda context for an in-process invocation with the given time budget. */
export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `plgate-local-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:plgate-local-${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/plgate-local-${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function eventNameOf(detail: unknown): string {
  if (detail === null || typeof detail !== 'object' || !('eventName' in detail)) return '';
  return typeof detail.eventName === 'string' ? detail.eventName : '';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
