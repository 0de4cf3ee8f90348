/**
 * The local cloud: EC2 PrivateLink, DynamoDB, SNS, EventBridge (and STS
 * GetCallerIdentity) on one loopback port, with in-process hooks that stand in
 * for Lambda subscriptions. `startLocalCloud` is what `plgate local` and every
 * integration test start.
 */

import type { Server, ServerResponse } from 'node:http';
import type { DynamoDBStreamEvent, EventBridgeEvent, SNSEvent } from 'aws-lambda';
import { plainLine } from '../functions/aws/untrusted-text.ts';
import { ENV } from '../functions/shared/config.ts';
import { CallCounts } from './call-counts.ts';
import { MovableClock } from './clock.ts';
import { type DataDirLock, lockDataDir } from './data-lock.ts';
import { Deliveries, Timers } from './deliveries.ts';
import { EmbeddedDynamoDb } from './dynamodb/api.ts';
import { Ec2Model, type EndpointState } from './ec2/model.ts';
import { connectionNotificationMessage } from './ec2/notifications.ts';
import { DEFAULT_EDGE_PORT } from './edge-port.ts';
import { EventBuses } from './events/buses.ts';
import { edgeFaultLayer, faultyNotifications } from './fault-layer.ts';
import { AIMABLE_FAULTS, FAULT_NAMES, type FaultOptions, Faults } from './faults.ts';
import { type AllowedCall, Authorizer } from './iam/authorizer.ts';
import { LocalRoles } from './identity.ts';
import { buildRegistry, type Registry } from './registry.ts';
import { createEdgeServer } from './server.ts';
import { type CapturedSnsMessage, parseTopicArn, SnsTopics, type TopicSettings } from './sns/topics.ts';
import { StateFile } from './state-file.ts';

const VPCE_SERVICE = 'vpce.amazonaws.com';

export interface LocalCloudOptions {
  /** Default 4566; 0 = any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The provider account, for access keys that are not 12-digit account ids. Default '000000000000'. */
  account?: string;
  /** Default 'us-east-1'. Requests carry their own region in the SigV4 scope; EC2 state is per region. */
  region?: string;
  /** pending -> available after an accept. Default 1000. */
  acceptDelayMs?: number;
  /** deleting -> deleted after a delete. Default 1000. */
  deleteDelayMs?: number;
  /**
   * Keep all state here across restarts: DynamoDB (dynalite's store) and the rest (EC2,
   * SNS topics) in a JSON file. One cloud per directory (a lock file holds its pid). In
   * memory when absent.
   */
  dataDir?: string;
  /** How long state changes gather before they are written to `dataDir`. Default 200. */
  saveDelayMs?: number;
  log?: (line: string) => void;
  /** Delay before the first retry of a failed in-process delivery; doubles after. Default 200. */
  retryDelayMs?: number;
  /**
   * Secrets of access keys whose STS signatures the cloud verifies (access key id -> secret).
   * Any other key signs with any secret. More can be added with `credentials.setSecret`.
   */
  secrets?: Record<string, string>;
  /** Faults to inject into the gate's own calls and deliveries (`--faults`). */
  faults?: FaultOptions;
  /** Where each function's own output lines go; default: the log, prefixed with the function's name. */
  functionLog?: (functionName: string, line: string) => void;
  /** Local-only variables laid over every function's template environment (e.g. POWERTOOLS_LOG_LEVEL). */
  functionEnvironment?: Record<string, string>;
  /** Local-only: every schedule of a deployed stack fires at this interval instead of its own. */
  scheduleIntervalMs?: number;
  /**
   * Most execution environments of one function at once (its reserved concurrency still
   * bounds it). Default: one per core, 2 to 4.
   */
  environmentsPerFunction?: number;
}

