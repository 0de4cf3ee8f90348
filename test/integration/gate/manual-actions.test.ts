/**
 * A person's own accepts and rejects on the local cloud, recorded from what EC2 did
 * (issue 9, defect 4): CloudTrail events on the default bus, through the real ingest.
 */
import { AcceptVpcEndpointConnectionsCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../../functions/aws/clients.ts';
import { createGateAdapters, decideDepsOf } from '../../../functions/aws/gate-adapters.ts';
import { decideConnectionEvent } from '../../../functions/gate/decide-event.ts';
import { RuleSetCache } from '../../../functions/gate/rules-cache.ts';
import { BLOCKED, STRANGER } from '../../support/accounts.ts';
import { MemoryRulesStore } from '../../support/gate-fakes.ts';
import { PROVIDER_KEY } from '../../support/local-cloud.ts';
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

const OPERATOR = `arn:aws:iam::000000000000:user/${PROVIDER_KEY}`;

let world: LocalGateWorld;

beforeAll(async () => {
  world = await startLocalGate();
  await world.rules.putItems([
    { kind: 'defaults', id: 'defaults', defaultEffect: 'review', pendingTtl: 'P7D', onRevoke: 'notify' },
    { kind: 'rule', id: 'blocked', effect: 'reject', match: { accounts: [BLOCKED] } },
  ]);
  await settle(world);
});

afterAll(async () => {
  await world?.stop();
});

async function enrolledService(): Promise<string> {
  const serviceId = await createService(world.provider);
  await world.gate.sweepNow();
  await settle(world);
  return serviceId;
}

const noticesOf = (endpointId: string) =>
  notices(world).flatMap((n) =>
    n.kind === 'decision' && n.entry.endpointId === endpointId ? [n.entry] : [],
  );

describe('hand actions, recorded from what EC2 did', () => {
  it('a hand accept EC2 refused (the connection was rejected) is recorded as a failed attempt, never accepted', async () => {
    // Prepare: the gate rejects a blocked account.
    const serviceId = await enrolledService();
    const blocked = await createEndpoint(world, BLOCKED, serviceId);
    await settle(world);
    expect(await stateOf(world, serviceId, blocked)).toBe('rejected');
    // Act: an operator accepts it by hand; EC2 answers 200 with the endpoint in Unsuccessful.
    const answer = await world.provider.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [blocked] }),
    );
    expect(answer.Unsuccessful?.map((u) => u.ResourceId)).toEqual([blocked]);
    await settle(world);
    // Assess
    expect(await stateOf(world, serviceId, blocked)).toBe('rejected');
    const entries = await outcomesOf(world, blocked);
    // Sorted: the manual entry carries CloudTrail's whole-second event time.
    expect(entries.map((e) => [e.outcome, e.trigger]).sort()).toEqual([
      ['failed', 'cloudtrail'],
      ['rejected', 'notification'],
    ]);
    expect(entries.find((e) => e.trigger === 'cloudtrail')).toMatchObject({
      actor: OPERATOR,
      action: 'accept',
      requestId: answer.$metadata.requestId,
      error: { code: answer.Unsuccessful?.[0]?.Error?.Code },
    });
    expect(noticesOf(blocked).map((e) => e.outcome)).toEqual(['rejected', 'failed']);
  });

  it('an operator approval run in process with a non-gate key (plgate approve) is recorded once', async () => {
    // Prepare: a held request.
    const serviceId = await enrolledService();
    const stranger = await createEndpoint(world, STRANGER, serviceId);
    await settle(world);
    expect((await outcomesOf(world, stranger)).map((e) => e.outcome)).toEqual(['held']);
    // Act: what `plgate approve` does, with the operator's own key: an accept rule for the
    // endpoint, then a decision in process; CloudTrail then reports the operator's call.
    const clients = createClients({
      endpoint: world.cloud.endpoint,
      region: world.cloud.region,
      credentials: { accessKeyId: PROVIDER_KEY, secretAccessKey: 'local-secret' },
    });
    try {
      const adapters = createGateAdapters(world.gate.config, clients);
      const approval = new MemoryRulesStore([
        { kind: 'defaults', id: 'defaults', defaultEffect: 'review' },
        { kind: 'rule', id: `approve-${stranger}`, effect: 'accept', match: { endpoints: [stranger] } },
      ]);
      const decided = await decideConnectionEvent(
        { serviceId, endpointId: stranger, trigger: 'manual' },
        {
          ...decideDepsOf(adapters, 'plgate-cli-test', { actor: OPERATOR, reason: 'NET-7' }),
          rules: new RuleSetCache(approval),
        },
      );
      expect(decided.status).toBe('decided');
      await settle(world);
    } finally {
      for (const client of Object.values(clients)) client.destroy();
    }
    // Assess: one accepted entry, the gate's, with EC2's request id; no "human" duplicate.
    const entries = await outcomesOf(world, stranger);
    expect(entries.map((e) => [e.outcome, e.trigger])).toEqual([
      ['held', 'notification'],
      ['accepted', 'manual'],
    ]);
    expect(entries[1]).toMatchObject({ actor: OPERATOR, reason: 'NET-7' });
    expect(entries[1]?.requestId).toMatch(/\S/);
    expect(noticesOf(stranger).map((e) => e.outcome)).toEqual(['held', 'accepted']);
  });
});
