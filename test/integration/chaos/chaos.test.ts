/**
 * The chaos run of the suite: 200 requests from 30 accounts against accept, reject and
 * review rules with every fault on, then faults off and two sweeps. Each invariant must
 * be 0. In a file of its own: the in-process gate is one per process.
 * (CHAOS_REQUESTS and CHAOS_RATE change the size and the fault rate.)
 */
import { describe, expect, it } from 'vitest';
import { chaosPassed, runChaos } from '../../../bench/chaos.ts';

const requests = Number(process.env.CHAOS_REQUESTS ?? 200);
const rate = Number(process.env.CHAOS_RATE ?? 0.1);

describe('the chaos run', () => {
  it(`${requests} requests under every fault at ${rate}: nothing wrongly opened, lost, doubled or unrecorded`, async () => {
    const lines: string[] = [];
    const report = await runChaos({ requests, seed: 1, rate, log: (line) => lines.push(line) });
    expect(report.faultsInjected, lines.join('\n')).toBeGreaterThan(0);
    expect(
      {
        wrongAccepts: report.wrongAccepts,
        wrongRejects: report.wrongRejects,
        lost: report.lost,
        undecided: report.undecided,
        duplicateActions: report.duplicateActions,
        ledgerGaps: report.ledgerGaps,
        duplicateNotices: report.duplicateNotices,
      },
      lines.join('\n'),
    ).toEqual({
      wrongAccepts: 0,
      wrongRejects: 0,
      lost: 0,
      undecided: 0,
      duplicateActions: 0,
      ledgerGaps: 0,
      duplicateNotices: 0,
    });
    expect(chaosPassed(report)).toBe(true);
  }, 1_800_000);
});
