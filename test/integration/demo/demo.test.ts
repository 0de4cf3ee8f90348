/**
 * `npm start` as a newcomer runs it, with --once: the demo walks every path of the gate
 * through the real binary and exits 0 at the end.
 */
import { describe, expect, it } from 'vitest';
import { runPlgateLocal } from '../../support/plgate-local-process.ts';

describe('plgate local --demo --once', () => {
  it('shows every path of the gate, then exits 0', async () => {
    const { code, output } = await runPlgateLocal([
      '--rules',
      'policies',
      '--demo',
      '--once',
      '--accept-delay',
      '100ms',
    ]);
    expect(code, output).toBe(0);
    // Each decision is shown as it happens, as the Slack notice reads.
    for (const notice of [
      /Accepted: vpce-[0-9a-f]+/,
      /Rejected: vpce-[0-9a-f]+/,
      /Held for review: vpce-[0-9a-f]+/,
      /Expired and rejected: vpce-[0-9a-f]+/,
      /Revoked: vpce-[0-9a-f]+/,
      /Would accept: vpce-[0-9a-f]+/,
      /approved by arn:aws:iam::000000000000:[^ ]+ at [0-9T:.Z-]+: signed contract/,
    ]) {
      expect(output).toMatch(notice);
    }
    // The ledger summary at the end holds one row per path.
    const summary = output.slice(output.indexOf('What the ledger holds'));
    for (const row of [
      /111111111111\s+accepted\s+partner-acme/,
      /666666666666\s+rejected\s+block-known-abuser/,
      /333333333333\s+held\s+\(default\)/,
      /333333333333\s+expired\s+\(default\)/,
      /888888888888\s+accepted\s+\(default\)\s+manual/,
      /222222222222\s+revoked\s+offboard-222222222222/,
      /111111111111\s+would be accepted\s+partner-acme/,
    ]) {
      expect(summary).toMatch(row);
    }
    expect(output).toMatch(/dry-run service: vpce-[0-9a-f]+ is still pendingAcceptance/);
    expect(output).toContain('stopping (done)');
  });
});
