/**
 * Rule evaluation throughput: decisions per second on one core with 100, 1,000 and
 * 10,000 rules, through the indexes (`evaluate`) and, in the same run, by scanning every
 * rule (`evaluateScanningAll`, the naive baseline). Also the time to validate and index
 * a whole rules table. Run: npm run bench
 */
import type { Connection } from '../functions/core/connection.ts';
import { evaluate, evaluateScanningAll } from '../functions/core/evaluate.ts';
import type { EvaluationContext } from '../functions/core/evaluation-context.ts';
import { ruleSetFromItems } from '../functions/core/rules/rule-items.ts';
import { seededRandom } from '../local/faults.ts';
import { formatRate, machine, measure, quick, recordResults } from './harness.ts';

const SERVICE_COUNT = 50;
const REGIONS: [string, ...string[]] = [
  'us-east-1',
  'us-west-2',
  'eu-west-1',
  'eu-central-1',
  'ap-southeast-2',
];

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const serviceId = (n: number) => `vpce-svc-${hex(n, 17)}`;
const endpointId = (n: number) => `vpce-${hex(n, 17)}`;
const accountId = (n: number) => String(100_000_000_000 + n);

/**
 * A provider's rules table grown large: mostly per-partner accept rules (some scoped to
 * a service, some with quotas or tags), a block-list, per-endpoint exceptions, review
 * rules and a few rules with no account or endpoint condition that every connection meets.
 */
function ruleItems(count: number, random: () => number): Record<string, unknown>[] {
  const pick = <T>(values: readonly [T, ...T[]]): T =>
    values[Math.floor(random() * values.length)] ?? values[0];
  const items: Record<string, unknown>[] = [
    { kind: 'defaults', id: 'defaults', defaultEffect: 'review', pendingTtl: 'P7D' },
  ];
  for (let s = 0; s < 10; s++) items.push({ kind: 'service', id: serviceId(s), defaultEffect: 'reject' });
  const accountsInRules = count * 1.5;
  for (let i = 0; i < count; i++) {
    const id = `rule-${String(i).padStart(5, '0')}`;
    const roll = random();
    const scoped = random() < 0.6 ? { services: [serviceId(Math.floor(random() * SERVICE_COUNT))] } : {};
    const accounts = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
      accountId(Math.floor(random() * accountsInRules)),
    );
    if (i < 10) {
      // Rules every connection is a candidate for: cross-region review, tagged quarantine.
      items.push({
        kind: 'rule',
        id,
        effect: i % 2 === 0 ? 'review' : 'reject',
        ...scoped,
        match: i % 2 === 0 ? { regions: [pick(REGIONS)] } : { tags: { quarantine: '*' } },
      });
    } else if (roll < 0.8) {
      const extra = random() < 0.2 ? { tags: { env: 'prod' } } : {};
      const limits =
        random() < 0.2 ? { limits: { maxEndpointsPerAccount: 1 + Math.floor(random() * 5) } } : {};
      items.push({ kind: 'rule', id, effect: 'accept', ...scoped, match: { accounts, ...extra }, ...limits });
    } else if (roll < 0.9) {
      items.push({ kind: 'rule', id, effect: 'reject', match: { accounts } });
    } else if (roll < 0.95) {
      items.push({
        kind: 'rule',
        id,
        effect: pick(['accept', 'reject']),
        ...scoped,
        match: { endpoints: [endpointId(Math.floor(random() * count))] },
      });
    } else {
      items.push({
        kind: 'rule',
        id,
        effect: 'review',
        ...scoped,
        match: { accounts, regions: [pick(REGIONS)] },
        pendingTtl: 'P2D',
      });
    }
  }
  return items;
}

