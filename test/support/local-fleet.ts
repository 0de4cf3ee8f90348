/**
 * A fleet on the local cloud, as `plgate local --fleet` runs it: the hub in the provider
 * account and region, a spoke stack in each member account and region, all from one
 * synthesized assembly (cached once per test run), and the members' providers and consumers
 * as SDK clients in their own accounts and regions.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  CreateVpcEndpointCommand,
  DescribeVpcEndpointConnectionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { inject } from 'vitest';
import { createClients } from '../../functions/aws/clients.ts';
import { DynamoLedger } from '../../functions/aws/ledger.ts';
import { DynamoRulesStore } from '../../functions/aws/rules-store.ts';
import type { LedgerEntry } from '../../functions/gate/ports.ts';
import type { CallCount } from '../../local/call-counts.ts';
import type { LocalCloud, LocalCloudOptions } from '../../local/cloud.ts';
import { readAssembly } from '../../local/cloudformation/assembly.ts';
import type { FleetMemberRegion } from '../../local/fleet/members.ts';
import { deployGate, type LocalGate } from '../../local/gate.ts';
import { PROVIDER_CREDENTIALS } from '../../local/provider-credentials.ts';
import { createProviderService } from '../../local/provider-services.ts';
import { startTestCloud } from './local-cloud.ts';
import { cachedOnce } from './synth-cache.ts';

const SYNTHESIZE = fileURLToPath(new URL('../../local/cloudformation/synthesize-main.ts', import.meta.url));

export const HUB_ACCOUNT = '000000000000';
export const HUB_REGION = 'us-east-1';

/**
 * The fleet the tests deploy: 3 accounts in 2 regions each, and a fourth account in one region.
 * Every fleet test file deploys this one assembly (synthesized once per run) and casts its
 * members as it needs them.
 */
export const TEST_FLEET: readonly FleetMemberRegion[] = [
  ...['111111111111', '222222222222', '444444444444'].flatMap((account) =>
    ['us-east-1', 'eu-west-1'].map((region) => ({ account, region })),
  ),
  { account: '555555555555', region: 'eu-west-1' },
];

/** `111111111111:us-east-1,…`, as `--fleet` takes it. */
export const fleetSpec = (members: readonly FleetMemberRegion[]): string =>
  members.map((m) => `${m.account}:${m.region}`).join(',');

