/**
 * `plgate approve` / `deny` (through the CLI's main() in this process; the exit status of
 * the real binary at the end) against a local cloud this test starts
 * (DESIGN §3, "Operator decisions"): what they do in every state, what they write, who and
 * why in the ledger, their exit codes, and the sweep removing them once the endpoint is gone.
 */
import { DeleteVpcEndpointsCommand, RejectVpcEndpointConnectionsCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LedgerEntry } from '../../../functions/gate/ports.ts';
import { BLOCKED, HELD, PARTNER } from '../../support/accounts.ts';
import { ec2For } from '../../support/local-cloud.ts';
import {
  createEndpoint,
  createService,
  type LocalGateWorld,
  notices,
  outcomesOf,
  settle,
  startLocalGate,
  stateOf,
} from '../../support/local-gate.ts';
import { plgate } from '../run-plgate.ts';
import { plgateInProcess } from '../run-plgate-in-process.ts';

/** Who the local cloud's STS says the provider's key is. */
const ACTOR = 'arn:aws:iam::000000000000:root';
/** The one test that starts the binary: a Node process on a shared machine. */
const SLOW = { timeout: 120_000 };

let world: LocalGateWorld;
let serviceId: string;

const operatorItems = async () =>
  (await world.rules.items()).filter((i) => i.kind === 'approval' || i.kind === 'denial');
const itemsNow = async () =>
  (await world.rules.items())
    .filter((i) => i.kind !== 'meta')
    .sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));

beforeAll(async () => {
  world = await startLocalGate();
  // As a user would after `export AWS_ENDPOINT_URL=…`: the CLI finds the gate by its stack.
  vi.stubEnv('AWS_ENDPOINT_URL', world.cloud.endpoint);
  await world.rules.putItems([
    { kind: 'defaults', id: 'defaults', defaultEffect: 'review', onRevoke: 'notify' },
    { kind: 'rule', id: 'hold-444', effect: 'review', match: { accounts: [HELD] } },
    { kind: 'rule', id: 'block-666', effect: 'reject', match: { accounts: [BLOCKED] } },
    { kind: 'rule', id: 'partner', effect: 'accept', match: { accounts: [PARTNER] } },
  ]);
  serviceId = await createService(world.provider);
  await settle(world);
});

afterAll(async () => {
  await world?.stop();
});

