/**
 * The sweep over one service with tens of thousands of waiting requests, against
 * in-memory ports: what the gate itself costs (CPU) and how many EC2 and DynamoDB calls
 * it makes, batched per service, against the naive way of deciding each connection on
 * its own (one describe, one lease, one accept call per connection).
 * Run: npm run bench -- sweep
 */
import { decideConnectionEvent } from '../functions/gate/decide-event.ts';
import { RuleSetCache } from '../functions/gate/rules-cache.ts';
import { sweep } from '../functions/gate/sweep.ts';
import { seededRandom } from '../local/faults.ts';
import {
  connection,
  FakeEndpointServices,
  MemoryLedgerTable,
  MemoryRulesStore,
  RecordingEvents,
  RecordingNotifier,
} from '../test/support/gate-fakes.ts';
import { formatRate, machine, median, quick, recordResults } from './harness.ts';

const SERVICE = 'vpce-svc-0123456789abcdef0';
const EC2_REQUESTS_PER_SECOND = 20; // the adapter's default client-side limit

function world(size: number, seed: number) {
  const random = seededRandom(seed);
  const ec2 = new FakeEndpointServices();
  ec2.managed.add(SERVICE);
  const accounts = Array.from({ length: 500 }, (_, i) => String(100000000000 + i * 7919));
  for (let i = 0; i < size; i++) {
    ec2.add(
      connection({
        serviceId: SERVICE,
        account: accounts[Math.floor(random() * accounts.length)] ?? '111111111111',
        createdAt: new Date(Date.UTC(2026, 10, 21, 0, 0, i % 3600)),
      }),
    );
  }
  const items: Record<string, unknown>[] = [
    { kind: 'defaults', id: 'defaults', defaultEffect: 'review' },
    ...accounts.slice(0, 250).map((account, i) => ({
      kind: 'rule',
      id: `accept-${i}`,
      effect: 'accept',
      match: { accounts: [account] },
    })),
    ...accounts.slice(250, 300).map((account, i) => ({
      kind: 'rule',
      id: `reject-${i}`,
      effect: 'reject',
      match: { accounts: [account] },
    })),
  ];
  const ledger = new MemoryLedgerTable();
  let calls = { ec2Actions: 0, ec2Describes: 0 };
  const accept = ec2.accept.bind(ec2);
  const reject = ec2.reject.bind(ec2);
  ec2.accept = (s, ids) => {
    calls.ec2Actions += 1;
    return accept(s, ids);
  };
  ec2.reject = (s, ids) => {
    calls.ec2Actions += 1;
    return reject(s, ids);
  };
  const deps = {
    endpointServices: ec2,
    ledger,
    notifier: new RecordingNotifier(),
    events: new RecordingEvents(),
    now: () => new Date('2026-11-21T12:00:00Z'),
    holder: 'bench',
    rules: new RuleSetCache(new MemoryRulesStore(items)),
  };
  return {
    ec2,
    deps,
    calls: () => ({ ...calls, ec2Describes: ec2.describeCount }),
    reset: () => {
      calls = { ec2Actions: 0, ec2Describes: 0 };
    },
  };
}

async function timeIt(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const SIZE = quick ? 5_000 : 20_000;
const NAIVE_SIZE = quick ? 500 : 2_000;
const batched: number[] = [];
const naive: number[] = [];
let batchedCalls = { ec2Actions: 0, ec2Describes: 0 };
let naiveCalls = { ec2Actions: 0, ec2Describes: 0 };

for (let sample = 0; sample < (quick ? 2 : 5); sample++) {
  const w = world(SIZE, sample + 1);
  batched.push(
    await timeIt(() =>
      sweep(
        {},
        {
          ...w.deps,
          ingestTopicArn: 'arn:aws:sns:us-east-1:000000000000:ingest',
          remainingMs: () => 900_000,
          pageSize: 1000,
        },
      ),
    ),
  );
  batchedCalls = w.calls();

  const n = world(NAIVE_SIZE, sample + 1);
  const ids = [...n.ec2.connections.keys()];
  naive.push(
    await timeIt(async () => {
      for (const endpointId of ids) {
        await decideConnectionEvent({ serviceId: SERVICE, endpointId, trigger: 'sweep' }, n.deps);
      }
    }),
  );
  naiveCalls = n.calls();
}

const batchedPer = median(batched) / SIZE;
const naivePer = median(naive) / NAIVE_SIZE;
const projected = (calls: number, size: number) => (calls / EC2_REQUESTS_PER_SECOND) * (SIZE / size);
console.log(`machine: ${machine()}`);
console.log(
  `sweep of one service, ${formatRate(SIZE)} pending requests (250 accept + 50 reject rules, 500 accounts)`,
);
console.log(
  `  batched sweep : median ${median(batched).toFixed(0)} ms in-process, ${(batchedPer * 1000).toFixed(1)} µs per connection`,
);
console.log(
  `                  EC2 calls: ${batchedCalls.ec2Describes} describe, ${batchedCalls.ec2Actions} accept/reject`,
);
console.log(
  `                  at ${EC2_REQUESTS_PER_SECOND} EC2 req/s: ~${projected(batchedCalls.ec2Describes + batchedCalls.ec2Actions, SIZE).toFixed(0)} s of EC2 time`,
);
console.log(
  `  naive per-connection (${formatRate(NAIVE_SIZE)} measured): ${(naivePer * 1000).toFixed(1)} µs per connection in-process`,
);
console.log(
  `                  EC2 calls: ${naiveCalls.ec2Describes} describe, ${naiveCalls.ec2Actions} accept/reject for ${NAIVE_SIZE}`,
);
console.log(
  `                  at ${EC2_REQUESTS_PER_SECOND} EC2 req/s, scaled to ${formatRate(SIZE)}: ~${projected(naiveCalls.ec2Describes + naiveCalls.ec2Actions, NAIVE_SIZE).toFixed(0)} s of EC2 time`,
);
console.log(`  ratio (naive / batched), in-process per connection: ${(naivePer / batchedPer).toFixed(1)}x`);
console.log(
  `  ratio (naive / batched), EC2 calls per connection: ${((naiveCalls.ec2Describes + naiveCalls.ec2Actions) / NAIVE_SIZE / ((batchedCalls.ec2Describes + batchedCalls.ec2Actions) / SIZE)).toFixed(0)}x`,
);

recordResults({
  sweep: {
    connections: SIZE,
    microsPerConnection: Number((batchedPer * 1000).toFixed(1)),
    ec2Calls: batchedCalls.ec2Describes + batchedCalls.ec2Actions,
    naiveMicrosPerConnection: Number((naivePer * 1000).toFixed(1)),
    naiveEc2CallsPerConnection: Number(
      ((naiveCalls.ec2Describes + naiveCalls.ec2Actions) / NAIVE_SIZE).toFixed(2),
    ),
  },
});
