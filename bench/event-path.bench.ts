/**
 * The event path on the local cloud, counted at the edge port: the gate's calls for one
 * accepted request (`perRequest`) and a burst of requests from many accounts to a few
 * services (`burst`: latency from CreateVpcEndpoint to the final state, gate EC2 calls).
 * The gate is the synthesized stack deployed on the local cloud, its functions in workers
 * from source. Each scenario runs in its own Node process (a fresh cloud, cold functions),
 * once with the decide queue as the template wires it (batch size and 1 s batching window)
 * and once with one event per invocation (the baseline: the mapping's batch size 1, no
 * window). The assembly is synthesized once, here, and handed to each scenario.
 * Run: npm run bench -- event-path   (add --quick for a smaller burst)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, quick, recordResults } from './harness.ts';
import {
  benchAssembly,
  type Delivery,
  type GateCalls,
  startBenchWorld,
  watchFinalStates,
} from './local-world.ts';

const ACCEPTED_ACCOUNTS = 160;
const ACCOUNTS = 200;
const SERVICES = 5;
const CREATE_CONCURRENCY = 32;

const account = (i: number) => String(100000000000 + i * 7919);

function ruleItems(accounts: number, accepted: number): Record<string, unknown>[] {
  const all = Array.from({ length: accounts }, (_, i) => account(i));
  return [
    { kind: 'defaults', id: 'defaults', defaultEffect: 'review' },
    { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: all.slice(0, accepted) } },
    ...(accepted < accounts
      ? [{ kind: 'rule', id: 'blocked', effect: 'reject', match: { accounts: all.slice(accepted) } }]
      : []),
  ];
}

async function waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The gate's calls for one accepted request, warm: median over a few requests. */
async function perRequest(
  delivery: Delivery,
): Promise<GateCalls & { samples: GateCalls[]; latencyMs: number }> {
  const world = await startBenchWorld({ delivery });
  try {
    const serviceId = await world.createService();
    await world.writeRules(ruleItems(10, 10));
    await world.gate.sweepNow();
    await world.cloud.idle();
    const watcher = watchFinalStates(world, [serviceId]);
    const samples: GateCalls[] = [];
    const latencies: number[] = [];
    // One warm-up request, then the samples (3; 2 with --quick).
    for (let i = 0; i < (quick ? 3 : 4); i++) {
      await world.cloud.idle();
      await world.gateCalls();
      const started = performance.now();
      const id = await world.createEndpoint(account(i), serviceId);
      watcher.expect(id);
      await waitFor(() => watcher.finalAt.has(id), 60_000, `${id} to be accepted`);
      await world.cloud.idle();
      const calls = await world.gateCalls();
      if ((await watcher.states()).get(id) !== 'available') throw new Error(`${id} was not accepted`);
      // The first request warms the containers' caches; the rest are what a warm gate pays.
      if (i > 0) samples.push(calls);
      if (i > 0) latencies.push((watcher.finalAt.get(id) ?? Number.NaN) - started);
    }
    await watcher.stop();
    const med = (pick: (c: GateCalls) => number) => median(samples.map(pick));
    return {
      ec2: med((c) => c.ec2),
      dynamodb: med((c) => c.dynamodb),
      sns: med((c) => c.sns),
      eventbridge: med((c) => c.eventbridge),
      byAction: samples[samples.length - 1]?.byAction ?? {},
      samples,
      latencyMs: Math.round(median(latencies)),
    };
  } finally {
    await world.stop();
  }
}

interface BurstResult {
  requests: number;
  accounts: number;
  services: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** From the first request to the last final state. */
  wallMs: number;
  ec2Calls: number;
  calls: GateCalls;
  decidedCorrectly: number;
}

async function burst(delivery: Delivery, requests: number): Promise<BurstResult> {
  const world = await startBenchWorld({ delivery });
  try {
    const services: string[] = [];
    for (let i = 0; i < SERVICES; i++) services.push(await world.createService());
    await world.writeRules(ruleItems(ACCOUNTS, ACCEPTED_ACCOUNTS));
    await world.gate.sweepNow();
    await world.cloud.idle();
    await world.gateCalls();

    const watcher = watchFinalStates(world, services);
    const startedAt = new Map<string, number>();
    const expected = new Map<string, string>();
    let next = 0;
    const start = performance.now();
    const worker = async () => {
      while (next < requests) {
        const i = next++;
        const at = performance.now();
        const id = await world.createEndpoint(account(i % ACCOUNTS), services[i % SERVICES] ?? '');
        startedAt.set(id, at);
        watcher.expect(id);
        expected.set(id, i % ACCOUNTS < ACCEPTED_ACCOUNTS ? 'available' : 'rejected');
      }
    };
    await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
    await waitFor(() => watcher.finalAt.size >= requests, 900_000, 'every request to be decided');
    await watcher.stop();
    await world.cloud.idle();
    const calls = await world.gateCalls();
    const states = await watcher.states();

    const latencies: number[] = [];
    let correct = 0;
    let last = start;
    for (const [id, at] of startedAt) {
      const final = watcher.finalAt.get(id);
      if (final === undefined) continue;
      latencies.push(final - at);
      last = Math.max(last, final);
      if (states.get(id) === expected.get(id)) correct++;
    }
    latencies.sort((a, b) => a - b);
    const percentile = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
    return {
      requests,
      accounts: ACCOUNTS,
      services: SERVICES,
      p50Ms: Math.round(percentile(0.5)),
      p99Ms: Math.round(percentile(0.99)),
      maxMs: Math.round(latencies[latencies.length - 1] ?? Number.NaN),
      wallMs: Math.round(last - start),
      ec2Calls: calls.ec2,
      calls,
      decidedCorrectly: correct,
    };
  } finally {
    await world.stop();
  }
}