function connections(
  count: number,
  ruleCount: number,
  random: () => number,
): { connection: Connection; context: EvaluationContext }[] {
  const now = new Date('2026-11-21T12:00:00Z');
  return Array.from({ length: count }, (_, i) => {
    // Most requests come from accounts some rule names; the rest from strangers.
    const account =
      random() < 0.7 ? accountId(Math.floor(random() * ruleCount * 1.5)) : accountId(5_000_000 + i);
    const connection: Connection = {
      serviceId: serviceId(Math.floor(random() * SERVICE_COUNT)),
      endpointId: endpointId(Math.floor(random() * ruleCount * 2)),
      account,
      state: 'pendingAcceptance',
      createdAt: new Date(now.getTime() - 3_600_000),
      region: REGIONS[Math.floor(random() * REGIONS.length)] ?? 'us-east-1',
      ipAddressType: 'ipv4',
      tags: random() < 0.3 ? { env: 'prod' } : {},
      loadBalancerArns: [],
    };
    return { connection, context: { now, liveEndpoints: Math.floor(random() * 4) } };
  });
}

function main(): void {
  console.log('## Rule evaluation\n');
  console.log(`machine: ${machine()}\n`);
  console.log(
    '| rules | indexed decisions/s | µs/decision | naive scan decisions/s | index speed-up | load + index table |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|');
  const evaluateResults: Record<string, unknown> = {};
  for (const ruleCount of quick ? [100, 1_000] : [100, 1_000, 10_000]) {
    const random = seededRandom(ruleCount);
    const items = ruleItems(ruleCount, random);
    const { ruleSet, problems } = ruleSetFromItems(items);
    if (problems.length > 0) throw new Error(`bench rules are invalid: ${JSON.stringify(problems[0])}`);
    const inputs = connections(10_000, ruleCount, random);
    const at = (i: number) => inputs[i % inputs.length] ?? inputs[0];
    const decisionCode = { accept: 1, reject: 2, review: 3 } as const;

    const indexed = measure(
      'indexed',
      (i) => {
        const input = at(i);
        return input ? decisionCode[evaluate(input.connection, input.context, ruleSet).decision] : 0;
      },
      { samples: 15, opsPerSample: 20_000, warmup: 3 },
    );
    const naive = measure(
      'naive',
      (i) => {
        const input = at(i);
        return input
          ? decisionCode[evaluateScanningAll(input.connection, input.context, ruleSet).decision]
          : 0;
      },
      { samples: 9, opsPerSample: Math.max(200, Math.round(2_000_000 / ruleCount)), warmup: 1 },
    );
    const load = measure('load', () => ruleSetFromItems(items).ruleSet.rules.length, {
      samples: 5,
      opsPerSample: 1,
      warmup: 1,
    });

    // Both paths must agree, or the speed-up means nothing.
    for (let i = 0; i < 2_000; i++) {
      const input = at(i);
      if (!input) continue;
      const a = JSON.stringify(evaluate(input.connection, input.context, ruleSet));
      const b = JSON.stringify(evaluateScanningAll(input.connection, input.context, ruleSet));
      if (a !== b) throw new Error(`index and scan disagree on ${input.connection.endpointId}`);
    }

    evaluateResults[String(ruleCount)] = {
      decisionsPerSecond: Math.round(indexed.opsPerSecond),
      naiveDecisionsPerSecond: Math.round(naive.opsPerSecond),
      loadMs: Number((load.microsPerOp / 1000).toFixed(1)),
    };
    console.log(
      `| ${formatRate(ruleCount)} | ${formatRate(indexed.opsPerSecond)} | ${indexed.microsPerOp.toFixed(2)} | ${formatRate(naive.opsPerSecond)} | ${(indexed.opsPerSecond / naive.opsPerSecond).toFixed(0)}× | ${(load.microsPerOp / 1000).toFixed(1)} ms |`,
    );
  }
  console.log('\nMedians; indexed: 15 samples of 20,000 decisions; naive: 9 samples; load: 5 samples.');
  recordResults({ evaluate: evaluateResults });
}

main();
