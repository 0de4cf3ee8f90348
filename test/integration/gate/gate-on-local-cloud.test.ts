/**
 * The gate's handlers on the local cloud, end to end through real SDK clients: consumers
 * ask, notifications flow through ingest and the bus to decide, the sweep reconciles,
 * rule edits flow through the table's stream.
 */
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateTagsCommand,
  DeleteVpcEndpointConnectionNotificationsCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointConnectionNotificationsCommand,
} from '@aws-sdk/client-ec2';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPE } from '../../../functions/shared/events.ts';
import { MANAGED_TAG } from '../../../functions/shared/tables.ts';
import { BLOCKED, PARTNER, STRANGER } from '../../support/accounts.ts';
import { ec2For, snsFor } from '../../support/local-cloud.ts';
import {
  createEndpoint,
  createService,
  ENFORCING_DEFAULTS,
  type LocalGateWorld,
  notices,
  outcomesOf,
  settle,
  startLocalGate,
  stateOf,
} from '../../support/local-gate.ts';

let world: LocalGateWorld;
let vpce: SNSClient;

beforeAll(async () => {
  world = await startLocalGate();
  await world.rules.putItems([
    ENFORCING_DEFAULTS,
    { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: [PARTNER] } },
    { kind: 'rule', id: 'blocked', effect: 'reject', match: { accounts: [BLOCKED] } },
  ]);
  await settle(world);
  // Connection notifications are published by vpce.amazonaws.com; the SNS API is how they arrive.
  vpce = snsFor(world.cloud);
});

afterAll(async () => {
  vpce?.destroy();
  await world?.stop();
});

async function enrolledService(options: { managed?: boolean } = {}): Promise<string> {
  const serviceId = await createService(world.provider, options);
  await world.gate.sweepNow();
  await settle(world);
  return serviceId;
}

describe('decisions on connection notifications', () => {
  it('accepts an allowed account, rejects a blocked one and holds an unknown one', async () => {
    const serviceId = await enrolledService();
    const partner = await createEndpoint(world, PARTNER, serviceId);
    const blocked = await createEndpoint(world, BLOCKED, serviceId);
    const stranger = await createEndpoint(world, STRANGER, serviceId);
    await settle(world);

    expect(await stateOf(world, serviceId, partner)).toMatch(/pending|available/);
    expect(await stateOf(world, serviceId, blocked)).toBe('rejected');
    expect(await stateOf(world, serviceId, stranger)).toBe('pendingAcceptance');
    expect((await outcomesOf(world, partner)).map((e) => [e.outcome, e.rule, e.trigger])).toEqual([
      ['accepted', 'partners', 'notification'],
    ]);
    expect((await outcomesOf(world, blocked)).map((e) => e.outcome)).toEqual(['rejected']);
    expect((await outcomesOf(world, stranger)).map((e) => e.outcome)).toEqual(['held']);
    const decided = world.cloud.events
      .events(world.gate.config.gateBusName)
      .filter((e) => e['detail-type'] === DETAIL_TYPE.connectionDecision);
    expect(decided.length).toBeGreaterThanOrEqual(3);
    expect(notices(world).some((n) => n.kind === 'decision' && n.entry.endpointId === stranger)).toBe(true);
  });

  it('expires a held request once its review TTL has passed', async () => {
    const serviceId = await enrolledService();
    // A TTL longer than the decide queue's batching window (1 s), so the request is decided
    // (held) before it expires.
    await world.rules.putItems([{ kind: 'service', id: serviceId, pendingTtl: 'PT1M' }]);
    await settle(world);
    const stranger = await createEndpoint(world, STRANGER, serviceId);
    await settle(world);
    expect((await outcomesOf(world, stranger)).map((e) => e.outcome)).toEqual(['held']);
    // The TTL passes on the gate's clock, as between two scheduled sweeps, without waiting for it.
    world.gate.advanceClock(61_000);
    await world.gate.sweepNow();
    await settle(world);
    expect(await stateOf(world, serviceId, stranger)).toBe('rejected');
    expect((await outcomesOf(world, stranger)).map((e) => e.outcome)).toEqual(['held', 'expired']);
  });

  it('records what it would do in dry-run and acts on nothing', async () => {
    const serviceId = await enrolledService();
    await world.rules.putItems([{ kind: 'service', id: serviceId, mode: 'dry-run' }]);
    await settle(world);
    const partner = await createEndpoint(world, PARTNER, serviceId);
    await settle(world);
    await world.gate.sweepNow();
    await settle(world);
    expect(await stateOf(world, serviceId, partner)).toBe('pendingAcceptance');
    expect((await outcomesOf(world, partner)).map((e) => [e.outcome, e.dryRun])).toEqual([
      ['accepted', true],
    ]);
  });

  it('leaves a service that is not tagged managed untouched', async () => {
    const serviceId = await enrolledService({ managed: false });
    const partner = await createEndpoint(world, PARTNER, serviceId);
    await world.gate.sweepNow();
    await settle(world);
    expect(await stateOf(world, serviceId, partner)).toBe('pendingAcceptance');
    expect(await outcomesOf(world, partner)).toEqual([]);
    const { ConnectionNotificationSet = [] } = await world.provider.send(
      new DescribeVpcEndpointConnectionNotificationsCommand({
        Filters: [{ Name: 'service-id', Values: [serviceId] }],
      }),
    );
    expect(ConnectionNotificationSet).toEqual([]);
  });
});