/** The hub and spokes synthesized without bundling, once per run for each fleet. */
export function fleetAssemblyDir(members: readonly FleetMemberRegion[]): string {
  const spec = fleetSpec(members);
  return cachedOnce(inject('synthCacheDir'), `fleet-assembly-${spec.replace(/[^0-9a-z-]/g, '_')}`, () =>
    execFileSync(process.execPath, ['--import', 'tsx', SYNTHESIZE, HUB_ACCOUNT, HUB_REGION, spec], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim(),
  );
}

export interface FleetWorld {
  cloud: LocalCloud & { logs: string[] };
  gate: LocalGate;
  assemblyDir: string;
  rules: DynamoRulesStore;
  ledger: DynamoLedger;
  /** The member's own provider (its account's root) in one of its regions. */
  memberEc2(place: FleetMemberRegion): EC2Client;
  stop(): Promise<void>;
}

export async function startLocalFleet(
  members: readonly FleetMemberRegion[],
  cloudOptions: LocalCloudOptions = {},
): Promise<FleetWorld> {
  const assemblyDir = fleetAssemblyDir(members);
  const cloud = await startTestCloud({ account: HUB_ACCOUNT, region: HUB_REGION, ...cloudOptions });
  const gate = await deployGate(cloud, { assemblyDir, code: 'source', log: (line) => cloud.logs.push(line) });
  const clients = createClients({
    endpoint: cloud.endpoint,
    region: HUB_REGION,
    credentials: PROVIDER_CREDENTIALS,
  });
  const ec2Clients = new Map<string, EC2Client>();
  return {
    cloud,
    gate,
    assemblyDir,
    rules: new DynamoRulesStore(clients.dynamodb, gate.config.rulesTable),
    ledger: new DynamoLedger(clients.dynamodb, gate.config.ledgerTable, { retentionDays: 30 }),
    memberEc2: (place) => {
      const key = `${place.account}:${place.region}`;
      let client = ec2Clients.get(key);
      if (client === undefined) {
        client = ec2In(cloud, place.account, place.region);
        ec2Clients.set(key, client);
      }
      return client;
    },
    stop: async () => {
      await cloud.idle();
      for (const client of [...Object.values(clients), ...ec2Clients.values()]) client.destroy();
      await cloud.stop();
    },
  };
}

/** An EC2 client signing as `accessKeyId` (a 12-digit key is that account's root) in `region`. */
export const ec2In = (cloud: LocalCloud, accessKeyId: string, region: string): EC2Client =>
  new EC2Client({
    endpoint: cloud.endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });

/** A managed endpoint service in the member's account and region, open to every account; its id. */
export function createMemberService(world: FleetWorld, place: FleetMemberRegion): Promise<string> {
  return createProviderService(world.memberEc2(place), {
    owner: place,
    loadBalancer: 'member-nlb',
    principals: ['*'],
  });
}

/** A consumer's interface endpoint to a member's service, in the service's region; its id. */
export async function createMemberEndpoint(
  world: FleetWorld,
  consumer: string,
  place: FleetMemberRegion,
  serviceId: string,
): Promise<string> {
  const ec2 = ec2In(world.cloud, consumer, place.region);
  try {
    const created = await ec2.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: 'vpc-0123456789abcdef0',
        SubnetIds: ['subnet-0123456789abcdef0'],
        ServiceName: `com.amazonaws.vpce.${place.region}.${serviceId}`,
      }),
    );
    const id = created.VpcEndpoint?.VpcEndpointId;
    if (id === undefined) throw new Error('no endpoint id');
    return id;
  } finally {
    ec2.destroy();
  }
}

/** The connection's state as the member's own EC2 shows it. */
export async function memberStateOf(
  world: FleetWorld,
  place: FleetMemberRegion,
  serviceId: string,
  endpointId: string,
): Promise<string> {
  const { VpcEndpointConnections = [] } = await world
    .memberEc2(place)
    .send(
      new DescribeVpcEndpointConnectionsCommand({ Filters: [{ Name: 'service-id', Values: [serviceId] }] }),
    );
  return VpcEndpointConnections.find((c) => c.VpcEndpointId === endpointId)?.VpcEndpointState ?? 'absent';
}

/** The ledger's entries for an endpoint, oldest first. */
export async function fleetOutcomesOf(world: FleetWorld, endpointId: string): Promise<LedgerEntry[]> {
  return (await world.ledger.history({ endpointId })).reverse();
}

/** The calls counted at the edge since the last read (which starts the count over). */
export async function edgeCalls(world: FleetWorld): Promise<CallCount[]> {
  const response = await fetch(`${world.cloud.endpoint}/_plgate/calls?reset=true`);
  return ((await response.json()) as { calls: CallCount[] }).calls;
}

/** The spoke stack of a member region, as the assembly names it. */
export function spokeStackName(world: FleetWorld, place: FleetMemberRegion): string {
  const name = `${world.gate.stack.name}-spoke-${place.account}-${place.region}`;
  if (!readAssembly(world.assemblyDir).stacks.some((stack) => stack.stackName === name))
    throw new Error(`the assembly has no spoke stack ${name}`);
  return name;
}

/** Deploys a member region's spoke stack again from the assembly (after a DeleteStack). */
export async function redeploySpoke(world: FleetWorld, place: FleetMemberRegion): Promise<void> {
  const name = spokeStackName(world, place);
  const stack = readAssembly(world.assemblyDir).stacks.find((s) => s.stackName === name);
  if (stack === undefined) throw new Error(`no stack ${name}`);
  await world.cloud.registry.cloudformation.deployer.deploy({
    stackName: name,
    account: place.account,
    region: place.region,
    template: stack.template,
  });
}