export interface LocalCloud {
  /** 'http://127.0.0.1:PORT' */
  endpoint: string;
  port: number;
  account: string;
  region: string;
  stop(): Promise<void>;
  /** The injected faults and their counts; undefined without `faults`. */
  faults: Faults | undefined;
  /** Resolves when no delivery is queued or running and no state transition is pending. */
  idle(): Promise<void>;
  /**
   * `idle()`, with every event source's batching window closing as soon as it opens
   * meanwhile: what each record leads to is the same, only without the wait for records
   * that are not coming. For tests that wait for the gate to finish what they started.
   */
  drain(): Promise<void>;
  /**
   * Makes every pending state transition happen now (pending -> available,
   * deleting -> deleted), as if its delay had passed, then waits until idle.
   * For tests and demos that must not depend on timing.
   */
  settle(): Promise<void>;
  /**
   * Waits until idle as time would pass: whenever nothing runs and only timers are left (a
   * visibility timeout, a redrive, a delayed state change), the clock moves ahead to the next
   * one instead of the wait. For runs that must see what a minute of AWS time does without
   * waiting the minute (the chaos run's redeliveries after crashed invocations).
   */
  elapse(): Promise<void>;
  /**
   * In-process SNS: handlers subscribed to a topic ARN get the Lambda-shaped
   * `SNSEvent` for every Publish to that topic (over the API, or a connection
   * notification). Subscribing creates the topic.
   */
  sns: {
    subscribe(topicArn: string, handler: (event: SNSEvent) => Promise<unknown>): () => void;
    messages(): CapturedSnsMessage[];
    onPublish(listener: (message: CapturedSnsMessage) => void): () => void;
    /** Creates a topic as CreateTopic would; returns its ARN. Default account and region: the cloud's. */
    createTopic(name: string, account?: string, region?: string, settings?: TopicSettings): string;
  };
  /**
   * In-process EventBridge: PutEvents over HTTP; subscribers get Lambda-shaped
   * events of their bus. EC2 write calls also arrive on `default` as
   * `AWS API Call via CloudTrail` (source `aws.ec2`, account = the caller's).
   */
  events: {
    subscribe(
      busName: string,
      filter: (event: EventBridgeEvent<string, unknown>) => boolean,
      handler: (event: EventBridgeEvent<string, unknown>) => Promise<unknown>,
    ): () => void;
    /** The most recent events put (up to 1,000), oldest first (only `busName`'s when given). */
    events(busName?: string): EventBridgeEvent<string, unknown>[];
    /** Creates a bus of the provider's, as the stack would. */
    createBus(name: string): void;
  };
  /**
   * IAM: the in-process functions' roles. A call signed with a role's access key is
   * authorised against that role's statements (and the resource's policy).
   */
  iam: {
    roles: LocalRoles;
    /** The calls the functions' roles were allowed, for checking the stack's roles against. */
    allowedCalls(): AllowedCall[];
  };
  /**
   * DynamoDB Streams emulation: after every write that changes items of
   * `tableName`, the handler gets a `DynamoDBStreamEvent` with one record per
   * changed item (NEW_AND_OLD_IMAGES).
   */
  dynamodb: {
    onTableChange(tableName: string, handler: (event: DynamoDBStreamEvent) => Promise<unknown>): () => void;
    /** The stream ARN the records carry as `eventSourceARN`. */
    streamArn(tableName: string): string;
  };
  /** Access keys whose signatures STS verifies: from then on, STS refuses a request signed with another secret. */
  credentials: {
    setSecret(accessKeyId: string, secret: string): void;
  };
  /** The services of the registry, the deployer among them (local/registry.ts). */
  registry: Registry;
  /** The cloud's clock; moving it ahead moves every function's clock and fires what falls due. */
  clock: MovableClock;
  /** The version of the `--data` state file this cloud started from (undefined: none). */
  restoredFromVersion: number | undefined;
  ec2: {
    /**
     * Every interface endpoint's change of state, at the moment EC2 makes it (creation
     * included, `from` undefined): an observer that neither polls nor counts as a caller,
     * for benches and tests that must see short-lived states such as `pending`.
     */
    onConnectionState(listener: (change: ConnectionStateChange) => void): () => void;
  };
}

