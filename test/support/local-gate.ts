/**
 * The local cloud with the gate running in this process, as `plgate local` runs it, and
 * the provider's and consumers' moves on it through the real SDK clients.
 */
import {
  CreateVpcEndpointCommand,
  DescribeVpcEndpointConnectionsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { createClients } from '../../functions/aws/clients.ts';
import { DynamoEndpointStates } from '../../functions/aws/endpoint-states.ts';
import { DynamoLedger } from '../../functions/aws/ledger.ts';
import { DynamoRulesStore } from '../../functions/aws/rules-store.ts';
import type { LedgerEntry, Notice } from '../../functions/gate/ports.ts';
import type { GateConfig } from '../../functions/shared/config.ts';
import type { LocalCloud, LocalCloudOptions } from '../../local/cloud.ts';
import type { CodeSource } from '../../local/cloudformation/assembly.ts';
import { noticeOf } from '../../local/decision-feed.ts';
import { deployGate, type LocalGate } from '../../local/gate.ts';
import { PROVIDER_CREDENTIALS } from '../../local/provider-credentials.ts';
import { createProviderService } from '../../local/provider-services.ts';
import { loadRules } from '../../local/start-gate.ts';
import { gateAssemblyDir } from './gate-assembly.ts';
import { ec2For, startTestCloud } from './local-cloud.ts';

/** The defaults item most gate tests start from: hold for review 7 days, notify on revoke, enforce. */
export const ENFORCING_DEFAULTS = {
  kind: 'defaults',
  id: 'defaults',
  defaultEffect: 'review',
  pendingTtl: 'P7D',
  onRevoke: 'notify',
  mode: 'enforce',
} as const;

/** The gate as the tests drive it: the deployed stack's handle, and what the cloud does for tests. */
export interface TestGate extends LocalGate {
  /** Moves the cloud's clock (and every function's) ahead: time passing without the wait. */
  advanceClock(ms: number): void;
}

export interface LocalGateWorld {
  cloud: LocalCloud & { logs: string[] };
  gate: TestGate;
  provider: EC2Client;
  rules: DynamoRulesStore;
  ledger: DynamoLedger;
  endpointStates: DynamoEndpointStates;
  stop(): Promise<void>;
}

/**
 * A local cloud with the gate deployed on it from the run's synthesized assembly (its
 * functions from source, each in its own worker), as `plgate local` runs it; or from
 * another assembly (a variant of the template, the bundled one) where `stackOptions` says.
 */
export async function startLocalGate(
  rulesDir?: string,
  cloudOptions: LocalCloudOptions = {},
  stackOptions: { assemblyDir?: string; code?: CodeSource } = {},
): Promise<LocalGateWorld> {
  const cloud = await startTestCloud(cloudOptions);
  const deployed = await deployGate(cloud, {
    assemblyDir: stackOptions.assemblyDir ?? gateAssemblyDir(),
    code: stackOptions.code ?? 'source',
    log: (line) => cloud.logs.push(line),
  });
  const gate: TestGate = { ...deployed, advanceClock: (ms) => cloud.clock.advance(ms) };
  if (rulesDir) await loadRules(cloud, gate.config, rulesDir);
  const clients = createClients({
    endpoint: cloud.endpoint,
    region: cloud.region,
    credentials: PROVIDER_CREDENTIALS,
  });
  const ledger = new DynamoLedger(clients.dynamodb, gate.config.ledgerTable, { retentionDays: 30 });
  return {
    cloud,
    gate,
    provider: ec2For(cloud),
    rules: new DynamoRulesStore(clients.dynamodb, gate.config.rulesTable),
    ledger,
    endpointStates: new DynamoEndpointStates(clients.dynamodb, gate.config.ledgerTable, { ledger }),
    stop: async () => {
      await cloud.idle();
      for (const client of Object.values(clients)) client.destroy();
      await cloud.stop();
    },
  };
}

export function createService(
  provider: EC2Client,
  options: { managed?: boolean; principals?: string[] } = {},
): Promise<string> {
  return createProviderService(provider, {
    ...(options.managed === undefined ? {} : { managed: options.managed }),
    principals: options.principals ?? ['*'],
  });
}

/** A consumer's interface endpoint to the service (with the consumer's tags, if any); its id. */
export async function createEndpoint(
  world: LocalGateWorld,
  account: string,
  serviceId: string,
  tags: Record<string, string> = {},
): Promise<string> {
  const consumer = ec2For(world.cloud, account);
  try {
    const created = await consumer.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: 'vpc-0123456789abcdef0',
        SubnetIds: ['subnet-0123456789abcdef0'],
        ServiceName: `com.amazonaws.vpce.${world.cloud.region}.${serviceId}`,
        ...(Object.keys(tags).length === 0
          ? {}
          : {
              TagSpecifications: [
                {
                  ResourceType: 'vpc-endpoint',
                  Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
                },
              ],
            }),
      }),
    );
    const id = created.VpcEndpoint?.VpcEndpointId;
    if (!id) throw new Error('no endpoint id');
    return id;
  } finally {
    consumer.destroy();
  }
}

export async function stateOf(world: LocalGateWorld, serviceId: string, endpointId: string): Promise<string> {
  const { VpcEndpointConnections = [] } = await world.provider.send(
    new DescribeVpcEndpointConnectionsCommand({ Filters: [{ Name: 'service-id', Values: [serviceId] }] }),
  );
  return VpcEndpointConnections.find((c) => c.VpcEndpointId === endpointId)?.VpcEndpointState ?? 'absent';
}

/** Outcomes the ledger holds for an endpoint, oldest first. */
export async function outcomesOf(world: LocalGateWorld, endpointId: string): Promise<LedgerEntry[]> {
  return (await world.ledger.history({ endpointId })).reverse();
}

/** Waits until every queued delivery (notifications, events, stream records) has been handled. */
export async function settle(world: LocalGateWorld): Promise<void> {
  await world.cloud.drain();
}

/** Notices the gate (or a fleet's hub) published on its decisions topic. */
export function notices(world: {
  cloud: Pick<LocalCloud, 'sns'>;
  gate: { config: Pick<GateConfig, 'decisionsTopicArn'> };
}): Notice[] {
  return world.cloud.sns
    .messages()
    .filter((m) => m.topicArn === world.gate.config.decisionsTopicArn)
    .flatMap((m) => {
      const notice = noticeOf(m);
      return notice ? [notice] : [];
    });
}
