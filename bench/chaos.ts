/**
 * The chaos run: many consumers ask to connect while every fault is on (EC2 throttling,
 * errors, slow answers and resets, lost/duplicated/late/reordered notifications,
 * DynamoDB/SNS/EventBridge errors, crashing invocations); then the faults stop, the sweep
 * runs twice, and the invariants are checked. Every change of state is watched as EC2 makes
 * it (the local cloud's own record, which the faults never touch).
 *
 * Run: npm run chaos -- --requests 200 --seed 1 [--rate 0.1] [--out bench/chaos.json]
 * Exits 1 unless every count but requests, seed and faultsInjected is 0.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateVpcEndpointCommand,
  EC2Client,
  paginateDescribeVpcEndpointConnections,
} from '@aws-sdk/client-ec2';
import pLimit from 'p-limit';
import { DynamoLedger } from '../functions/aws/ledger.ts';
import { DynamoRulesStore } from '../functions/aws/rules-store.ts';
import type { LedgerEntry } from '../functions/gate/ports.ts';
import { type LocalCloud, startLocalCloud } from '../local/cloud.ts';
import { noticeOf } from '../local/decision-feed.ts';
import { parseFaultSpec, seededRandom } from '../local/faults.ts';
import { deployGate } from '../local/gate.ts';
import { PROVIDER_CREDENTIALS } from '../local/provider-credentials.ts';
import { createProviderService } from '../local/provider-services.ts';
import { benchAssembly } from './local-world.ts';

export interface ChaosOptions {
  requests: number;
  seed: number;
  /** The rate of every fault while they are on. Default 0.1. */
  rate?: number;
  /** Consumers asking at the same time. Default 8. */
  concurrency?: number;
  /** The gate's synthesized assembly (run from source); default: synthesized now. */
  assemblyDir?: string;
  log?: (line: string) => void;
}

export interface ChaosReport extends ChaosInvariants {
  requests: number;
  seed: number;
  faultsInjected: number;
}

/** What must be 0 after every run. */
export interface ChaosInvariants {
  /** A connection seen pending or available whose account no accept rule names. */
  wrongAccepts: number;
  /** A connection seen rejected whose account no reject rule names. */
  wrongRejects: number;
  /** A request with no ledger entry at all after the two sweeps. */
  lost: number;
  /** A request not in the state its rules give, or without the ledger entry of that outcome. */
  undecided: number;
  /** A connection both accepted and rejected by the gate. */
  duplicateActions: number;
  /** A state change the gate made without exactly one ledger entry of its outcome. */
  ledgerGaps: number;
  /** Notices beyond the first per (endpoint, outcome). */
  duplicateNotices: number;
}

/** Every invariant at 0: where the counting starts, and what a run must end with. */
export const NO_VIOLATIONS: Readonly<ChaosInvariants> = Object.freeze({
  wrongAccepts: 0,
  wrongRejects: 0,
  lost: 0,
  undecided: 0,
  duplicateActions: 0,
  ledgerGaps: 0,
  duplicateNotices: 0,
});

const ACCEPTED_ACCOUNTS = Array.from({ length: 10 }, (_, i) => String(111_111_111_100 + i));
const REJECTED_ACCOUNTS = Array.from({ length: 10 }, (_, i) => String(666_666_666_600 + i));
const UNKNOWN_ACCOUNTS = Array.from({ length: 10 }, (_, i) => String(333_333_333_300 + i));
const SERVICES = 3;
const ADMIN = { accessKeyId: 'chaos-admin', secretAccessKey: 'local' };

type Expected = 'accepted' | 'rejected' | 'held';

interface Request {
  serviceId: string;
  endpointId: string;
  account: string;
  expected: Expected;
}

const expectation = (account: string): Expected =>
  ACCEPTED_ACCOUNTS.includes(account)
    ? 'accepted'
    : REJECTED_ACCOUNTS.includes(account)
      ? 'rejected'
      : 'held';

