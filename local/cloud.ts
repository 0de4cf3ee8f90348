/**
 * The local cloud: EC2 PrivateLink, DynamoDB, SNS, EventBridge (and STS
 * GetCallerIdentity) on one loopback port, with in-process hooks that stand in
 * for Lambda subscriptions. `startLocalCloud` is what `plgate local` and every
 * integration test start.
 */

import type { Server } from 'node:http';
import type { DynamoDBStreamEvent, EventBridgeEvent, SNSEvent } from 'aws-lambda';
import { CallCounts } from './call-counts.ts';
import { Deliveries, Timers } from './deliveries.ts';
import { EmbeddedDynamoDb } from './dynamodb/api.ts';
import { Ec2Model } from './ec2/model.ts';
import { connectionNotificationMessage } from './ec2/notifications.ts';
import { EventBuses } from './events/buses.ts';
import { type BatchHandler, BatchQueue, type BatchQueueOptions } from './queues.ts';
import { createEdgeServer } from './server.ts';
import { type CapturedSnsMessage, parseTopicArn, SnsTopics } from './sns/topics.ts';

export type { CapturedSnsMessage } from './sns/topics.ts';

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
  /** Persist DynamoDB here (dynalite with a path); in memory when absent. */
  dataDir?: string;
  log?: (line: string) => void;
  /** Delay before the first retry of a failed in-process delivery; doubles after. Default 200. */
  retryDelayMs?: number;
}

export interface LocalCloud {
  /** 'http://127.0.0.1:PORT' */
  endpoint: string;
  port: number;
  account: string;
  region: string;
  stop(): Promise<void>;
  /** Resolves when no delivery is queued or running and no state transition is pending. */
  idle(): Promise<void>;
  /**
   * Makes every pending state transition happen now (pending -> available,
   * deleting -> deleted), as if its delay had passed, then waits until idle.
   * For tests and demos that must not depend on timing.
   */
  settle(): Promise<void>;
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
    createTopic(name: string, account?: string, region?: string): string;
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
    /** Every event put, oldest first (only `busName`'s when given). */
    events(busName?: string): EventBridgeEvent<string, unknown>[];
  };
  /**
   * DynamoDB Streams emulation: after every write that changes items of
   * `tableName`, the handler gets a `DynamoDBStreamEvent` with one record per
   * changed item (NEW_AND_OLD_IMAGES).
   */
  /**
   * SQS queues with a Lambda event source mapping: messages sent to one reach `handler` in
   * batches (the window, the batch size, batch item failures, a dead-letter list).
   */
  queues: {
    create(name: string, options: BatchQueueOptions, handler: BatchHandler): BatchQueue;
  };
  dynamodb: {
    onTableChange(tableName: string, handler: (event: DynamoDBStreamEvent) => Promise<unknown>): () => void;
    /** The stream ARN the records carry as `eventSourceARN`. */
    streamArn(tableName: string): string;
  };
}

export class LocalCloudOptionsError extends Error {
  override name = 'LocalCloudOptionsError';
}

const ACCOUNT = /^[0-9]{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/;

function validated(options: LocalCloudOptions) {
  const port = options.port ?? 4566;
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
  const delay = (name: string, value: number | undefined, fallback: number): number => {
    const ms = value ?? fallback;
    if (!Number.isFinite(ms) || ms < 0) {
      throw new LocalCloudOptionsError(`${name} must be a number of milliseconds >= 0, got ${String(value)}`);
    }
    return ms;
  };
  return {
    port,
    host,
    account,
    region,
    acceptDelayMs: delay('acceptDelayMs', options.acceptDelayMs, 1000),
    deleteDelayMs: delay('deleteDelayMs', options.deleteDelayMs, 1000),
    retryDelayMs: delay('retryDelayMs', options.retryDelayMs, 200),
    log: options.log ?? ((line: string) => process.stderr.write(`plgate local: ${line}\n`)),
    dataDir: options.dataDir,
  };
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
  const { log } = config;
  let endpoint = '';
  const deliveries = new Deliveries({ retries: 2, retryDelayMs: config.retryDelayMs, log });
  const timers = new Timers(log);
  const sns = new SnsTopics(deliveries, () => endpoint, log);
  const events = new EventBuses(deliveries, log);
  const ec2 = new Ec2Model({
    acceptDelayMs: config.acceptDelayMs,
    deleteDelayMs: config.deleteDelayMs,
    schedule: (delayMs, label, run) => timers.schedule(delayMs, label, run),
    notify: (delivery) => {
      const topicArn = delivery.notification.topicArn;
      if (!sns.exists(topicArn)) {
        log(
          `connection notification ${delivery.notification.id} (${delivery.event}) dropped: topic ${topicArn} does not exist`,
        );
        return;
      }
      sns.publish({
        topicArn,
        message: connectionNotificationMessage(delivery, new Date()),
        publisher: 'vpce.amazonaws.com',
      });
    },
  });
  const dynamodb = await EmbeddedDynamoDb.start({
    account: config.account,
    region: config.region,
    deliveries,
    ...(config.dataDir === undefined ? {} : { dataDir: config.dataDir }),
  });
  const calls = new CallCounts();
  const server = createEdgeServer({
    providerAccount: config.account,
    calls,
    ec2,
    sns,
    events,
    dynamodb,
    log,
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
  let port: number;
  try {
    port = await listen(server, config.port, config.host);
  } catch (error) {
    await dynamodb.stop();
    throw error;
  }
  const urlHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  endpoint = `http://${urlHost}:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      timers.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await deliveries.close();
      server.closeAllConnections();
      await closed;
      await dynamodb.stop();
    })();
    return stopping;
  };

  return {
    endpoint,
    port,
    account: config.account,
    region: config.region,
    stop,
    idle: async () => {
      while (deliveries.busy || timers.busy) {
        await Promise.all([deliveries.idle(), timers.idle()]);
      }
    },
    settle: async () => {
      while (deliveries.busy || timers.busy) {
        timers.flush();
        await deliveries.idle();
      }
    },
    sns: {
      subscribe: (topicArn, handler) => sns.subscribe(topicArn, handler),
      messages: () => sns.messages(),
      onPublish: (listener) => sns.onPublish(listener),
      createTopic: (name, account = config.account, region = config.region) => {
        const arn = `arn:aws:sns:${region}:${account}:${name}`;
        if (parseTopicArn(arn) === undefined) throw new LocalCloudOptionsError(`not a valid topic: ${arn}`);
        return sns.createTopic(account, region, name);
      },
    },
    events: {
      subscribe: (busName, filter, handler) => events.subscribe(busName, filter, handler),
      events: (busName) => events.events(busName),
    },
    queues: {
      create: (name, options, handler) =>
        new BatchQueue(
          `arn:aws:sqs:${config.region}:${config.account}:${name}`,
          options,
          handler,
          deliveries,
          timers,
          log,
        ),
    },
    dynamodb: {
      onTableChange: (tableName, handler) => dynamodb.streams.subscribe(tableName, handler),
      streamArn: (tableName) => dynamodb.streams.streamArn(tableName),
    },
  };
}
