/**
 * The gate on the local cloud, as `plgate local` runs it (the synthesized stack deployed,
 * each function in its own workers from source), with what a bench needs: managed
 * services, consumers, rules written straight into the table, the gate's calls read from
 * the edge port's counts (`/_plgate/calls`), and a watcher that sees when each connection
 * reaches its final state.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateVpcEndpointCommand, EC2Client } from '@aws-sdk/client-ec2';
import { createClients } from '../functions/aws/clients.ts';
import { DynamoRulesStore } from '../functions/aws/rules-store.ts';
import { DEFAULT_STACK_NAME } from '../functions/shared/config.ts';
import type { CallCount } from '../local/call-counts.ts';
import { type LocalCloud, startLocalCloud } from '../local/cloud.ts';
import { deployGate, type LocalGate } from '../local/gate.ts';
import { createProviderService } from '../local/provider-services.ts';

/**
 * How the decide queue feeds decide: as the stack wires it (`queue`: the template's batch
 * size and batching window), or one event per invocation (the baseline: the same template
 * with the mapping's batch size 1 and no window).
 */
export type Delivery = 'queue' | 'one-by-one';

/** Where a bench process finds the assembly its parent synthesized (synthesized once per run). */
export const ASSEMBLY_ENV = 'PLGATE_BENCH_ASSEMBLY';

const SYNTHESIZE = fileURLToPath(new URL('../local/cloudformation/synthesize-main.ts', import.meta.url));

/**
 * The gate's app synthesized without bundling (as `plgate local` does), in a child
 * process so that the CDK's heap and JIT do not colour the bench's figures; reused from
 * `PLGATE_BENCH_ASSEMBLY` when a parent already made it.
 */
export function benchAssembly(): string {
  const given = process.env[ASSEMBLY_ENV];
  if (given !== undefined && given !== '') return given;
  const outdir = execFileSync(process.execPath, ['--import', 'tsx', SYNTHESIZE], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  process.env[ASSEMBLY_ENV] = outdir;
  return outdir;
}

/** A copy of the assembly whose decide queue mapping hands decide one event per invocation. */
function oneByOneAssembly(assemblyDir: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'plgate-bench-one-by-one-'));
  cpSync(assemblyDir, copy, { recursive: true });
  const file = join(copy, `${DEFAULT_STACK_NAME}.template.json`);
  const template = JSON.parse(readFileSync(file, 'utf8')) as {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
  const sqsMappings = Object.values(template.Resources).filter(
    (r) =>
      r.Type === 'AWS::Lambda::EventSourceMapping' &&
      r.Properties?.MaximumBatchingWindowInSeconds !== undefined,
  );
  if (sqsMappings.length !== 1)
    throw new Error(
      `expected one batched event source mapping (the decide queue's), found ${sqsMappings.length}`,
    );
  for (const mapping of sqsMappings) {
    const properties = mapping.Properties ?? {};
    properties.BatchSize = 1;
    delete properties.MaximumBatchingWindowInSeconds;
  }
  writeFileSync(file, JSON.stringify(template));
  return copy;
}

export interface BenchWorldOptions {
  delivery?: Delivery;
  /** How long EC2 takes from accept to available. Default 20 ms. */
  acceptDelayMs?: number;
}

/** The access key the bench itself signs with as the provider: its calls are not the gate's. */
export const BENCH_KEY = 'bench';

export interface GateCalls {
  ec2: number;
  dynamodb: number;
  sns: number;
  eventbridge: number;
  /** Count per `service:Action`, for the report. */
  byAction: Record<string, number>;
}

export interface BenchWorld {
  cloud: LocalCloud;
  gate: LocalGate;
  provider: EC2Client;
  createService(): Promise<string>;
  writeRules(items: Record<string, unknown>[]): Promise<void>;
  /** Creates an endpoint as the consumer `account`; resolves with its id. */
  createEndpoint(account: string, serviceId: string): Promise<string>;
  /** The gate's calls since the last read (every caller but the bench and the consumers). */
  gateCalls(): Promise<GateCalls>;
  stop(): Promise<void>;
}