export interface ConnectionStateChange {
  endpointId: string;
  serviceId: string;
  /** The consumer account. */
  account: string;
  from: EndpointState | undefined;
  to: EndpointState;
}

export class LocalCloudOptionsError extends Error {
  override name = 'LocalCloudOptionsError';
}

const ACCOUNT = /^[0-9]{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/;

function validated(options: LocalCloudOptions) {
  const port = options.port ?? DEFAULT_EDGE_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LocalCloudOptionsError(`port must be an integer from 0 to 65535, got ${String(options.port)}`);
  }
  const host = options.host ?? '127.0.0.1';
  if (host.trim() === '') throw new LocalCloudOptionsError('host must not be empty');
  const account = options.account ?? '000000000000';
  if (!ACCOUNT.test(account)) throw new LocalCloudOptionsError(`account must be 12 digits, got '${account}'`);
  const region = options.region ?? 'us-east-1';
  if (!REGION.test(region))
    throw new LocalCloudOptionsError(`region must look like us-east-1, got '${region}'`);
  const log = options.log ?? ((line: string) => process.stderr.write(`plgate local: ${plainLine(line)}\n`));
  const delay = (name: string, value: number | undefined, fallback: number): number => {
    const ms = value ?? fallback;
    if (!Number.isFinite(ms) || ms < 0) {
      throw new LocalCloudOptionsError(`${name} must be a number of milliseconds >= 0, got ${String(value)}`);
    }
    return ms;
  };
  const positiveInteger = (name: string, value: number | undefined): number | undefined => {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      throw new LocalCloudOptionsError(`${name} must be a whole number >= 1, got ${String(value)}`);
    }
    return value;
  };
  return {
    port,
    host,
    account,
    region,
    acceptDelayMs: delay('acceptDelayMs', options.acceptDelayMs, 1000),
    deleteDelayMs: delay('deleteDelayMs', options.deleteDelayMs, 1000),
    retryDelayMs: delay('retryDelayMs', options.retryDelayMs, 200),
    saveDelayMs: delay('saveDelayMs', options.saveDelayMs, 200),
    faults: validatedFaults(options.faults),
    log,
    functionLog:
      options.functionLog ??
      ((name: string, line: string) => {
        // Embedded-metric lines are CloudWatch's to read, not a person's: not printed here.
        if (!isEmbeddedMetric(line)) log(`${name}: ${line}`);
      }),
    functionEnvironment: options.functionEnvironment,
    scheduleIntervalMs: options.scheduleIntervalMs,
    environmentsPerFunction: positiveInteger('environmentsPerFunction', options.environmentsPerFunction),
    dataDir: options.dataDir,
    secrets: new Map(Object.entries(options.secrets ?? {})),
  };
}

/** A CloudWatch embedded-metric-format line (Powertools Metrics writes them to stdout). */
export function isEmbeddedMetric(line: string): boolean {
  if (!line.startsWith('{"_aws":')) return false;
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && '_aws' in parsed;
  } catch {
    return false;
  }
}

