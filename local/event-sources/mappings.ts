/**
 * Lambda event source mappings of the local cloud (`AWS::Lambda::EventSourceMapping`):
 * each one a poller of an SQS queue or a DynamoDB stream that invokes its function
 * synchronously, as Lambda's pollers do, with the function's execution role: creating a
 * mapping whose role may not read the source fails as on AWS. Deleting it stops the poller.
 */
import { randomUUID } from 'node:crypto';
import type { AccessRequest, Authorizer } from '../iam/authorizer.ts';
import { type LocalRole, type Principal, roleArnOf, roleSessionArnOf } from '../identity.ts';
import type {
  CreatedResource,
  FunctionInvoker,
  LocalService,
  QueueWriter,
  ResourceProvider,
  ResourceRequest,
} from '../service.ts';
import type { QueueConsumer } from '../sqs/service.ts';
import { EventSourceMappingError, type MappingConfig, mappingConfig } from './properties.ts';
import { SqsEventSource } from './sqs-source.ts';
import { StreamEventSource, type TableStreamSource } from './stream-source.ts';

export interface EventSourceMappingsOptions {
  invoker: FunctionInvoker;
  queues: QueueConsumer;
  streams: TableStreamSource;
  /** Where stream mappings send their on-failure records. */
  writer: QueueWriter;
  /** The execution role of a function (Lambda polls and sends with it); undefined when unknown. */
  executionRole(functionArn: string): LocalRole | undefined;
  authorizer: Pick<Authorizer, 'authorize'>;
  deliveries: { enqueue(subscriber: object, label: string, deliver: () => Promise<unknown>): void };
  timers: { schedule(delayMs: number, label: string, run: () => void, options?: { window?: boolean }): void };
  clock: { now(): number };
  log: (line: string) => void;
}

const principalOf = (role: LocalRole): Principal => ({
  kind: 'role',
  account: role.account,
  arn: roleSessionArnOf(role),
  roleArn: roleArnOf(role),
  role,
});

/** The reads Lambda makes of the source with the function's role (what the console asks for). */
function sourceReads(config: MappingConfig, queues: QueueConsumer): AccessRequest[] {
  if (config.kind === 'sqs') {
    return ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'].map((action) =>
      queues.access(config.eventSourceArn, action),
    );
  }
  const account = config.eventSourceArn.split(':')[4] ?? '';
  return [
    ...['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'].map((action) => ({
      action,
      resource: config.eventSourceArn,
      resourceAccount: account,
    })),
    { action: 'dynamodb:ListStreams', resource: '*', resourceAccount: account },
  ];
}

export class EventSourceMappings implements LocalService {
  readonly name = 'lambda-event-source-mappings';
  readonly resources: readonly ResourceProvider[];
  private readonly running = new Map<
    string,
    { config: MappingConfig; source: SqsEventSource | StreamEventSource }
  >();

  constructor(private readonly options: EventSourceMappingsOptions) {
    this.resources = [this.provider()];
  }

  /** The mappings running now, by id. */
  list(): Array<{ id: string; config: MappingConfig }> {
    return [...this.running].map(([id, { config }]) => ({ id, config }));
  }

  private configOf(request: ResourceRequest): MappingConfig {
    return mappingConfig(request.logicalId, request.properties, request.stack);
  }

  /** Checks the source exists and the function's role may read it, as CreateEventSourceMapping does. */
  private async check(logicalId: string, config: MappingConfig): Promise<void> {
    if (config.kind === 'sqs' && !this.options.queues.exists(config.eventSourceArn)) {
      throw new EventSourceMappingError(`${logicalId}: queue ${config.eventSourceArn} does not exist`);
    }
    const role = this.options.executionRole(config.functionArn);
    if (role === undefined) {
      throw new EventSourceMappingError(`${logicalId}: function ${config.functionArn} has no execution role`);
    }
    try {
      await this.options.authorizer.authorize(principalOf(role), sourceReads(config, this.options.queues));
    } catch (error) {
      throw new EventSourceMappingError(
        `${logicalId}: the execution role ${role.name} may not read ${config.eventSourceArn}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }

  private start(id: string, config: MappingConfig): void {
    const { options } = this;
    const source =
      config.kind === 'sqs'
        ? new SqsEventSource(id, config, options.queues, options)
        : new StreamEventSource(id, config, {
            ...options,
            onFailureSender: (functionArn) => {
              const role = options.executionRole(functionArn);
              return role === undefined ? undefined : { kind: 'principal', principal: principalOf(role) };
            },
          });
    this.running.set(id, { config, source });
    source.start();
  }

  private provider(): ResourceProvider {
    const created = (request: ResourceRequest, id: string): CreatedResource => ({
      physicalId: id,
      attributes: {
        Id: id,
        EventSourceMappingArn: `arn:aws:lambda:${request.stack.region}:${request.stack.account}:event-source-mapping:${id}`,
      },
    });
    return {
      type: 'AWS::Lambda::EventSourceMapping',
      create: async (request) => {
        const config = this.configOf(request);
        await this.check(request.logicalId, config);
        const id = randomUUID();
        this.start(id, config);
        return created(request, id);
      },
      update: async (request) => {
        const config = this.configOf(request);
        const current = this.running.get(request.physicalId);
        if (
          current === undefined ||
          current.config.kind !== config.kind ||
          current.config.eventSourceArn !== config.eventSourceArn ||
          (config.kind === 'dynamodb' &&
            request.previous.StartingPosition !== request.properties.StartingPosition)
        ) {
          return 'replace';
        }
        await this.check(request.logicalId, config);
        current.config = config;
        if (current.source instanceof SqsEventSource && config.kind === 'sqs')
          current.source.reconfigure(config);
        if (current.source instanceof StreamEventSource && config.kind === 'dynamodb')
          current.source.reconfigure(config);
        return created(request, request.physicalId);
      },
      delete: async (request) => {
        this.running.get(request.physicalId)?.source.stop();
        this.running.delete(request.physicalId);
      },
      // After a --data restart: the mapping is in the stack, its poller is not running yet.
      reattach: async (request) => {
        if (this.running.has(request.physicalId)) return;
        this.start(request.physicalId, this.configOf(request));
      },
    };
  }

  async stop(): Promise<void> {
    for (const { source } of this.running.values()) source.stop();
    this.running.clear();
  }
}