describe("the provider's own calls (CloudTrail on the default bus)", () => {
  it('enrolls a service the moment it is tagged, and records a human accept as manual', async () => {
    const serviceId = await createService(world.provider, { managed: false });
    await settle(world);
    await world.provider.send(
      new CreateTagsCommand({
        Resources: [serviceId],
        Tags: [{ Key: MANAGED_TAG.key, Value: MANAGED_TAG.value }],
      }),
    );
    await settle(world);
    const { ConnectionNotificationSet = [] } = await world.provider.send(
      new DescribeVpcEndpointConnectionNotificationsCommand({
        Filters: [{ Name: 'service-id', Values: [serviceId] }],
      }),
    );
    expect(ConnectionNotificationSet.map((n) => n.ConnectionNotificationArn)).toEqual([
      world.gate.config.ingestTopicArn,
    ]);

    // An operator accepts a held request by hand, outside the gate.
    const stranger = await createEndpoint(world, STRANGER, serviceId);
    await settle(world);
    await world.provider.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [stranger] }),
    );
    await settle(world);
    // A manual entry is stamped with CloudTrail's event time, which has whole seconds only:
    // within one second it may sort before the held entry.
    const entries = await outcomesOf(world, stranger);
    expect(entries.map((e) => [e.outcome, e.trigger]).sort()).toEqual([
      ['accepted', 'cloudtrail'],
      ['held', 'notification'],
    ]);
    expect(entries.find((e) => e.trigger === 'cloudtrail')?.actor).toBe(
      'arn:aws:iam::000000000000:user/test',
    );
    // The gate's own accepts are never mistaken for a human's.
    const partner = await createEndpoint(world, PARTNER, serviceId);
    await settle(world);
    expect((await outcomesOf(world, partner)).map((e) => e.trigger)).toEqual(['notification']);
  });
});

describe('rule changes', () => {
  it('a rule edited in the table decides the next request, and re-decides what waits', async () => {
    const serviceId = await enrolledService();
    const waiting = await createEndpoint(world, '777777777777', serviceId);
    await settle(world);
    expect((await outcomesOf(world, waiting)).map((e) => e.outcome)).toEqual(['held']);

    await world.rules.putItems([
      {
        kind: 'rule',
        id: 'welcome-777',
        effect: 'accept',
        services: [serviceId],
        match: { accounts: ['777777777777'] },
      },
    ]);
    await settle(world);
    expect((await outcomesOf(world, waiting)).map((e) => [e.outcome, e.rule, e.trigger])).toEqual([
      ['held', null, 'notification'],
      ['accepted', 'welcome-777', 'sweep'],
    ]);
    const next = await createEndpoint(world, '777777777777', serviceId);
    await settle(world);
    expect((await outcomesOf(world, next)).map((e) => e.outcome)).toEqual(['accepted']);
  });

  it('reports an invalid reject rule, holds what it covers for review, and never lets it open the gate', async () => {
    const serviceId = await enrolledService();
    await world.rules.putItems([
      { kind: 'rule', id: 'broken', effect: 'reject', services: [serviceId], match: { accounts: ['12345'] } },
    ]);
    await settle(world);
    const problems = notices(world).filter((n) => n.kind === 'invalid-rule');
    expect(problems.map((n) => n.kind === 'invalid-rule' && n.item)).toContainEqual({
      kind: 'rule',
      id: 'broken',
    });
    expect(JSON.stringify(problems)).toContain('match.accounts');
    expect(JSON.stringify(problems)).toContain(`every request of service ${serviceId} is held for review`);

    // The partner rule still decides; while an unreadable rule might reject, nothing is accepted.
    const partner = await createEndpoint(world, PARTNER, serviceId);
    const blocked = await createEndpoint(world, BLOCKED, serviceId);
    await settle(world);
    expect((await outcomesOf(world, blocked)).map((e) => e.outcome)).toEqual(['rejected']);
    const held = await outcomesOf(world, partner);
    expect(held.map((e) => e.outcome)).toEqual(['held']);
    expect(held[0]?.reasons.join(' ')).toContain('broken');

    await world.rules.deleteItems([{ kind: 'rule', id: 'broken' }]);
    await settle(world);
    expect((await outcomesOf(world, partner)).map((e) => e.outcome)).toEqual(['held', 'accepted']);
  });
});