export async function startBenchWorld(options: BenchWorldOptions = {}): Promise<BenchWorld> {
  const assembly = benchAssembly();
  const cloud = await startLocalCloud({
    port: 0,
    acceptDelayMs: options.acceptDelayMs ?? 20,
    deleteDelayMs: 20,
    retryDelayMs: 50,
    // The sweep's schedule, once an hour: the benches run the sweep when they mean to.
    scheduleIntervalMs: 3_600_000,
    log: (line) => {
      if (process.env.PLGATE_BENCH_LOG) process.stderr.write(`${line}\n`);
    },
  });
  const gate = await deployGate(cloud, {
    assemblyDir: options.delivery === 'one-by-one' ? oneByOneAssembly(assembly) : assembly,
    code: 'source',
  });
  const credentials = { accessKeyId: BENCH_KEY, secretAccessKey: 'local' };
  const provider = new EC2Client({ endpoint: cloud.endpoint, region: cloud.region, credentials });
  const clients = createClients({ endpoint: cloud.endpoint, region: cloud.region, credentials });
  const rules = new DynamoRulesStore(clients.dynamodb, gate.config.rulesTable);
  const consumers = new Map<string, EC2Client>();
  const consumer = (account: string): EC2Client => {
    let client = consumers.get(account);
    if (!client) {
      client = new EC2Client({
        endpoint: cloud.endpoint,
        region: cloud.region,
        credentials: { accessKeyId: account, secretAccessKey: 'local' },
        maxAttempts: 1,
      });
      consumers.set(account, client);
    }
    return client;
  };

  return {
    cloud,
    gate,
    provider,
    createService: () => createProviderService(provider, { loadBalancer: 'bench-nlb', principals: ['*'] }),
    writeRules: async (items) => {
      await rules.putItems(items);
      await rules.bumpVersion();
    },
    createEndpoint: async (account, serviceId) => {
      const created = await consumer(account).send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Interface',
          VpcId: 'vpc-0123456789abcdef0',
          SubnetIds: ['subnet-0123456789abcdef0'],
          ServiceName: `com.amazonaws.vpce.${cloud.region}.${serviceId}`,
        }),
      );
      const id = created.VpcEndpoint?.VpcEndpointId;
      if (!id) throw new Error('the local cloud created an endpoint without an id');
      return id;
    },
    gateCalls: async () => {
      const response = await fetch(`${cloud.endpoint}/_plgate/calls?reset=true`);
      const { calls } = (await response.json()) as { calls: CallCount[] };
      const gate = calls.filter((c) => c.caller !== BENCH_KEY && !/^[0-9]{12}$/.test(c.caller));
      const total = (service: string) =>
        gate.filter((c) => c.service === service).reduce((sum, c) => sum + c.count, 0);
      const byAction: Record<string, number> = {};
      for (const c of gate)
        byAction[`${c.service}:${c.action}`] = (byAction[`${c.service}:${c.action}`] ?? 0) + c.count;
      return {
        ec2: total('ec2'),
        dynamodb: total('dynamodb'),
        sns: total('sns'),
        eventbridge: total('events'),
        byAction,
      };
    },
    stop: async () => {
      await cloud.idle();
      provider.destroy();
      for (const client of consumers.values()) client.destroy();
      for (const client of Object.values(clients)) client.destroy();
      await cloud.stop();
    },
  };
}

/**
 * Notes when each endpoint leaves the waiting states (pendingAcceptance, pending), from the
 * local cloud's own record of every change of state (`cloud.ec2.onConnectionState`): exact
 * to the moment EC2 changes it, and free, so watching does not slow down what it watches.
 * `expect(id)` registers an endpoint once its request is answered (a change seen before
 * then counts from that change); `states()` gives every watched endpoint's current state.
 */
export function watchFinalStates(
  world: BenchWorld,
  serviceIds: readonly string[],
): {
  expect(endpointId: string): void;
  finalAt: Map<string, number>;
  states(): Promise<Map<string, string>>;
  stop(): Promise<void>;
} {
  const services = new Set(serviceIds);
  const finalAt = new Map<string, number>();
  const leftWaitingAt = new Map<string, number>();
  const expected = new Set<string>();
  const current = new Map<string, string>();
  const unsubscribe = world.cloud.ec2.onConnectionState((change) => {
    if (!services.has(change.serviceId)) return;
    current.set(change.endpointId, change.to);
    if (WAITING.has(change.to) || leftWaitingAt.has(change.endpointId)) return;
    const at = performance.now();
    leftWaitingAt.set(change.endpointId, at);
    if (expected.has(change.endpointId)) finalAt.set(change.endpointId, at);
  });
  return {
    expect: (id) => {
      expected.add(id);
      const at = leftWaitingAt.get(id);
      if (at !== undefined) finalAt.set(id, at);
    },
    finalAt,
    states: async () => new Map(current),
    stop: async () => {
      unsubscribe();
    },
  };
}

const WAITING = new Set(['pendingAcceptance', 'pending']);
