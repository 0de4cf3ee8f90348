import { PROVIDER_CREDENTIALS } from './provider-credentials.ts';
/**
 * `plgate local --demo`: a provider, a managed service and a cast of consumers that walk
 * every path of the gate — accepted, rejected, held then expired, approved by hand,
 * revoked by a rule edited in the table, and a dry-run service — each decision shown as
 * it happens, the way Slack would show its notice.
 */

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CreateVpcEndpointCommand,
  DescribeVpcEndpointConnectionNotificationsCommand,
  EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import { createClients } from '../functions/aws/clients.ts';
import { Ec2EndpointServices } from '../functions/aws/endpoint-services.ts';
import { DynamoRulesStore } from '../functions/aws/rules-store.ts';
import { decidedBy } from '../functions/gate/ledger-entry.ts';
import type { LedgerEntry, Outcome } from '../functions/gate/ports.ts';
import { DEFAULT_SPOKE_ROLE_NAME, spokeTopicArn } from '../functions/shared/fleet.ts';
import { colors } from '../terminal/colors.ts';
import type { LocalCloud } from './cloud.ts';
import { noticeOf } from './decision-feed.ts';
import type { LocalGate } from './gate.ts';
import { createProviderService } from './provider-services.ts';
import type { LocalRunOptions } from './run.ts';

const execFileAsync = promisify(execFile);

export const DEMO_CAST = {
  partner: '111111111111',
  secondPartner: '222222222222',
  stranger: '333333333333',
  newcomer: '888888888888',
  blocked: '666666666666',
  /** Left waiting at the end of a demo that keeps running: for the person to approve or deny. */
  lastInLine: '343434343434',
} as const;

/** How long the demo's unknown consumer may wait in review before it expires. */
export const DEMO_REVIEW_TTL = 'PT6S';
const STEP_TIMEOUT_MS = 30_000;

export class DemoError extends Error {
  override name = 'DemoError';
}

type Print = (line: string) => void;

/** Outcomes seen on the decisions topic, by endpoint id. */
class DecisionWatch {
  readonly outcomes = new Map<string, Outcome[]>();
  readonly entries: LedgerEntry[] = [];
  private waiters: (() => void)[] = [];

  record(entry: LedgerEntry): void {
    this.entries.push(entry);
    this.outcomes.set(entry.endpointId, [...(this.outcomes.get(entry.endpointId) ?? []), entry.outcome]);
    for (const wake of this.waiters.splice(0)) wake();
  }