/** The stack's default sweep rate (infra/config.ts `sweepRate`, 5 minutes). */
const SWEEP_RATE_MS = 5 * 60_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const rate = options.rate ?? 0.1;
  const begun = Date.now();
  const log = (line: string) => options.log?.(`${((Date.now() - begun) / 1000).toFixed(1)}s ${line}`);
  const random = seededRandom(options.seed);
  const cloudLog: string[] = [];
  const cloud = await startLocalCloud({
    port: 0,
    acceptDelayMs: 20,
    deleteDelayMs: 20,
    retryDelayMs: 20,
    log: (line) => cloudLog.push(line),
    // The schedule once an hour: the run sweeps when it means to.
    scheduleIntervalMs: 3_600_000,
    faults: { rates: parseFaultSpec(`all=${rate}`), seed: options.seed },
  });
  // Stopped at once, started again for the requests: the gate's set-up is not the subject.
  cloud.faults?.stop();
  const faults = cloud.faults;
  if (faults === undefined) throw new Error('the local cloud started without faults');
  const clientConfig = (accessKeyId: string) => ({
    endpoint: cloud.endpoint,
    region: cloud.region,
    credentials: { accessKeyId, secretAccessKey: 'local' },
  });
  const admin = new EC2Client(clientConfig(ADMIN.accessKeyId));
  const dynamodb = new DynamoDBClient(clientConfig(PROVIDER_CREDENTIALS.accessKeyId));
  let stopWatching = (): void => {};
  let stopListening = (): void => {};
  try {
    const gate = await deployGate(cloud, {
      assemblyDir: options.assemblyDir ?? benchAssembly(),
      code: 'source',
      log: (line) => cloudLog.push(line),
    });
    const rules = new DynamoRulesStore(dynamodb, gate.config.rulesTable);
    const ledger = new DynamoLedger(dynamodb, gate.config.ledgerTable, { retentionDays: 30 });
    await rules.putItems([
      { kind: 'defaults', id: 'defaults', defaultEffect: 'review', pendingTtl: 'P7D', onRevoke: 'notify' },
      { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: ACCEPTED_ACCOUNTS } },
      { kind: 'rule', id: 'blocked', effect: 'reject', match: { accounts: REJECTED_ACCOUNTS } },
    ]);
    await rules.bumpVersion();
    const serviceIds: string[] = [];
    for (let i = 0; i < SERVICES; i += 1)
      serviceIds.push(await createProviderService(admin, { loadBalancer: 'chaos', principals: ['*'] }));
    await gate.sweepNow();
    await cloud.idle();

    // Every state each connection is ever in, as EC2 changes it: the local cloud's own record,
    // which the faults never touch and which sees even a state that lasts a few milliseconds.
    const seen = new Map<string, Set<string>>();
    const managed = new Set(serviceIds);
    stopWatching = cloud.ec2.onConnectionState((change) => {
      if (!managed.has(change.serviceId)) return;
      const states = seen.get(change.endpointId) ?? new Set<string>();
      states.add(change.to);
      seen.set(change.endpointId, states);
    });

    // Every notice, as it is published (the cloud keeps only the latest messages).
    const notices: LedgerEntry[] = [];
    const decisionsTopic = gate.config.decisionsTopicArn;
    stopListening = cloud.sns.onPublish((message) => {
      if (message.topicArn !== decisionsTopic) return;
      const notice = noticeOf(message);
      if (notice?.kind === 'decision') notices.push(notice.entry);
    });

    log(`chaos: ${options.requests} requests, every fault at ${rate}, seed ${options.seed}`);
    const requests: Request[] = [];
    const accounts = [...ACCEPTED_ACCOUNTS, ...REJECTED_ACCOUNTS, ...UNKNOWN_ACCOUNTS];
    const consumers = new Map(accounts.map((account) => [account, new EC2Client(clientConfig(account))]));
    const limit = pLimit(options.concurrency ?? 8);
    const plan = Array.from({ length: options.requests }, () => ({
      account: accounts[Math.floor(random() * accounts.length)] ?? '111111111100',
      serviceId: serviceIds[Math.floor(random() * serviceIds.length)] ?? '',
    }));
    await startFaults(cloud);
    await Promise.all(
      plan.map(({ account, serviceId }) =>
        limit(async () => {
          const created = await consumers.get(account)?.send(
            new CreateVpcEndpointCommand({
              VpcEndpointType: 'Interface',
              VpcId: 'vpc-0123456789abcdef0',
              SubnetIds: ['subnet-0123456789abcdef0'],
              ServiceName: `com.amazonaws.vpce.${cloud.region}.${serviceId}`,
            }),
          );
          const endpointId = created?.VpcEndpoint?.VpcEndpointId ?? '';
          requests.push({ serviceId, endpointId, account, expected: expectation(account) });
        }),
      ),
    );
    for (const consumer of consumers.values()) consumer.destroy();
    log(`chaos: requests made; waiting for the gate under faults`);
    // Crashed invocations leave their batches hidden for the decide queue's visibility
    // timeout (91 s): the cloud's time moves on to each redelivery instead of the run waiting.
    await cloud.elapse();
    faults.stop();
    const faultsInjected = faults.total;
    log(
      `chaos: faults off after ${faultsInjected} injected; two sweeps, ${SWEEP_RATE_MS / 60_000} minutes apart`,
    );
    for (let sweep = 0; sweep < 2; sweep += 1) {
      // The stack's schedule: a sweep every SWEEP_RATE_MS. The cloud's clock (every function's)
      // moves on instead of the run waiting, so what a crashed invocation leased runs out as
      // it would on AWS.
      cloud.clock.advance(SWEEP_RATE_MS);
      await gate.sweepNow();
      await cloud.settle();
    }
    stopWatching();

    const problems: string[] = [];
    const report = await judge(requests, seen, ledger, notices, admin, serviceIds, problems);
    for (const problem of problems.slice(0, 20)) log(`chaos: ${problem}`);
    return { requests: options.requests, seed: options.seed, faultsInjected, ...report };
  } finally {
    stopWatching();
    stopListening();
    admin.destroy();
    dynamodb.destroy();
    await cloud.idle().catch(() => undefined);
    await cloud.stop();
    if (cloudLog.length > 0) log(`chaos: the cloud logged ${cloudLog.length} lines (first: ${cloudLog[0]})`);
  }
}