describe('approve', () => {
  it('accepts a request a review rule holds, and the ledger says who and why', async () => {
    const held = await createEndpoint(world, HELD, serviceId);
    await settle(world);
    expect((await outcomesOf(world, held)).map((e) => e.outcome)).toEqual(['held']);

    const approved = await plgateInProcess(['approve', held, '--reason', 'signed contract']);
    expect([approved.code, approved.stderr]).toEqual([0, '']);
    expect(approved.stdout).toMatch(new RegExp(`${held}: accepted — approved by ${ACTOR}`));
    await settle(world);
    // The CloudTrail record of the gate's own accept waits for it to be recorded: Lambda may
    // retry ingest while it is in flight (its error crosses the runtime as a type name only),
    // but nothing else fails and no event is given up.
    const expectedWait = /failed \(GateCallInFlightError\), retry \d of \d$/;
    expect(
      world.cloud.logs.filter((line) => /failed|discarded/.test(line) && !expectedWait.test(line)),
    ).toEqual([]);
    expect(await stateOf(world, serviceId, held)).toMatch(/^(pending|available)$/);
    await settle(world);

    const history = await plgateInProcess(['history', held, '--json']);
    const entries = JSON.parse(history.stdout) as LedgerEntry[];
    expect(entries.map((e) => [e.outcome, e.trigger, e.actor, e.reason])).toEqual([
      ['accepted', 'manual', ACTOR, 'signed contract'],
      ['held', 'notification', undefined, undefined],
    ]);
    const table = await plgateInProcess(['history', held]);
    expect(table.stdout).toMatch(/decided by/);
    expect(table.stdout).toContain(`approved by ${ACTOR}`);
    expect(table.stdout).toContain('signed contract');
    expect(await operatorItems()).toEqual([
      expect.objectContaining({ kind: 'approval', id: held, serviceId, actor: ACTOR }),
    ]);

    // A second approve of the now accepted endpoint: says so, exit 0, nothing new.
    const again = await plgateInProcess(['approve', held]);
    expect([again.code, again.stdout]).toEqual([0, expect.stringMatching(/already (pending|available)/)]);
    expect((await outcomesOf(world, held)).length).toBe(2);
  });

  it('waits for a decision that holds the endpoint’s lease, then accepts', async () => {
    const held = await createEndpoint(world, HELD, serviceId);
    await settle(world);
    // Another decider holds the endpoint for a moment, as a running decision does.
    const lease = await world.endpointStates.acquireLease(held, 'another-decision', new Date(), 1_500);
    expect(lease).toBeDefined();

    const approved = await plgateInProcess(['approve', held, '--reason', 'ticket 7']);
    expect(approved.code).toBe(0);
    expect(approved.stderr).toMatch(
      new RegExp(`plgate: ${held}: another decision holds it; waiting up to \\d+ s to accept it`),
    );
    expect(await stateOf(world, serviceId, held)).toMatch(/^(pending|available)$/);
    const accepted = (await outcomesOf(world, held)).filter((e) => e.outcome === 'accepted');
    expect(accepted.map((e) => [e.trigger, e.actor, e.reason])).toEqual([['manual', ACTOR, 'ticket 7']]);
  });

  it('an approval carried out by the sweep is still the person’s: actor, reason, time, trigger manual', async () => {
    const held = await createEndpoint(world, HELD, serviceId);
    await settle(world);
    // What approve leaves when it gives up on a lease: the approval recorded, the endpoint waiting.
    const decidedAt = new Date().toISOString();
    await world.rules.putItems([
      {
        kind: 'approval',
        id: held,
        serviceId,
        account: HELD,
        actor: ACTOR,
        reason: 'ticket 8',
        at: decidedAt,
      },
    ]);
    await world.rules.bumpVersion();
    await settle(world);
    const swept = await plgateInProcess(['sweep', '--service', serviceId]);
    expect(swept.code).toBe(0);
    await settle(world);

    const accepted = (await outcomesOf(world, held)).filter((e) => e.outcome === 'accepted');
    expect(accepted).toEqual([
      expect.objectContaining({ trigger: 'manual', actor: ACTOR, reason: 'ticket 8', decidedAt }),
    ]);
    expect(accepted[0]?.carriedBy).toMatch(/^(sweep|rule-change)$/);
    const notice = notices(world).find(
      (n) => n.kind === 'decision' && n.entry.endpointId === held && n.entry.outcome === 'accepted',
    );
    expect(notice).toBeDefined();
    const table = await plgateInProcess(['history', held]);
    expect(table.stdout).toContain(`approved by ${ACTOR}`);
  });

  it('ten held requests approved one after another: ten exits 0, ten entries with actor and reason', async () => {
    const held: string[] = [];
    for (let i = 0; i < 10; i += 1) held.push(await createEndpoint(world, HELD, serviceId));
    // As a person would: one after another, while the gate is still deciding the last requests.
    for (const [i, endpoint] of held.entries()) {
      const run = await plgateInProcess(['approve', endpoint, '--reason', `ticket ${i}`]);
      expect([endpoint, run.code, run.stderr.replace(/^plgate: .*waiting.*\n/gm, '')]).toEqual([
        endpoint,
        0,
        '',
      ]);
    }
    await settle(world);
    for (const [i, endpoint] of held.entries()) {
      const accepted = (await outcomesOf(world, endpoint)).filter((e) => e.outcome === 'accepted');
      expect(accepted.map((e) => [e.trigger, e.actor, e.reason])).toEqual([['manual', ACTOR, `ticket ${i}`]]);
    }
  });

  it('refuses against a matching reject rule, names it, and writes nothing', async () => {
    const blocked = await createEndpoint(world, BLOCKED, serviceId);
    await settle(world);
    const before = await itemsNow();
    const refused = await plgateInProcess(['approve', blocked, '--service', serviceId]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/reject rule "block-666" matches .* nothing written/);
    expect(await itemsNow()).toEqual(before);
  });

  it('refuses on a rejected, deleted or unknown endpoint, and on a dry-run or off service', async () => {
    // Rejected by hand, so that no reject rule is what stands in the way.
    const rejected = await createEndpoint(world, HELD, serviceId);
    const deleted = await createEndpoint(world, HELD, serviceId);
    await settle(world);
    await world.provider.send(
      new RejectVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [rejected] }),
    );
    const consumer = ec2For(world.cloud, HELD);
    await consumer.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [deleted] }));
    consumer.destroy();
    await settle(world);
    const before = await itemsNow();
    const cases: [string, RegExp][] = [
      [rejected, /is rejected: approve cannot change that, nothing written/],
      [deleted, /is (deleting|deleted): approve cannot change that|is not a connection of/],
      ['vpce-0123456789abcdef0', /is not a connection of any managed service/],
    ];
    for (const [endpoint, message] of cases) {
      const run = await plgateInProcess(['approve', endpoint]);
      expect([endpoint, run.code]).toEqual([endpoint, 1]);
      expect(run.stderr).toMatch(message);
    }
    expect(await itemsNow()).toEqual(before);

    for (const mode of ['dry-run', 'off']) {
      const other = await createService(world.provider);
      await world.rules.putItems([{ kind: 'service', id: other, mode }]);
      await settle(world);
      const waiting = await createEndpoint(world, HELD, other);
      await settle(world);
      const snapshot = await itemsNow();
      const run = await plgateInProcess(['approve', waiting, '--reason', 'try']);
      expect([mode, run.code]).toEqual([mode, 1]);
      expect(run.stderr).toContain(`service ${other} is in ${mode} mode`);
      const deny = await plgateInProcess(['deny', waiting]);
      expect([mode, deny.code]).toEqual([mode, 1]);
      expect(await itemsNow()).toEqual(snapshot);
      expect(await stateOf(world, other, waiting)).toBe('pendingAcceptance');
    }
  });
});

