/**
 * The chaos run of the suite: 100 requests from 30 accounts against accept, reject and
 * review rules with every fault on, then faults off and two sweeps. Each invariant must
 * be 0, on the gate deployed from the run's synthesized assembly. In a file of its own: it
 * is the suite's longest. The long runs are the bench's (`npm run chaos`, BENCHMARKS.md).
 * (CHAOS_REQUESTS and CHAOS_RATE change the size and the fault rate.)
 */
import { describe, expect, it } from 'vitest';
import { chaosPassed, invariantsOf, NO_VIOLATIONS, runChaos } from '../../../bench/chaos.ts';
import { gateAssemblyDir } from '../../support/gate-assembly.ts';

const requests = Number(process.env.CHAOS_REQUESTS ?? 100);
const rate = Number(process.env.CHAOS_RATE ?? 0.1);

describe('the chaos run', () => {
  it(`${requests} requests under every fault at ${rate}: nothing wrongly opened, lost, doubled or unrecorded`, async () => {
    const lines: string[] = [];
    const report = await runChaos({
      requests,
      seed: 1,
      rate,
      assemblyDir: gateAssemblyDir(),
      log: (line) => lines.push(line),
    });
    expect(report.faultsInjected, lines.join('\n')).toBeGreaterThan(0);
    expect(invariantsOf(report), lines.join('\n')).toEqual(NO_VIOLATIONS);
    expect(chaosPassed(report)).toBe(true);
  }, 1_800_000);
});