  async until(what: string, endpointId: string, outcome: Outcome): Promise<void> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (!this.outcomes.get(endpointId)?.includes(outcome)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new DemoError(
          `${what}: no '${outcome}' decision for ${endpointId} within ${STEP_TIMEOUT_MS} ms`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

export async function runDemo(
  cloud: LocalCloud,
  gate: Pick<LocalGate, 'config' | 'sweepNow'> & Partial<Pick<LocalGate, 'stack' | 'functionNames'>>,
  options: LocalRunOptions,
): Promise<void> {
  const print: Print = options.print;
  const watch = new DecisionWatch();
  // plgate local shows every notice as it is published (decision-feed.ts); the demo waits on them.
  const stopWatching = cloud.sns.onPublish((message) => {
    if (message.topicArn !== gate.config.decisionsTopicArn) return;
    const notice = noticeOf(message);
    if (notice?.kind === 'decision') watch.record(notice.entry);
  });
  const clients = createClients({
    endpoint: cloud.endpoint,
    region: cloud.region,
    credentials: PROVIDER_CREDENTIALS,
  });
  const store = new DynamoRulesStore(clients.dynamodb, gate.config.rulesTable);
  const consumers: EC2Client[] = [];
  // With --fleet the provider is the first member (its account's root, in its region), and the
  // hub decides there through the member's spoke; else the provider is the hub's own account.
  const member = options.fleet?.[0];
  const place = member ?? { account: cloud.account, region: cloud.region };
  const providerEc2 = member === undefined ? clients.ec2 : ec2As(cloud, member.account, member.region);
  if (member !== undefined) consumers.push(providerEc2);
  const notifiedTopic =
    member === undefined
      ? gate.config.ingestTopicArn
      : spokeTopicArn('aws', member.account, member.region, DEFAULT_SPOKE_ROLE_NAME);
  const consumer = (account: string): EC2Client => {
    const client = ec2As(cloud, account, place.region);
    consumers.push(client);
    return client;
  };
  const step = (title: string) => {
    const c = colors();
    print(`\n${c.bold(c.blue('▶'))} ${c.bold(title)}`);
  };

  try {
    step(
      member === undefined
        ? 'The provider creates two endpoint services tagged privatelink-gate:managed=true, open to any account'
        : `A fleet member (account ${member.account}, ${member.region}) creates two endpoint services tagged privatelink-gate:managed=true, open to any account; the hub (${cloud.account}, ${cloud.region}) decides for it`,
    );
    const service = await createProviderService(providerEc2, {
      owner: place,
      loadBalancer: 'payments',
      name: 'payments',
    });
    const dryRunService = await createProviderService(providerEc2, {
      owner: place,
      loadBalancer: 'reports',
      name: 'reports',
    });
    print(`  ${service} (enforce)   ${dryRunService} (dry-run)`);
    // Anyone may ask; the gate decides who gets in.
    for (const id of [service, dryRunService]) {
      await providerEc2.send(
        new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: id, AddAllowedPrincipals: ['*'] }),
      );
    }

    step('Service settings written to the rules table: revoke by rejecting; the second service in dry-run');
    await writeRules(store, [
      { kind: 'service', id: service, onRevoke: 'reject' },
      { kind: 'service', id: dryRunService, mode: 'dry-run' },
    ]);

    step(
      member === undefined
        ? 'The gate enrolls both services: a connection notification to its ingest topic'
        : "The hub enrolls both services through the member's spoke role: a connection notification to the spoke's topic",
    );
    await gate.sweepNow();
    await enrolled(providerEc2, [service, dryRunService], notifiedTopic);

    step('Consumers ask to connect');
    const endpoint = async (account: string, serviceId: string, label: string): Promise<string> => {
      const id = await createEndpoint(consumer(account), place.region, serviceId);
      print(`  ${label.padEnd(34)} account ${account}  ${id}`);
      return id;
    };
    const partner = await endpoint(DEMO_CAST.partner, service, 'a partner on the allow-list');
    const blocked = await endpoint(DEMO_CAST.blocked, service, 'an account on the block-list');
    const stranger = await endpoint(DEMO_CAST.stranger, service, 'an account no rule knows');
    const newcomer = await endpoint(DEMO_CAST.newcomer, service, 'a new customer (to approve by hand)');
    const leaving = await endpoint(DEMO_CAST.secondPartner, service, 'a partner whose contract ends');
    const trial = await endpoint(DEMO_CAST.partner, dryRunService, 'a partner on the dry-run service');

    await watch.until('partner', partner, 'accepted');
    await watch.until('block-list', blocked, 'rejected');
    await watch.until('unknown account', stranger, 'held');
    await watch.until('new customer', newcomer, 'held');
    await watch.until('second partner', leaving, 'accepted');
    await watch.until('dry-run service', trial, 'accepted');

    if (member === undefined) {
      step(`An operator approves the new customer: plgate approve ${newcomer} --reason "signed contract"`);
      for (const line of await plgate(cloud, ['approve', newcomer, '--reason', 'signed contract']))
        print(`  ${line}`);
    } else {
      // The Slack button's path: the operator function finds the member the endpoint is in.
      step(`An operator approves the new customer with the chat button (the operator function): ${newcomer}`);
      print(`  ${await approveWithOperator(cloud, gate, newcomer, 'signed contract')}`);
    }
    await watch.until('manual approval', newcomer, 'accepted');

    step(`A rule edited in the table ends the second partner's access (account ${DEMO_CAST.secondPartner})`);
    await writeRules(store, [
      {
        kind: 'rule',
        id: 'offboard-222222222222',
        effect: 'reject',
        description: 'contract ended',
        match: { accounts: [DEMO_CAST.secondPartner] },
      },
    ]);
    await watch.until('revocation', leaving, 'revoked');

    // Written only now: a short TTL from the start could expire the new customer's request
    // before a slow machine has run the operator's approval.
    step(
      `A review TTL of ${DEMO_REVIEW_TTL} for the service: the unknown account has waited longer and expires`,
    );
    await writeRules(store, [
      { kind: 'service', id: service, pendingTtl: DEMO_REVIEW_TTL, onRevoke: 'reject' },
    ]);
    // Expiry is the sweep's job; run it the way the schedule would until the TTL has passed.
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (!watch.outcomes.get(stranger)?.includes('expired')) {
      if (Date.now() > deadline)
        throw new DemoError(`expiry: ${stranger} did not expire within ${STEP_TIMEOUT_MS} ms`);
      await sleep(1000);
      await gate.sweepNow();
    }

    // The short TTL was for the demo; whoever tries things next (the README's walk) gets the defaults' wait.
    await writeRules(store, [{ kind: 'service', id: service, onRevoke: 'reject' }]);
    print(`  ${service} waits the defaults' review TTL again`);

    const [untouched] = await new Ec2EndpointServices(providerEc2).describeConnections(dryRunService, {
      endpointIds: [trial],
    });
    if (untouched?.state !== 'pendingAcceptance') {
      throw new DemoError(
        `dry-run: ${trial} is ${untouched?.state}, but a dry-run service must not be acted on`,
      );
    }
    print(`\n  dry-run service: ${trial} is still pendingAcceptance — recorded and notified, nothing done`);

    step('Every path walked. What the ledger holds:');
    for (const line of ledgerSummary(watch.entries)) print(line);
    if (!options.once) {
      step('One more consumer asks, and waits for you');
      const waiting = await endpoint(DEMO_CAST.lastInLine, service, 'an account no rule knows');
      await watch.until('last in line', waiting, 'held');
      print(`  approve or deny it in the console (below), or: npx plgate approve ${waiting} --reason "…"`);
    }
    if (options.once) {
      // The cloud stops with the demo: commands against it now would find nothing listening.
      print(
        `\nThe local cloud stops now (--once). To try it yourself, run \`npm start\` (without --once) and, in another terminal: npx plgate history ${stranger}`,
      );
    } else {
      print(
        `\nTry it yourself: AWS_ENDPOINT_URL=${cloud.endpoint} AWS_REGION=${cloud.region} npx plgate history ${stranger}   ·   ${member === undefined ? '' : `AWS_ACCESS_KEY_ID=${member.account} `}aws --endpoint-url ${cloud.endpoint} --region ${place.region} ec2 describe-vpc-endpoint-connections`,
      );
    }
  } finally {
    stopWatching();
    for (const client of [...consumers, ...Object.values(clients)]) client.destroy();
  }
}

/** What a chat button does: the operator function, invoked as Chatbot's custom action would. */
async function approveWithOperator(
  cloud: LocalCloud,
  gate: Partial<Pick<LocalGate, 'stack' | 'functionNames'>>,
  endpointId: string,
  reason: string,
): Promise<string> {
  if (gate.stack === undefined || gate.functionNames === undefined)
    throw new DemoError('the demo needs the deployed stack to approve through the operator function');
  const result = await cloud.registry.lambda.invoke(
    `arn:aws:lambda:${gate.stack.region}:${gate.stack.account}:function:${gate.functionNames.operator}`,
    { action: 'approve', endpointId, reason },
    { kind: 'internal' },
  );
  if (!result.ok) throw new DemoError(`approve ${endpointId}: ${result.errorType}: ${result.errorMessage}`);
  return String(result.payload);
}

/** Runs the real `plgate` binary against this cloud, as an operator in another terminal would. */
async function plgate(cloud: LocalCloud, args: string[]): Promise<string[]> {
  const bin = fileURLToPath(new URL('../bin/plgate.mjs', import.meta.url));
  const { stdout } = await execFileAsync(process.execPath, [bin, ...args], {
    env: { ...process.env, AWS_ENDPOINT_URL: cloud.endpoint, AWS_REGION: cloud.region, NO_COLOR: '1' },
    timeout: STEP_TIMEOUT_MS,
  });
  return stdout.trimEnd().split('\n');
}

/**
 * Writes rule items and moves the rules version, as `plgate policy push` does, so the very
 * next decision sees them (the table's stream would move it too, a moment later).
 */
async function writeRules(store: DynamoRulesStore, items: Record<string, unknown>[]): Promise<void> {
  await store.putItems(items);
  await store.bumpVersion();
}

const ec2As = (cloud: LocalCloud, accessKeyId: string, region: string): EC2Client =>
  new EC2Client({ endpoint: cloud.endpoint, region, credentials: { accessKeyId, secretAccessKey: 'demo' } });

/** Waits until every service has its connection notification (CloudTrail or the sweep enrolls it). */
async function enrolled(ec2: EC2Client, serviceIds: string[], topicArn: string): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const { ConnectionNotificationSet = [] } = await ec2.send(
      new DescribeVpcEndpointConnectionNotificationsCommand({}),
    );
    const ready = new Set(
      ConnectionNotificationSet.filter((n) => n.ConnectionNotificationArn === topicArn).map(
        (n) => n.ServiceId,
      ),
    );
    if (serviceIds.every((id) => ready.has(id))) return;
    if (Date.now() > deadline)
      throw new DemoError(`enrollment: ${serviceIds.join(', ')} not enrolled in time`);
    await sleep(100);
  }
}

