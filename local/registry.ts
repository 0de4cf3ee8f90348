/**
 * The registry: every service of the local cloud that keeps the LocalService contract
 * (local/service.ts), and every CloudFormation resource type they create. The edge server
 * asks them in order whether a request is theirs; the deployer finds each type's provider
 * here; `--data` keeps each one's snapshot under its name. Adding a service or a resource
 * type means adding it here, and nowhere else.
 */
import { ApiGatewayService } from './apigateway/service.ts';
import type { MovableClock } from './clock.ts';
import { CloudFormationService } from './cloudformation/service.ts';
import type { Deliveries, Timers } from './deliveries.ts';
import type { EmbeddedDynamoDb } from './dynamodb/api.ts';
import { DynamoDbService } from './dynamodb/service.ts';
import type { Ec2Model } from './ec2/model.ts';
import { Ec2Service } from './ec2/service.ts';
import { EventSourceMappings } from './event-sources/mappings.ts';
import type { EventBuses } from './events/buses.ts';
import { EventsService } from './events/service.ts';
import type { Faults } from './faults.ts';
import type { Authorizer } from './iam/authorizer.ts';
import { IamResources } from './iam/resources.ts';
import type { LocalRoles } from './identity.ts';
import { LambdaService } from './lambda/service.ts';
import type { LocalService, ResourceProvider } from './service.ts';
import { SnsResources } from './sns/resources.ts';
import { SnsService } from './sns/service.ts';
import type { SnsTopics } from './sns/topics.ts';
import { SqsService } from './sqs/service.ts';
import { StsService } from './sts/service.ts';

export interface RegistryDeps {
  account: string;
  region: string;
  endpoint: () => string;
  roles: LocalRoles;
  authorizer: Authorizer;
  deliveries: Deliveries;
  timers: Timers;
  clock: MovableClock;
  dynamodb: EmbeddedDynamoDb;
  sns: SnsTopics;
  buses: EventBuses;
  ec2: Ec2Model;
  /** The secret of an access key, for the keys whose STS signatures are verified. */
  secretOf: (accessKeyId: string) => string | undefined;
  log: (line: string) => void;
  /** Where a function's own output goes (`plgate local` prints it under the function's name). */
  functionLog: (functionName: string, line: string) => void;
  faults?: Faults;
  /** Local-only variables laid over every function's environment (POWERTOOLS_LOG_LEVEL). */
  functionEnvironment?: Record<string, string>;
  /** Local-only: every schedule fires at this interval instead of its own (`--sweep-interval`). */
  scheduleIntervalOverrideMs?: number;
  /** Most execution environments of one function at once (default: the Lambda service's). */
  environmentsPerFunction?: number;
}

export interface Registry {
  /** In the order the edge server asks them. */
  services: LocalService[];
  providers: Map<string, ResourceProvider>;
  cloudformation: CloudFormationService;
  iam: IamResources;
  lambda: LambdaService;
  sqs: SqsService;
  events: EventsService;
  apigateway: ApiGatewayService;
  sts: StsService;
  mappings: EventSourceMappings;
  dynamodb: EmbeddedDynamoDb;
}

export class RegistryError extends Error {
  override name = 'RegistryError';
}

export function buildRegistry(deps: RegistryDeps): Registry {
  const { account, region, log, clock, timers, deliveries, authorizer, roles } = deps;
  const providers = new Map<string, ResourceProvider>();
  const cloudformation = new CloudFormationService(() => providers);
  const iam = new IamResources(roles);
  const sqs = new SqsService({ endpoint: deps.endpoint, authorizer, timers, clock, log });
  const lambda: LambdaService = new LambdaService({
    account,
    region,
    endpoint: deps.endpoint,
    roles,
    queues: () => sqs,
    deliveries,
    timers,
    clock,
    authorizer,
    log,
    functionLog: deps.functionLog,
    ...(deps.faults === undefined ? {} : { faults: deps.faults }),
    ...(deps.functionEnvironment === undefined ? {} : { environmentOverrides: deps.functionEnvironment }),
    ...(deps.environmentsPerFunction === undefined
      ? {}
      : { maxConcurrencyPerFunction: deps.environmentsPerFunction }),
  });
  const mappings = new EventSourceMappings({
    invoker: lambda,
    queues: sqs.consumer,
    streams: deps.dynamodb.streams,
    writer: sqs,
    executionRole: (functionArn) => {
      const definition = lambda.functions().find((fn) => fn.arn === functionArn);
      return definition === undefined ? undefined : roles.byRoleArn(definition.role);
    },
    authorizer,
    deliveries,
    timers,
    clock,
    log,
  });
  const events = new EventsService({
    account,
    region,
    deliveries,
    timers,
    clock,
    log,
    authorizer,
    functions: () => lambda,
    queues: () => sqs,
    buses: deps.buses,
    roles,
    ...(deps.scheduleIntervalOverrideMs === undefined
      ? {}
      : { scheduleIntervalOverrideMs: deps.scheduleIntervalOverrideMs }),
  });
  const sts = new StsService({ secretOf: deps.secretOf, now: () => clock.now(), roles, authorizer });
  const apigateway = new ApiGatewayService({ clock, log, functions: () => lambda });
  const snsResources = new SnsResources(deps.sns, { functions: () => lambda, queues: () => sqs, log });
  // Asked in this order: by path, then by X-Amz-Target, then the Query APIs by scope,
  // Version or Action, EC2 last (it takes what names no service).
  const services: LocalService[] = [
    lambda,
    apigateway,
    sqs,
    events,
    new DynamoDbService(deps.dynamodb, { account, region, authorizer }),
    cloudformation,
    new SnsService(deps.sns, authorizer, snsResources.resources),
    sts,
    new Ec2Service(deps.ec2, { authorizer, buses: deps.buses }),
    mappings,
    { name: 'iam', resources: iam.resources, snapshot: () => iam.snapshot(), restore: (s) => iam.restore(s) },
  ];
  for (const service of services) {
    for (const provider of service.resources ?? []) {
      if (providers.has(provider.type))
        throw new RegistryError(`${provider.type} is created by two services (${service.name} and another)`);
      providers.set(provider.type, provider);
    }
  }
  return {
    services,
    providers,
    cloudformation,
    iam,
    lambda,
    sqs,
    events,
    apigateway,
    sts,
    mappings,
    dynamodb: deps.dynamodb,
  };
}
