/**
 * The table of issue 12's targets: each key of the results file, what was measured, the
 * target, and whether it is met. `npm run bench` prints it after the bench files have run
 * (a key a bench did not write this time shows its last figures, or "not measured").
 */
import { readFileSync } from 'node:fs';

type Results = Record<string, unknown>;

interface Row {
  key: string;
  measured: string;
  target: string;
  met: boolean | undefined;
}

const num = (value: unknown): number => (typeof value === 'number' ? value : Number.NaN);
const obj = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
const seconds = (ms: unknown): string => `${(num(ms) / 1000).toFixed(1)} s`;

export const TARGETS = {
  perRequest: { ec2: 3, dynamodb: 6, sns: 1, eventbridge: 2 },
  burst: { requests: 1_000, p99Ms: 5_000, ec2Calls: 200 },
  coldStartRatio: 1.15,
  evaluateDecisionsPerSecond: 100_000,
  /** A sweep reads and acts in pages: at most one EC2 call per 100 waiting requests. */
  sweepEc2CallsPerConnection: 0.01,
} as const;

export function summaryRows(results: Results): Row[] {
  const rows: Row[] = [];
  const perRequest = results.perRequest === undefined ? undefined : obj(results.perRequest);
  rows.push(
    perRequest === undefined
      ? missing('perRequest')
      : {
          key: 'perRequest',
          measured: `EC2 ${perRequest.ec2}, DynamoDB ${perRequest.dynamodb}, SNS ${perRequest.sns}, EventBridge ${perRequest.eventbridge}`,
          target: '≤ 3 / 6 / 1 / 2',
          met: (Object.keys(TARGETS.perRequest) as (keyof typeof TARGETS.perRequest)[]).every(
            (service) => num(perRequest[service]) <= TARGETS.perRequest[service],
          ),
        },
  );
  const burst = results.burst === undefined ? undefined : obj(results.burst);
  rows.push(
    burst === undefined
      ? missing('burst')
      : {
          key: 'burst',
          measured: `${burst.decidedCorrectly}/${burst.requests} correct, p50 ${seconds(burst.p50Ms)}, p99 ${seconds(burst.p99Ms)}, EC2 ${burst.ec2Calls}`,
          target: `1,000 requests: all correct, p99 ≤ 5 s, EC2 ≤ 200${num(burst.requests) < TARGETS.burst.requests ? ' (a smaller burst is not judged)' : ''}`,
          met:
            num(burst.requests) < TARGETS.burst.requests
              ? undefined
              : num(burst.decidedCorrectly) === num(burst.requests) &&
                num(burst.p99Ms) <= TARGETS.burst.p99Ms &&
                num(burst.ec2Calls) <= TARGETS.burst.ec2Calls,
        },
  );
  const coldStart = results.coldStart === undefined ? undefined : obj(results.coldStart);
  if (coldStart === undefined) rows.push(missing('coldStart'));
  else
    for (const [name, figures] of Object.entries(coldStart)) {
      const ratio = num(obj(figures).ratio);
      rows.push({
        key: `coldStart.${name}`,
        measured: `${ratio.toFixed(2)} × floor`,
        target: `≤ ${TARGETS.coldStartRatio} × floor`,
        met: ratio <= TARGETS.coldStartRatio,
      });
    }
  const evaluate = results.evaluate === undefined ? undefined : obj(results.evaluate);
  if (evaluate === undefined) rows.push(missing('evaluate'));
  else {
    const largest = Object.keys(evaluate).sort((a, b) => Number(b) - Number(a))[0] ?? '';
    const rate = num(obj(evaluate[largest]).decisionsPerSecond);
    rows.push({
      key: 'evaluate',
      measured: `${Math.round(rate).toLocaleString('en-US')} decisions/s at ${Number(largest).toLocaleString('en-US')} rules`,
      target: '≥ 100,000 decisions/s',
      met: rate >= TARGETS.evaluateDecisionsPerSecond,
    });
  }
  const sweep = results.sweep === undefined ? undefined : obj(results.sweep);
  rows.push(
    sweep === undefined
      ? missing('sweep')
      : {
          key: 'sweep',
          measured: `${sweep.ec2Calls} EC2 calls for ${num(sweep.connections).toLocaleString('en-US')} waiting`,
          target: '≤ 1 EC2 call per 100 waiting',
          met: num(sweep.ec2Calls) / num(sweep.connections) <= TARGETS.sweepEc2CallsPerConnection,
        },
  );
  const latency = results.latency === undefined ? undefined : obj(results.latency);
  rows.push(
    latency === undefined
      ? missing('latency')
      : {
          key: 'latency',
          measured: `one request ${seconds(latency.oneRequestMs)} (1 s batching window)`,
          target: 'as before: the window plus a decision',
          met: undefined,
        },
  );
  return rows;
}

const missing = (key: string): Row => ({ key, measured: 'not measured', target: '', met: false });

export function printSummary(file: string): void {
  let results: Results;
  try {
    results = JSON.parse(readFileSync(file, 'utf8')) as Results;
  } catch (error) {
    console.log(`\nno results to summarise in ${file}: ${error instanceof Error ? error.message : error}`);
    return;
  }
  console.log(`\n## Issue 12's targets (${file})\n`);
  console.log('| key | measured | target | met |\n|---|---|---|---|');
  for (const row of summaryRows(results)) {
    const met = row.met === undefined ? '—' : row.met ? 'yes' : '**no**';
    console.log(`| ${row.key} | ${row.measured} | ${row.target} | ${met} |`);
  }
}