function validatedFaults(options: FaultOptions | undefined): FaultOptions | undefined {
  if (options === undefined) return undefined;
  for (const [name, rate] of Object.entries(options.rates)) {
    if (!(FAULT_NAMES as readonly string[]).includes(name))
      throw new LocalCloudOptionsError(`faults: unknown fault '${name}' (known: ${FAULT_NAMES.join(', ')})`);
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))
      throw new LocalCloudOptionsError(
        `faults: the rate of ${name} must be from 0 to 1, got ${String(rate)}`,
      );
  }
  for (const aimed of options.aimed ?? []) {
    if (!(AIMABLE_FAULTS as readonly string[]).includes(aimed.name))
      throw new LocalCloudOptionsError(
        `faults: ${aimed.name} cannot be aimed at an account (only ${AIMABLE_FAULTS.join(', ')})`,
      );
    if (!ACCOUNT.test(aimed.account))
      throw new LocalCloudOptionsError(
        `faults: an aimed fault's account must be 12 digits, got '${aimed.account}'`,
      );
    if (aimed.region !== undefined && !REGION.test(aimed.region))
      throw new LocalCloudOptionsError(
        `faults: an aimed fault's region must look like us-east-1, got '${aimed.region}'`,
      );
    if (!(aimed.rate >= 0 && aimed.rate <= 1))
      throw new LocalCloudOptionsError(
        `faults: the rate of ${aimed.name}@${aimed.account} must be from 0 to 1, got ${String(aimed.rate)}`,
      );
  }
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed))
    throw new LocalCloudOptionsError(`faults: seed must be an integer, got ${String(options.seed)}`);
  if (options.forMs !== undefined && !(Number.isFinite(options.forMs) && options.forMs >= 0))
    throw new LocalCloudOptionsError(`faults: forMs must be milliseconds >= 0, got ${String(options.forMs)}`);
  return options;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('the server has no TCP address'));
      else resolve(address.port);
    });
  });
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const config = validated(options);
  // Before anything opens the directory: a second cloud on it is refused here.
  const lock = config.dataDir === undefined ? undefined : lockDataDir(config.dataDir);
  try {
    return await startOn(config, lock);
  } catch (error) {
    lock?.release();
    throw error;
  }
}