/** Runs one scenario in a fresh Node process; its result is the last line it prints. */
function inFreshProcess<T>(scenario: string, delivery: Delivery, requests = 0): T {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), scenario, delivery, String(requests)],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'inherit'],
      // The child's sample count follows this run's --quick.
      env: { ...process.env, ...(quick ? { PLGATE_BENCH_QUICK: '1' } : {}) },
    },
  );
  if (child.status !== 0) throw new Error(`${scenario} (${delivery}) failed with exit ${child.status}`);
  const lines = child.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? 'null') as T;
}

async function main(): Promise<void> {
  const [scenario, delivery = 'queue', requests = '0'] = process.argv.slice(2).filter((a) => a !== '--quick');
  if (scenario === 'per-request') {
    console.log(JSON.stringify(await perRequest(delivery as Delivery)));
    return;
  }
  if (scenario === 'burst') {
    console.log(JSON.stringify(await burst(delivery as Delivery, Number(requests))));
    return;
  }

  // --quick: smaller bursts, and no one-by-one run for a single request (it makes the same
  // calls as the queue for one request; the baseline that matters is the burst's).
  const size = quick ? 100 : 1_000;
  benchAssembly();
  const baselineSize = quick ? 30 : 300;
  type One = GateCalls & { latencyMs: number };
  const one = inFreshProcess<One>('per-request', 'queue');
  const oneBaseline = quick ? undefined : inFreshProcess<One>('per-request', 'one-by-one');
  const many = inFreshProcess<BurstResult>('burst', 'queue', size);
  const manyBaseline = inFreshProcess<BurstResult>('burst', 'one-by-one', baselineSize);

  const row = (name: string, c: GateCalls) =>
    `| ${name} | ${c.ec2} | ${c.dynamodb} | ${c.sns} | ${c.eventbridge} |`;
  console.log(`## Gate calls for one accepted request (warm, median of ${quick ? 2 : 3})\n`);
  console.log('| delivery | EC2 | DynamoDB | SNS | EventBridge |\n|---|---:|---:|---:|---:|');
  console.log(row('decide queue', one));
  if (oneBaseline) console.log(row('one event per invocation', oneBaseline));
  console.log(
    `\none request, CreateVpcEndpoint to available: ${one.latencyMs} ms (queue)${oneBaseline ? `, ${oneBaseline.latencyMs} ms (one by one)` : ''}`,
  );
  console.log(`\nby action (queue): ${JSON.stringify(one.byAction)}`);
  if (oneBaseline) console.log(`by action (one by one): ${JSON.stringify(oneBaseline.byAction)}`);
  console.log('');
  const burstRow = (name: string, b: BurstResult) =>
    `| ${name} | ${b.requests} | ${b.decidedCorrectly} | ${b.p50Ms} | ${b.p99Ms} | ${b.wallMs} | ${b.ec2Calls} | ${(b.ec2Calls / b.requests).toFixed(2)} |`;
  console.log(`## Burst: ${ACCOUNTS} accounts, ${SERVICES} services, sweep off\n`);
  console.log(
    '| delivery | requests | decided correctly | p50 ms | p99 ms | wall ms | gate EC2 calls | per request |\n|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  console.log(burstRow('decide queue', many));
  console.log(burstRow('one event per invocation', manyBaseline));
  console.log(`\nburst calls by action (queue): ${JSON.stringify(many.calls.byAction)}`);
  console.log(`burst calls by action (one by one): ${JSON.stringify(manyBaseline.calls.byAction)}`);

  const { ec2, dynamodb, sns, eventbridge } = one;
  recordResults({
    latency: {
      oneRequestMs: one.latencyMs,
      ...(oneBaseline ? { oneRequestOneByOneMs: oneBaseline.latencyMs } : {}),
    },
    perRequest: {
      ec2,
      dynamodb,
      sns,
      eventbridge,
      byAction: one.byAction,
      ...(oneBaseline ? { baseline: oneBaseline } : {}),
    },
    burst: {
      requests: many.requests,
      p50Ms: many.p50Ms,
      p99Ms: many.p99Ms,
      ec2Calls: many.ec2Calls,
      decidedCorrectly: many.decidedCorrectly,
      wallMs: many.wallMs,
      calls: many.calls,
      baseline: manyBaseline,
    },
  });
  if (many.decidedCorrectly !== many.requests) {
    throw new Error(`only ${many.decidedCorrectly} of ${many.requests} requests were decided correctly`);
  }
}

await main();
