import { describe, expect, it } from 'vitest';
import { summaryRows } from '../../../bench/summary.ts';

const met = (results: Record<string, unknown>) =>
  Object.fromEntries(summaryRows(results).map((row) => [row.key, row.met]));

describe("the bench's summary of issue 12's targets", () => {
  it('judges each key against its target', () => {
    const rows = met({
      perRequest: { ec2: 3, dynamodb: 6, sns: 1, eventbridge: 2 },
      burst: { requests: 1000, decidedCorrectly: 1000, p50Ms: 3000, p99Ms: 5001, ec2Calls: 40 },
      coldStart: { Decide: { ratio: 1.15 }, Ingest: { ratio: 1.16 } },
      evaluate: { '100': { decisionsPerSecond: 50_000 }, '10000': { decisionsPerSecond: 900_000 } },
      sweep: { connections: 20_000, ec2Calls: 80 },
      latency: { oneRequestMs: 1200 },
    });
    expect(rows).toEqual({
      perRequest: true,
      burst: false,
      'coldStart.Decide': true,
      'coldStart.Ingest': false,
      evaluate: true,
      sweep: true,
      latency: undefined,
    });
  });

  it('counts a wrong decision or one call over budget as not met, and a missing key as not measured', () => {
    const rows = summaryRows({
      perRequest: { ec2: 4, dynamodb: 6, sns: 1, eventbridge: 2 },
      burst: { requests: 1000, decidedCorrectly: 999, p50Ms: 1, p99Ms: 2, ec2Calls: 40 },
    });
    expect(rows.find((r) => r.key === 'perRequest')?.met).toBe(false);
    expect(rows.find((r) => r.key === 'burst')?.met).toBe(false);
    expect(rows.find((r) => r.key === 'coldStart')).toMatchObject({ measured: 'not measured', met: false });
  });

  it('does not judge a burst smaller than the target of 1,000 requests (--quick)', () => {
    const rows = summaryRows({ burst: { requests: 100, decidedCorrectly: 100, p99Ms: 2, ec2Calls: 15 } });
    expect(rows.find((r) => r.key === 'burst')?.met).toBeUndefined();
  });
});