describe('deny', () => {
  it('rejects a live connection now, though onRevoke says notify', async () => {
    const live = await createEndpoint(world, PARTNER, serviceId);
    await settle(world);
    expect(await stateOf(world, serviceId, live)).toMatch(/^(pending|available)$/);
    const denied = await plgateInProcess(['deny', live, '--reason', 'contract ended', '--json']);
    expect(denied.code).toBe(0);
    const result = JSON.parse(denied.stdout) as { status: string; entries: LedgerEntry[] };
    expect(result.status).toBe('done');
    expect(result.entries.map((e) => [e.outcome, e.actor, e.reason])).toEqual([
      ['revoked', ACTOR, 'contract ended'],
    ]);
    expect(await stateOf(world, serviceId, live)).toBe('rejected');

    const again = await plgateInProcess(['deny', live]);
    expect([again.code, again.stdout]).toEqual([0, expect.stringMatching(/already rejected/)]);
  });

  it('rejects a pending request, even one an approval accepted before', async () => {
    const pending = await createEndpoint(world, HELD, serviceId);
    await settle(world);
    const denied = await plgateInProcess(['deny', pending]);
    expect(denied.code).toBe(0);
    expect(await stateOf(world, serviceId, pending)).toBe('rejected');
    expect((await operatorItems()).filter((i) => i.id === pending).map((i) => i.kind)).toEqual(['denial']);
  });
});

describe('records outlive nothing', () => {
  it('the sweep removes approvals and denials of endpoints that are gone and says so in the ledger', async () => {
    const decided = (await operatorItems()).map((i) => String(i.id));
    expect(decided.length).toBeGreaterThanOrEqual(3);
    for (const id of decided) {
      const account = (await outcomesOf(world, id))[0]?.account ?? HELD;
      const consumer = ec2For(world.cloud, account);
      await consumer.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id] }));
      consumer.destroy();
    }
    await settle(world);
    const swept = await plgateInProcess(['sweep', '--service', serviceId]);
    expect(swept.code).toBe(0);
    expect(await operatorItems()).toEqual([]);
    for (const id of decided) {
      // The consumer's deletion has an entry of its own (outcome deleted too, by notification or
      // sweep), written on either side of the removal's: look for the removal by what it says.
      const removal = (await world.ledger.history({ endpointId: id })).filter((e) =>
        /is removed: the endpoint is gone/.test(e.reasons[0] ?? ''),
      );
      expect(removal).toEqual([
        expect.objectContaining({ outcome: 'deleted', trigger: 'sweep', actor: ACTOR }),
      ]);
    }
  });
});

describe('usage', () => {
  it('exits 2 on an unknown flag or a bad endpoint id', async () => {
    for (const args of [
      ['approve', 'vpce-0123456789abcdef0', '--bogus'],
      ['deny', 'vpce-XYZ'],
    ]) {
      const run = await plgateInProcess(args);
      expect([args.join(' '), run.code]).toEqual([args.join(' '), 2]);
    }
  });

  it('the binary exits with the code main() returns', SLOW, async () => {
    const run = await plgate(['deny', 'vpce-XYZ']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/endpoint id must look like/);
  });
});