async function startOn(
  config: ReturnType<typeof validated>,
  lock: DataDirLock | undefined,
): Promise<LocalCloud> {
  const { log } = config;
  if (lock?.tookOverFrom !== undefined) {
    log(`took over ${config.dataDir} from process ${lock.tookOverFrom}, which no longer runs`);
  }
  let endpoint = '';
  const deliveries = new Deliveries({ retries: 2, retryDelayMs: config.retryDelayMs, log });
  const clock = new MovableClock();
  const timers = new Timers(log, clock);
  clock.onAdvance(() => timers.fireDue());
  const sns = new SnsTopics(deliveries, () => endpoint, log);
  const events = new EventBuses(deliveries, log, config.account, undefined, config.region);
  const roles = new LocalRoles();
  const authorizer = new Authorizer(log);
  // Connection notifications go out one at a time, in the order EC2 raised them.
  const notificationQueue = {};
  // Every change of state comes from a request, a timer or the in-process API; each marks it.
  let changed = (): void => {};
  const faults = config.faults === undefined ? undefined : new Faults(config.faults);
  const notifications =
    faults && faultyNotifications(faults, (ms, label, run) => timers.schedule(ms, label, run));
  const stateListeners = new Set<(change: ConnectionStateChange) => void>();
  const ec2 = new Ec2Model({
    onStateChange: (endpoint, from) => {
      const change = {
        endpointId: endpoint.id,
        serviceId: endpoint.serviceId,
        account: endpoint.account,
        from,
        to: endpoint.state,
      };
      for (const listener of stateListeners) listener(change);
    },
    acceptDelayMs: config.acceptDelayMs,
    deleteDelayMs: config.deleteDelayMs,
    schedule: (delayMs, label, run) =>
      timers.schedule(delayMs, label, () => {
        run();
        changed();
      }),
    notify: (delivery) => {
      const topicArn = delivery.notification.topicArn;
      if (!sns.exists(topicArn)) {
        log(
          `connection notification ${delivery.notification.id} (${delivery.event}) dropped: topic ${topicArn} does not exist`,
        );
        return;
      }
      const message = connectionNotificationMessage(delivery, new Date());
      const publish = () => {
        const send = () => sns.publish({ topicArn, message, publisher: VPCE_SERVICE });
        if (notifications) notifications(send);
        else send();
      };
      const { policy } = sns.settingsOf(topicArn);
      if (policy === undefined) {
        // A topic with SNS's default policy gets them too: the local cloud has no SetTopicAttributes
        // to add the statement AWS would need (local/README.md).
        publish();
        return;
      }
      const { service, notification, event } = delivery;
      deliveries.enqueue(
        notificationQueue,
        `connection notification ${notification.id} (${event})`,
        async () => {
          const allowed = await authorizer.allowsService(VPCE_SERVICE, {
            action: 'sns:Publish',
            resource: topicArn,
            resourceAccount: parseTopicArn(topicArn)?.account ?? '',
            resourcePolicy: policy,
            context: {
              'aws:SourceAccount': notification.account,
              'aws:SourceArn': `arn:aws:ec2:${notification.region}:${notification.account}:${notification.endpointId === undefined ? `vpc-endpoint-service/${service.id}` : `vpc-endpoint/${notification.endpointId}`}`,
            },
          });
          if (!allowed) {
            log(
              `connection notification ${notification.id} (${event}) dropped: the policy of topic ${topicArn} does not let ${VPCE_SERVICE} publish for ${notification.account}`,
            );
            return;
          }
          publish();
        },
      );
    },
  });
  const dynamodb = await EmbeddedDynamoDb.start({
    account: config.account,
    region: config.region,
    deliveries,
    ...(config.dataDir === undefined ? {} : { dataDir: config.dataDir }),
  });
  // Local-only settings laid over every function's template environment, read at each cold
  // start; the register function's STS origin is added once the edge port listens.
  const functionEnvironment: Record<string, string> = { ...config.functionEnvironment };
  const registry = buildRegistry({
    account: config.account,
    region: config.region,
    endpoint: () => endpoint,
    roles,
    authorizer,
    deliveries,
    timers,
    clock,
    dynamodb,
    sns,
    buses: events,
    ec2,
    secretOf: (accessKeyId) => config.secrets.get(accessKeyId),
    log,
    functionLog: config.functionLog,
    ...(faults === undefined ? {} : { faults }),
    functionEnvironment,
    ...(config.environmentsPerFunction === undefined
      ? {}
      : { environmentsPerFunction: config.environmentsPerFunction }),
    ...(config.scheduleIntervalMs === undefined
      ? {}
      : { scheduleIntervalOverrideMs: config.scheduleIntervalMs }),
  });
  const state =
    config.dataDir === undefined
      ? undefined
      : new StateFile(
          config.dataDir,
          () => ({
            ec2: ec2.snapshot(),
            sns: sns.snapshot(),
            events: events.snapshot(),
            services: Object.fromEntries(
              registry.services.flatMap((service) =>
                service.snapshot === undefined ? [] : [[service.name, service.snapshot()]],
              ),
            ),
          }),
          {
            debounceMs: config.saveDelayMs,
            log,
          },
        );
  let saved: ReturnType<NonNullable<typeof state>['load']>;
  try {
    saved = state?.load();
  } catch (error) {
    await dynamodb.stop();
    throw error;
  }
  if (saved !== undefined) {
    ec2.restore(saved.ec2);
    sns.restore(saved.sns);
    events.restore(saved.events);
    for (const service of registry.services) {
      const section = saved.services[service.name];
      if (section !== undefined) service.restore?.(section);
    }
  }
  // Resources restored from --data whose services keep part of them in memory only.
  if (saved !== undefined) await registry.cloudformation.deployer.reattach();
  if (state !== undefined) changed = () => state.changed();
  const calls = new CallCounts();
  const server = createEdgeServer({
    providerAccount: config.account,
    calls,
    roles,
    log,
    ...(faults === undefined
      ? {}
      : {
          faults: edgeFaultLayer(
            faults,
            config.account,
            (caller) => roles.principalOf(caller).kind === 'role',
            (key) => roles.accountOfKey(key),
          ),
        }),
    registry: registry.services,
    admin: (name, query) => {
      switch (name) {
        case 'health':
          return { status: 'ok', endpoint, account: config.account, region: config.region };
        case 'sns-messages': {
          const topicArn = query.get('topicArn');
          return {
            messages: sns.messages().filter((message) => topicArn === null || message.topicArn === topicArn),
          };
        }
        case 'events':
          return { events: events.events(query.get('busName') ?? undefined) };
        case 'calls': {
          // Reading with reset=true starts the count over, so a bench can count one phase at a time.
          const counted = { calls: calls.list() };
          if (query.get('reset') === 'true') calls.reset();
          return counted;
        }
        default:
          return undefined;
      }
    },
  });
  server.on('request', (_req, res: ServerResponse) => res.once('finish', () => changed()));
  let port: number;
  try {
    port = await listen(server, config.port, config.host);
  } catch (error) {
    timers.close();
    await dynamodb.stop();
    throw error;
  }
  const urlHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  endpoint = `http://${urlHost}:${port}`;
  // Proofs of account go to this cloud's own STS; only the register function's configuration allows it.
  functionEnvironment[ENV.registerStsOrigins] ??= endpoint;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // Invocations in flight finish first, with the edge port still answering them: a
      // decision cut off mid-way would leave its lease in the saved state (--data).
      registry.lambda.quiesce();
      await deliveries.close();
      timers.close();
      for (const service of registry.services) await service.stop?.();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      server.closeAllConnections();
      await closed;
      try {
        state?.flush();
      } finally {
        await dynamodb.stop();
        lock?.release();
      }
    })();
    return stopping;
  };

  const idle = async (): Promise<void> => {
    while (deliveries.busy || timers.busy) {
      await Promise.all([deliveries.idle(), timers.idle()]);
    }
  };

  return {
    endpoint,
    port,
    account: config.account,
    region: config.region,
    stop,
    faults,
    idle,
    drain: () => timers.draining(idle),
    settle: async () => {
      while (deliveries.busy || timers.busy) {
        timers.flush();
        await deliveries.idle();
      }
    },
    elapse: async () => {
      while (deliveries.busy || timers.busy) {
        await deliveries.idle();
        if (deliveries.busy) continue;
        const next = timers.nextDueAt();
        if (next === undefined) await timers.idle();
        else if (next > clock.now()) clock.advance(next - clock.now());
        else timers.fireDue();
      }
    },
    sns: {
      subscribe: (topicArn, handler) => {
        const unsubscribe = sns.subscribe(topicArn, handler);
        changed();
        return unsubscribe;
      },
      messages: () => sns.messages(),
      onPublish: (listener) => sns.onPublish(listener),
      createTopic: (name, account = config.account, region = config.region, settings) => {
        const arn = `arn:aws:sns:${region}:${account}:${name}`;
        if (parseTopicArn(arn) === undefined) throw new LocalCloudOptionsError(`not a valid topic: ${arn}`);
        const created = sns.createTopic(account, region, name, settings);
        changed();
        return created;
      },
    },
    events: {
      subscribe: (busName, filter, handler) => events.subscribe(busName, filter, handler),
      events: (busName) => events.events(busName),
      createBus: (name) => events.createBus(config.account, config.region, name),
    },
    iam: { roles, allowedCalls: () => authorizer.calls() },
    dynamodb: {
      onTableChange: (tableName, handler) => dynamodb.streams.subscribe(tableName, handler),
      streamArn: (tableName) => dynamodb.streams.streamArn(tableName),
    },
    credentials: {
      setSecret: (accessKeyId, secret) => {
        if (accessKeyId === '' || secret === '')
          throw new LocalCloudOptionsError('an access key and its secret must not be empty');
        config.secrets.set(accessKeyId, secret);
      },
    },
    registry,
    clock,
    restoredFromVersion: saved?.readFromVersion,
    ec2: {
      onConnectionState: (listener) => {
        stateListeners.add(listener);
        return () => stateListeners.delete(listener);
      },
    },
  };
}