describe('a held service', () => {
  it('an invalid service item holds the service: no accept or reject until it is fixed', async () => {
    const serviceId = await enrolledService();
    await world.rules.putItems([{ kind: 'service', id: serviceId, mode: 'dryrun' }]);
    await settle(world);
    const problems = notices(world).filter((n) => n.kind === 'invalid-rule' && n.item.id === serviceId);
    expect(JSON.stringify(problems)).toContain(`service ${serviceId} is held`);

    const partner = await createEndpoint(world, PARTNER, serviceId);
    const blocked = await createEndpoint(world, BLOCKED, serviceId);
    await settle(world);
    await world.gate.sweepNow();
    await settle(world);
    expect(await stateOf(world, serviceId, partner)).toBe('pendingAcceptance');
    expect(await stateOf(world, serviceId, blocked)).toBe('pendingAcceptance');
    expect((await outcomesOf(world, partner)).map((e) => e.outcome)).toEqual(['held']);
    expect((await outcomesOf(world, blocked)).map((e) => e.outcome)).toEqual(['held']);

    await world.rules.putItems([{ kind: 'service', id: serviceId, mode: 'enforce' }]);
    await settle(world);
    expect(await stateOf(world, serviceId, partner)).toBe('available');
    expect(await stateOf(world, serviceId, blocked)).toBe('rejected');
  });
});

describe('faults and races', () => {
  it('does nothing for an endpoint its consumer deleted before the gate got to it', async () => {
    const serviceId = await createService(world.provider);
    const partner = await createEndpoint(world, PARTNER, serviceId);
    const consumer = ec2For(world.cloud, PARTNER);
    await consumer.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [partner] }));
    consumer.destroy();
    await world.gate.sweepNow();
    await settle(world);
    expect(await stateOf(world, serviceId, partner)).toMatch(/deleting|deleted/);
    expect(await outcomesOf(world, partner)).toEqual([]);
  });

  it('acts once on duplicate and out-of-order notifications', async () => {
    const serviceId = await enrolledService();
    const partner = await createEndpoint(world, PARTNER, serviceId);
    await settle(world);
    const { ingestTopicArn } = world.gate.config;
    const connect = JSON.stringify({
      ServiceId: serviceId,
      VpcEndpointId: partner,
      ConnectionEvent: 'Connect',
    });
    const accept = JSON.stringify({
      ServiceId: serviceId,
      VpcEndpointId: partner,
      ConnectionEvent: 'Accept',
    });
    for (const message of [connect, accept, connect, connect]) {
      await vpce.send(new PublishCommand({ TopicArn: ingestTopicArn, Message: message }));
    }
    await settle(world);
    expect((await outcomesOf(world, partner)).map((e) => e.outcome)).toEqual(['accepted']);
  });

  it('the sweep decides a request whose notification never arrived', async () => {
    const serviceId = await enrolledService();
    const { ConnectionNotificationSet = [] } = await world.provider.send(
      new DescribeVpcEndpointConnectionNotificationsCommand({
        Filters: [{ Name: 'service-id', Values: [serviceId] }],
      }),
    );
    expect(ConnectionNotificationSet).toHaveLength(1);
    await world.provider.send(
      new DeleteVpcEndpointConnectionNotificationsCommand({
        ConnectionNotificationIds: ConnectionNotificationSet.map((n) => n.ConnectionNotificationId ?? ''),
      }),
    );
    const partner = await createEndpoint(world, PARTNER, serviceId);
    await settle(world);
    expect(await outcomesOf(world, partner)).toEqual([]);
    await world.gate.sweepNow();
    await settle(world);
    expect((await outcomesOf(world, partner)).map((e) => [e.outcome, e.trigger])).toEqual([
      ['accepted', 'sweep'],
    ]);
  });

  it('drops a spoofed notification that names a foreign service', async () => {
    const foreign = 'vpce-svc-0f0f0f0f0f0f0f0f0';
    const before = world.cloud.events.events(world.gate.config.gateBusName).length;
    await vpce.send(
      new PublishCommand({
        TopicArn: world.gate.config.ingestTopicArn,
        Message: JSON.stringify({
          ServiceId: foreign,
          VpcEndpointId: 'vpce-0f0f0f0f0f0f0f0f0',
          ConnectionEvent: 'Connect',
        }),
      }),
    );
    await settle(world);
    expect(world.cloud.events.events(world.gate.config.gateBusName).length).toBe(before);
  });
});
