/**
 * The gate's functions on the local cloud with IAM enforced: each signs with its own role's
 * key, and a permission its code needs but its role lacks fails here as it would on AWS.
 */
import { AcceptVpcEndpointConnectionsCommand, CreateTagsCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGED_TAG } from '../../../functions/shared/tables.ts';
import { PARTNER, STRANGER } from '../../support/accounts.ts';
import { gateRole } from '../../support/gate-role.ts';
import {
  createEndpoint,
  createService,
  ENFORCING_DEFAULTS,
  type LocalGateWorld,
  outcomesOf,
  startLocalGate,
  stateOf,
} from '../../support/local-gate.ts';

let world: LocalGateWorld;

beforeAll(async () => {
  world = await startLocalGate();
  await world.rules.putItems([
    ENFORCING_DEFAULTS,
    { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: [PARTNER] } },
  ]);
  await world.cloud.settle();
});

afterAll(async () => {
  await world?.stop();
});

/** The deployed stack's execution role of a function, as its template made it. */
const roleOf = (handler: 'decide' | 'ingest') => gateRole(world, handler);

type Statements = Record<string, unknown>[];

/** Runs `test` with one function's role policy changed by `change`, then restores it. */
async function withRole(
  name: 'decide' | 'ingest',
  change: (statements: Statements) => Statements,
  test: () => Promise<void>,
): Promise<void> {
  const restore = roleOf(name).change(change);
  try {
    await test();
  } finally {
    restore();
  }
}

const denials = (roleName: string, action: string) =>
  world.cloud.logs.filter(
    (line) =>
      line.includes('iam: denied') &&
      line.includes(`assumed-role/${roleName}/`) &&
      line.includes(`perform: ${action} on resource:`),
  );

describe('IAM enforcement of the functions', () => {
  it('without its accept statement, decide is refused by EC2: the invocation fails, nothing is accepted', async () => {
    const serviceId = await createService(world.provider);
    await world.gate.sweepNow();
    await world.cloud.settle();
    const decide = roleOf('decide').role.name;

    await withRole(
      'decide',
      (statements) => statements.filter((statement) => statement.Sid !== 'ActOnManagedServices'),
      async () => {
        const partner = await createEndpoint(world, PARTNER, serviceId);
        await world.cloud.settle();

        expect(denials(decide, 'ec2:AcceptVpcEndpointConnections')[0]).toContain(
          `vpc-endpoint-service/${serviceId} because no identity-based policy allows the ec2:AcceptVpcEndpointConnections action`,
        );
        // Every receive failed (the template's maxReceiveCount: 3): the decide queue
        // dead-letters the event, the sweep will pick it up.
        expect(denials(decide, 'ec2:AcceptVpcEndpointConnections')).toHaveLength(3);
        expect(world.gate.decideDeadLetters().some((body) => body.includes(partner))).toBe(true);
        expect(await stateOf(world, serviceId, partner)).toBe('pendingAcceptance');
        expect((await outcomesOf(world, partner)).map((entry) => entry.outcome)).not.toContain('accepted');
      },
    );
  });

  it('with the statement restored, decide accepts the same kind of request', async () => {
    const serviceId = await createService(world.provider);
    await world.gate.sweepNow();
    await world.cloud.settle();
    const partner = await createEndpoint(world, PARTNER, serviceId);
    await world.cloud.settle();
    expect(await stateOf(world, serviceId, partner)).toMatch(/pending|available/);
    expect((await outcomesOf(world, partner)).map((entry) => entry.outcome)).toEqual(['accepted']);
  });

  it("with the stack's ingest role before issue 10, a human accept is never recorded", async () => {
    const serviceId = await createService(world.provider, { managed: false });
    await world.provider.send(
      new CreateTagsCommand({
        Resources: [serviceId],
        Tags: [{ Key: MANAGED_TAG.key, Value: MANAGED_TAG.value }],
      }),
    );
    await world.cloud.settle();
    const stranger = await createEndpoint(world, STRANGER, serviceId);
    await world.cloud.settle();
    const ingest = roleOf('ingest').role.name;
    // What ingest had then: describe services (not connections), enroll, write the ledger, put events.
    const dropped = new Set(['DescribeConnections', 'ReadRules', 'PublishDecisions', 'EncryptDecisions']);
    const before = (statements: Statements): Statements => [
      ...statements.filter((statement) => !dropped.has(String(statement.Sid))),
      {
        Sid: 'DescribeServices',
        Effect: 'Allow',
        Action: ['ec2:DescribeVpcEndpointServiceConfigurations'],
        Resource: ['*'],
      },
    ];

    await withRole('ingest', before, async () => {
      await world.provider.send(
        new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [stranger] }),
      );
      await world.cloud.settle();
      expect(denials(ingest, 'ec2:DescribeVpcEndpointConnections').length).toBeGreaterThan(0);
      expect((await outcomesOf(world, stranger)).map((entry) => entry.trigger)).toEqual(['notification']);
    });
  });

  it("with today's ingest role, a human accept is recorded and notified", async () => {
    const serviceId = await createService(world.provider);
    await world.gate.sweepNow();
    await world.cloud.settle();
    const stranger = await createEndpoint(world, STRANGER, serviceId);
    await world.cloud.settle();
    await world.provider.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [stranger] }),
    );
    await world.cloud.settle();
    // Sorted: a manual entry carries CloudTrail's whole-second event time.
    expect((await outcomesOf(world, stranger)).map((entry) => [entry.outcome, entry.trigger]).sort()).toEqual(
      [
        ['accepted', 'cloudtrail'],
        ['held', 'notification'],
      ],
    );
    expect(denials(roleOf('ingest').role.name, 'sns:Publish')).toEqual([]);
  });
});
