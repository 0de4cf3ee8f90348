/**
 * The registry: every service of the local cloud that keeps the LocalService contract
 * (local/service.ts), and every CloudFormation resource type they create. The edge server
 * asks them in order whether a request is theirs; the deployer finds each type's provider
 * here; `--data` keeps each one's snapshot under its name.
 */
import { CloudFormationService } from './cloudformation/service.ts';
import type { EmbeddedDynamoDb } from './dynamodb/api.ts';
import { tableResource } from './dynamodb/table-resource.ts';
import { IamResources } from './iam/resources.ts';
import type { LocalRoles } from './identity.ts';
import type { FunctionInvoker, LocalService, QueueWriter, ResourceProvider } from './service.ts';
import { SnsResources } from './sns/resources.ts';
import type { SnsTopics } from './sns/topics.ts';

export interface RegistryDeps {
  account: string;
  region: string;
  roles: LocalRoles;
  dynamodb: EmbeddedDynamoDb;
  sns: SnsTopics;
  log: (line: string) => void;
  functions: () => FunctionInvoker;
  queues: () => QueueWriter;
}

export interface Registry {
  services: LocalService[];
  providers: Map<string, ResourceProvider>;
  cloudformation: CloudFormationService;
  iam: IamResources;
}

export class RegistryError extends Error {
  override name = 'RegistryError';
}

export function buildRegistry(deps: RegistryDeps): Registry {
  const providers = new Map<string, ResourceProvider>();
  const cloudformation = new CloudFormationService(() => providers, deps.log);
  const iam = new IamResources(deps.roles);
  const sns = new SnsResources(deps.sns, { functions: deps.functions, queues: deps.queues, log: deps.log });
  const table = tableResource(
    deps.dynamodb,
    (name) => `arn:aws:dynamodb:${deps.region}:${deps.account}:table/${name}`,
  );
  // Services that answer on the edge port, and the sections of --data they keep.
  const services: LocalService[] = [
    cloudformation,
    { name: 'iam', resources: iam.resources, snapshot: () => iam.snapshot(), restore: (s) => iam.restore(s) },
    { name: 'sns-resources', resources: sns.resources },
    { name: 'dynamodb-resources', resources: [table] },
  ];
  for (const service of services) {
    for (const provider of service.resources ?? []) {
      if (providers.has(provider.type))
        throw new RegistryError(`${provider.type} is created by two services (${service.name} and another)`);
      providers.set(provider.type, provider);
    }
  }
  return { services, providers, cloudformation, iam };
}