async function createEndpoint(ec2: EC2Client, region: string, serviceId: string): Promise<string> {
  const created = await ec2.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: 'vpc-0123456789abcdef0',
      SubnetIds: ['subnet-0123456789abcdef0'],
      ServiceName: `com.amazonaws.vpce.${region}.${serviceId}`,
    }),
  );
  const id = created.VpcEndpoint?.VpcEndpointId;
  if (!id) throw new DemoError('CreateVpcEndpoint returned no endpoint id');
  return id;
}

/** The ledger's entries in time order (notices can be published out of it). */
export function ledgerSummary(entries: readonly LedgerEntry[]): string[] {
  // In a fleet, where each service lives (the member's account and region).
  const fleet = entries.some((e) => e.serviceAccount !== undefined);
  const rows = [...entries]
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    .map((e) => [
      e.at.slice(11, 19),
      e.endpointId,
      e.account,
      ...(fleet ? [`${e.serviceAccount ?? '-'}/${e.serviceRegion ?? '-'}`] : []),
      e.dryRun ? `would be ${e.outcome}` : e.outcome,
      decidedBy(e),
      e.trigger,
    ]);
  const header = [
    'time',
    'endpoint',
    'account',
    ...(fleet ? ['service in'] : []),
    'outcome',
    'decided by',
    'trigger',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}`;
  return [colors().bold(line(header)), ...rows.map(line)];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
