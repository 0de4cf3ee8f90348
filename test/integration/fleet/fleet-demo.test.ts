/**
 * `plgate local --demo --fleet …`: the demo's walk happens in a member's account and region,
 * and every request there is decided by the hub, recorded with the member's account and region.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../../local/demo.ts';
import type { FleetMemberRegion } from '../../../local/fleet/members.ts';
import { loadRules } from '../../../local/start-gate.ts';
import { type FleetWorld, startLocalFleet, TEST_FLEET } from '../../support/local-fleet.ts';
import { notices } from '../../support/local-gate.ts';

const MEMBER: FleetMemberRegion = { account: '222222222222', region: 'eu-west-1' };

let world: FleetWorld;
const printed: string[] = [];

beforeAll(async () => {
  world = await startLocalFleet(TEST_FLEET);
  await loadRules(world.cloud, world.gate.config, 'policies');
  await runDemo(world.cloud, world.gate, {
    port: 0,
    host: '127.0.0.1',
    account: world.cloud.account,
    region: world.cloud.region,
    fleet: [MEMBER],
    rulesDir: 'policies',
    sweepIntervalMs: 3_600_000,
    acceptDelayMs: 100,
    deleteDelayMs: 100,
    demo: true,
    once: true,
    log: () => {},
    print: (line) => printed.push(line),
  });
  await world.cloud.drain();
}, 300_000);

afterAll(async () => {
  await world?.stop();
});

describe('the demo with --fleet', () => {
  it("walks every path in the member's account and region, decided by the hub", () => {
    const decisions = notices(world).flatMap((n) => (n.kind === 'decision' ? [n.entry] : []));
    expect(new Set(decisions.map((e) => `${e.serviceAccount}:${e.serviceRegion}`))).toEqual(
      new Set([`${MEMBER.account}:${MEMBER.region}`]),
    );
    expect(new Set(decisions.map((e) => e.outcome))).toEqual(
      new Set(['accepted', 'rejected', 'held', 'revoked', 'expired']),
    );
    expect(printed.join('\n')).toContain(`A fleet member (account ${MEMBER.account}, ${MEMBER.region})`);
    expect(printed.join('\n')).toMatch(/service in/);
  });
});