/** Faults on from now: a fresh dice with the same seed, so the run is repeatable. */
async function startFaults(cloud: LocalCloud): Promise<void> {
  const faults = cloud.faults;
  if (faults === undefined) return;
  faults.restart();
}

async function judge(
  requests: Request[],
  seen: Map<string, Set<string>>,
  ledger: DynamoLedger,
  notices: LedgerEntry[],
  admin: EC2Client,
  serviceIds: string[],
  problems: string[],
): Promise<ChaosInvariants> {
  const finalState = new Map<string, string>();
  for (const serviceId of serviceIds) {
    // Paged: EC2 answers at most 1,000 connections a call.
    const pages = paginateDescribeVpcEndpointConnections(
      { client: admin },
      { Filters: [{ Name: 'service-id', Values: [serviceId] }] },
    );
    for await (const { VpcEndpointConnections = [] } of pages)
      for (const c of VpcEndpointConnections)
        finalState.set(c.VpcEndpointId ?? '', String(c.VpcEndpointState));
  }
  const report: ChaosInvariants = { ...NO_VIOLATIONS };
  for (const request of requests) {
    const states = seen.get(request.endpointId) ?? new Set<string>();
    const accepted = states.has('pending') || states.has('available');
    const rejected = states.has('rejected');
    if (accepted && request.expected !== 'accepted') report.wrongAccepts += 1;
    if (rejected && request.expected !== 'rejected') report.wrongRejects += 1;
    if (accepted && rejected) report.duplicateActions += 1;

    const entries = await ledger.history({ endpointId: request.endpointId, limit: 100 });
    const state = finalState.get(request.endpointId) ?? 'absent';
    const describe = () =>
      `${request.endpointId} (${request.account}, expected ${request.expected}): seen ${[...states].join('/')}, now ${state}, ledger ${entries.map((e) => `${e.outcome}@${e.trigger}`).join(',') || 'none'}`;
    if (entries.length === 0) {
      report.lost += 1;
      problems.push(`lost: ${describe()}`);
      continue;
    }
    const count = (outcome: string) => entries.filter((e) => e.outcome === outcome).length;
    const inState =
      request.expected === 'accepted'
        ? state === 'pending' || state === 'available'
        : request.expected === 'rejected'
          ? state === 'rejected'
          : state === 'pendingAcceptance';
    if (!inState || count(request.expected) === 0) {
      report.undecided += 1;
      problems.push(`undecided: ${describe()}`);
    }
    // Each change the gate made, exactly one entry; a held request, one held entry.
    if (accepted && count('accepted') !== 1) report.ledgerGaps += 1;
    if (rejected && count('rejected') !== 1) report.ledgerGaps += 1;
    if (!accepted && count('accepted') > 0) report.ledgerGaps += 1;
    if (!rejected && count('rejected') > 0) report.ledgerGaps += 1;
  }
  const perOutcome = new Map<string, number>();
  for (const entry of notices) {
    const key = `${entry.endpointId}/${entry.outcome}`;
    perOutcome.set(key, (perOutcome.get(key) ?? 0) + 1);
  }
  for (const [key, count] of perOutcome) {
    report.duplicateNotices += count - 1;
    if (count > 1) problems.push(`${count} notices for ${key}`);
  }
  return report;
}

/** Every count but requests, seed and faultsInjected must be 0. */
export function chaosPassed(report: ChaosReport): boolean {
  return Object.values(invariantsOf(report)).every((count) => count === 0);
}

/** The report's invariant counts alone. */
export function invariantsOf(report: ChaosReport): ChaosInvariants {
  const { requests: _r, seed: _s, faultsInjected: _f, ...invariants } = report;
  return invariants;
}

function argument(argv: string[], flag: string, fallback: string): string {
  const index = argv.indexOf(flag);
  return index >= 0 ? (argv[index + 1] ?? '') : fallback;
}

async function main(argv: string[]): Promise<number> {
  const requests = Number(argument(argv, '--requests', '200'));
  const seed = Number(argument(argv, '--seed', '1'));
  const rate = Number(argument(argv, '--rate', '0.1'));
  const out = argument(argv, '--out', fileURLToPath(new URL('chaos.json', import.meta.url)));
  if (!Number.isInteger(requests) || requests < 1) {
    process.stderr.write(
      `chaos: --requests must be a whole number >= 1, got '${argument(argv, '--requests', '')}'\n`,
    );
    return 2;
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    process.stderr.write(
      `chaos: --seed must be a whole number >= 0, got '${argument(argv, '--seed', '')}'\n`,
    );
    return 2;
  }
  if (!(rate >= 0 && rate <= 1)) {
    process.stderr.write(`chaos: --rate must be from 0 to 1, got '${argument(argv, '--rate', '')}'\n`);
    return 2;
  }
  const started = Date.now();
  const report = await runChaos({ requests, seed, rate, log: (line) => process.stderr.write(`${line}\n`) });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(`chaos: ${((Date.now() - started) / 1000).toFixed(1)} s; written to ${out}\n`);
  return chaosPassed(report) ? 0 : 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
