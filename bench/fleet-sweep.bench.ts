/**
 * What a warm sweep costs a fleet against the same 30 services in one account, counted at
 * the local cloud's edge port (every caller that is a role session is the gate):
 * - baseline: the stack of one, the 30 services in its own account and region;
 * - one account in 6 regions: a hub whose members are its own account's 6 regions, 5 each;
 * - the fleet: 6 member regions (3 accounts x 2 regions), 5 services each.
 * Each world's second sweep is counted (the first enrolls); no connection waits. Counts, not
 * times: they do not depend on the machine's load. Run: npm run bench -- fleet-sweep
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EC2Client } from '@aws-sdk/client-ec2';
import type { CallCount } from '../local/call-counts.ts';
import { type LocalCloud, startLocalCloud } from '../local/cloud.ts';
import { deployGate, type LocalGate } from '../local/gate.ts';
import { createProviderService } from '../local/provider-services.ts';
import { recordResults } from './harness.ts';
import { startBenchWorld } from './local-world.ts';

const HUB_ACCOUNT = '000000000000';
const HUB_REGION = 'us-east-1';
interface Place {
  account: string;
  region: string;
}
/** 3 accounts x 2 regions. */
const MEMBERS: Place[] = ['111111111111', '222222222222', '444444444444'].flatMap((account) =>
  ['us-east-1', 'eu-west-1'].map((region) => ({ account, region })),
);
/** The same number of member regions, all in the hub's own account. */
const ONE_ACCOUNT_REGIONS: Place[] = [
  'us-east-1',
  'eu-west-1',
  'us-west-2',
  'eu-central-1',
  'ap-southeast-2',
  'ca-central-1',
].map((region) => ({ account: HUB_ACCOUNT, region }));
const SERVICES_PER_MEMBER = 5;
const SERVICES = MEMBERS.length * SERVICES_PER_MEMBER;
const SYNTHESIZE = fileURLToPath(new URL('../local/cloudformation/synthesize-main.ts', import.meta.url));

type Counts = Record<string, number>;

/** The gate's calls since the last read, per `service:Action`: every caller that is a role session. */
async function gateCalls(cloud: LocalCloud, isGate: (caller: string) => boolean): Promise<Counts> {
  const response = await fetch(`${cloud.endpoint}/_plgate/calls?reset=true`);
  const { calls } = (await response.json()) as { calls: CallCount[] };
  const counts: Counts = {};
  for (const call of calls.filter((c) => isGate(c.caller))) {
    const key = `${call.service}:${call.action}`;
    counts[key] = (counts[key] ?? 0) + call.count;
  }
  return counts;
}

/** The second of two sweeps, counted. */
async function warmSweep(cloud: LocalCloud, gate: LocalGate, isGate: (caller: string) => boolean) {
  await gate.sweepNow();
  await cloud.settle();
  await gateCalls(cloud, isGate);
  await gate.sweepNow();
  await cloud.settle();
  return gateCalls(cloud, isGate);
}

async function fleetSweep(members: readonly Place[]): Promise<Counts> {
  const spec = members.map((m) => `${m.account}:${m.region}`).join(',');
  const assemblyDir = execFileSync(
    process.execPath,
    ['--import', 'tsx', SYNTHESIZE, HUB_ACCOUNT, HUB_REGION, spec],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  ).trim();
  const cloud = await startLocalCloud({
    port: 0,
    account: HUB_ACCOUNT,
    region: HUB_REGION,
    scheduleIntervalMs: 3_600_000,
    environmentsPerFunction: 1,
    log: (line) => {
      if (process.env.PLGATE_BENCH_LOG) process.stderr.write(`${line}\n`);
    },
  });
  try {
    const gate = await deployGate(cloud, { assemblyDir, code: 'source' });
    for (const { account, region } of members) {
      // A 12-digit key signs as that account's own provider: not the gate.
      const ec2 = new EC2Client({
        endpoint: cloud.endpoint,
        region,
        credentials: { accessKeyId: account, secretAccessKey: 'local' },
      });
      for (let i = 0; i < SERVICES_PER_MEMBER; i += 1)
        await createProviderService(ec2, { owner: { account, region }, principals: ['*'] });
      ec2.destroy();
    }
    await cloud.drain();
    await cloud.settle();
    return await warmSweep(cloud, gate, (caller) => caller.startsWith('ASIA'));
  } finally {
    await cloud.idle();
    await cloud.stop();
  }
}

async function oneAccountSweep(): Promise<Counts> {
  const world = await startBenchWorld();
  try {
    for (let i = 0; i < SERVICES; i += 1) await world.createService();
    await world.cloud.settle();
    return await warmSweep(
      world.cloud,
      world.gate,
      (caller) => caller !== 'bench' && !/^\d{12}$/.test(caller),
    );
  } finally {
    await world.stop();
  }
}

const total = (counts: Counts, service: string): number =>
  Object.entries(counts)
    .filter(([key]) => key.startsWith(`${service}:`))
    .reduce((sum, [, n]) => sum + n, 0);

const fleet = await fleetSweep(MEMBERS);
const oneAccountRegions = await fleetSweep(ONE_ACCOUNT_REGIONS);
const oneAccount = await oneAccountSweep();
const worlds: [string, Counts][] = [
  ['one account, one region', oneAccount],
  ['one account, 6 regions', oneAccountRegions],
  ['fleet 3 accounts x 2 regions', fleet],
];
const actions = [...new Set(worlds.flatMap(([, counts]) => Object.keys(counts)))].sort();
const row = (name: string, cells: (string | number)[]) =>
  `  ${name.padEnd(50)} ${cells.map((cell) => String(cell).padStart(30)).join('')}`;
console.log(`a warm sweep of ${SERVICES} services, no connection waiting (calls counted at the edge)`);
console.log(
  row(
    'call',
    worlds.map(([name]) => name),
  ),
);
for (const action of actions)
  console.log(
    row(
      action,
      worlds.map(([, counts]) => counts[action] ?? 0),
    ),
  );
for (const service of ['ec2', 'dynamodb'])
  console.log(
    row(
      `${service} in all`,
      worlds.map(([, counts]) => total(counts, service)),
    ),
  );
console.log(
  `  EC2, fleet / one account in the same number of regions: ${(total(fleet, 'ec2') / total(oneAccountRegions, 'ec2')).toFixed(2)}x; fleet / one account in one region: ${(total(fleet, 'ec2') / total(oneAccount, 'ec2')).toFixed(2)}x`,
);

recordResults({
  fleetSweep: {
    services: SERVICES,
    memberRegions: MEMBERS.length,
    oneAccount: {
      ec2: total(oneAccount, 'ec2'),
      dynamodb: total(oneAccount, 'dynamodb'),
      byAction: oneAccount,
    },
    fleet: { ec2: total(fleet, 'ec2'), dynamodb: total(fleet, 'dynamodb'), byAction: fleet },
  },
});
