/**
 * Members the hub cannot reach, on the local cloud: one whose spoke role expects another
 * external id, one whose spoke stack was deleted (DeleteStack), one whose role lost accept.
 * Each is unhealthy (one notice), nothing is accepted there and its request waits, while a
 * healthy member's request is accepted as usual; once each is fixed it recovers (one notice)
 * and what waited is decided.
 */
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberHealthNotice } from '../../../functions/gate/ports.ts';
import { spokeRoleArn } from '../../../functions/shared/fleet.ts';
import type { FleetMemberRegion } from '../../../local/fleet/members.ts';
import type { LocalRole } from '../../../local/identity.ts';
import { awsError } from '../../support/local-cloud.ts';
import {
  createMemberEndpoint,
  createMemberService,
  type FleetWorld,
  fleetOutcomesOf,
  memberStateOf,
  redeploySpoke,
  spokeStackName,
  startLocalFleet,
  TEST_FLEET,
} from '../../support/local-fleet.ts';
import { notices } from '../../support/local-gate.ts';

const HEALTHY: FleetMemberRegion = { account: '111111111111', region: 'us-east-1' };
const WRONG_EXTERNAL_ID: FleetMemberRegion = { account: '222222222222', region: 'eu-west-1' };
const SPOKE_DELETED: FleetMemberRegion = { account: '444444444444', region: 'us-east-1' };
const NO_ACCEPT: FleetMemberRegion = { account: '555555555555', region: 'eu-west-1' };
const MEMBERS = [HEALTHY, WRONG_EXTERNAL_ID, SPOKE_DELETED, NO_ACCEPT];
const BROKEN = [WRONG_EXTERNAL_ID, SPOKE_DELETED, NO_ACCEPT];
const CONSUMER = '777777777777';

const placeName = (place: FleetMemberRegion) => `${place.account}:${place.region}`;
const roleArnOf = (place: FleetMemberRegion) =>
  spokeRoleArn('aws', place.account, place.region, 'plgate-spoke');

let world: FleetWorld;
const requests = new Map<string, { serviceId: string; endpointId: string }>();
let original: { trust: LocalRole; policy: LocalRole };

function roleOf(place: FleetMemberRegion): LocalRole {
  const role = world.cloud.iam.roles.byRoleArn(roleArnOf(place));
  if (role === undefined) throw new Error(`no spoke role in ${placeName(place)}`);
  return role;
}

const healthNotices = (place: FleetMemberRegion): MemberHealthNotice[] =>
  notices(world).filter(
    (n): n is MemberHealthNotice =>
      n.kind === 'member-health' && n.account === place.account && n.region === place.region,
  );

/**
 * The sweep, then whatever it set going, with time moved on where only timers are left: a
 * broken member's requests are retried after their queue's visibility timeout, which this
 * skips instead of waiting out.
 */
async function decideAll(): Promise<string | undefined> {
  let failure: string | undefined;
  await world.gate.sweepNow().catch((error: unknown) => {
    failure = error instanceof Error ? error.message : String(error);
  });
  await world.cloud.elapse();
  return failure;
}

/** Why the last sweep while members were broken failed. */
let sweepFailure: string | undefined;

beforeAll(async () => {
  // The test fleet (one assembly for every fleet test); these four are the cast.
  world = await startLocalFleet(TEST_FLEET);
  // Broken before the hub ever acts in them.
  const trusted = roleOf(WRONG_EXTERNAL_ID);
  const policy = roleOf(NO_ACCEPT);
  original = { trust: structuredClone(trusted), policy: structuredClone(policy) };
  world.cloud.iam.roles.define({
    ...trusted,
    trustPolicy: JSON.parse(
      JSON.stringify(trusted.trustPolicy).replace(
        /privatelink-gate:[0-9]{12}:[A-Za-z0-9-]+/,
        'an-old-external-id',
      ),
    ) as Record<string, unknown>,
  });
  world.cloud.iam.roles.putPolicy(
    roleArnOf(NO_ACCEPT),
    policy.statements.map((statement) => ({
      ...statement,
      Action: ([] as string[])
        .concat(statement.Action as string | string[])
        .filter((action) => action !== 'ec2:AcceptVpcEndpointConnections'),
    })),
  );
  const cfn = new CloudFormationClient({
    endpoint: world.cloud.endpoint,
    region: SPOKE_DELETED.region,
    credentials: { accessKeyId: SPOKE_DELETED.account, secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  try {
    await cfn.send(new DeleteStackCommand({ StackName: spokeStackName(world, SPOKE_DELETED) }));
    const gone = await awsError(
      cfn.send(new DescribeStacksCommand({ StackName: spokeStackName(world, SPOKE_DELETED) })),
    );
    expect(gone.message).toMatch(/does not exist/);
  } finally {
    cfn.destroy();
  }
  expect(world.cloud.iam.roles.byRoleArn(roleArnOf(SPOKE_DELETED))).toBeUndefined();

  await world.rules.putItems([
    { kind: 'defaults', id: 'defaults', defaultEffect: 'review' },
    { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: [CONSUMER] } },
  ]);
  await world.rules.bumpVersion();
  for (const place of MEMBERS) {
    const serviceId = await createMemberService(world, place);
    await world.cloud.elapse();
    const endpointId = await createMemberEndpoint(world, CONSUMER, place, serviceId);
    requests.set(placeName(place), { serviceId, endpointId });
  }
  await world.cloud.elapse();
  sweepFailure = await decideAll();
}, 240_000);

afterAll(async () => {
  await world?.stop();
});

const requestIn = (place: FleetMemberRegion) => {
  const request = requests.get(placeName(place));
  if (request === undefined) throw new Error(`no request in ${placeName(place)}`);
  return request;
};

describe('while members are broken', () => {
  it('the healthy member goes on: its request is accepted', async () => {
    const { serviceId, endpointId } = requestIn(HEALTHY);
    expect(await memberStateOf(world, HEALTHY, serviceId, endpointId)).toBe('available');
    expect((await fleetOutcomesOf(world, endpointId)).map((e) => e.outcome)).toEqual(['accepted']);
    expect(healthNotices(HEALTHY).filter((n) => !n.healthy)).toEqual([]);
  });

  it.each(BROKEN.map((place) => ({ name: placeName(place), place })))(
    '$name: unhealthy, one notice saying why, and nothing accepted there',
    async ({ place }) => {
      const { serviceId, endpointId } = requestIn(place);
      expect(await memberStateOf(world, place, serviceId, endpointId)).toBe('pendingAcceptance');
      expect((await fleetOutcomesOf(world, endpointId)).map((e) => e.outcome)).not.toContain('accepted');
      const notices = healthNotices(place);
      expect(notices.map((n) => n.healthy)).toEqual([false]);
      expect(notices[0]?.reason).toMatch(place === NO_ACCEPT ? /accept not allowed/ : /AccessDenied/);
    },
  );

  it('the sweep fails for the member whose role lost accept only, after sweeping the others', () => {
    const { serviceId } = requestIn(NO_ACCEPT);
    expect(sweepFailure).toMatch(
      new RegExp(
        `could not finish ${serviceId}: .*not authorized to perform: ec2:AcceptVpcEndpointConnections`,
      ),
    );
  });

  it('another sweep sends no second notice', async () => {
    await decideAll();
    for (const place of BROKEN) expect(healthNotices(place)).toHaveLength(1);
  });
});

describe('once fixed', () => {
  it('each broken member recovers (one notice) and what waited there is accepted', async () => {
    world.cloud.iam.roles.define(original.trust);
    world.cloud.iam.roles.putPolicy(roleArnOf(NO_ACCEPT), original.policy.statements);
    await redeploySpoke(world, SPOKE_DELETED);
    await decideAll();
    expect(await decideAll()).toBeUndefined();
    for (const place of BROKEN) {
      const { serviceId, endpointId } = requestIn(place);
      expect(await memberStateOf(world, place, serviceId, endpointId), placeName(place)).toBe('available');
      expect((await fleetOutcomesOf(world, endpointId)).at(-1)).toMatchObject({
        outcome: 'accepted',
        serviceAccount: place.account,
        serviceRegion: place.region,
      });
      expect(
        healthNotices(place).map((n) => n.healthy),
        placeName(place),
      ).toEqual([false, true]);
    }
  });
});

describe('a spoke deleted and deployed again while the hub holds sessions of its old role', () => {
  it('is reached with a new session once the old one is refused: what waits there is accepted', async () => {
    const { serviceId } = requestIn(HEALTHY);
    const cfn = new CloudFormationClient({
      endpoint: world.cloud.endpoint,
      region: HEALTHY.region,
      credentials: { accessKeyId: HEALTHY.account, secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    try {
      await cfn.send(new DeleteStackCommand({ StackName: spokeStackName(world, HEALTHY) }));
      const gone = await awsError(
        cfn.send(new DescribeStacksCommand({ StackName: spokeStackName(world, HEALTHY) })),
      );
      expect(gone.message).toMatch(/does not exist/);
    } finally {
      cfn.destroy();
    }
    expect(world.cloud.iam.roles.byRoleArn(roleArnOf(HEALTHY))).toBeUndefined();
    await redeploySpoke(world, HEALTHY);
    const assumedBefore = world.cloud.registry.sts.grants().length;
    // The hub's sessions were assumed over 5 minutes ago: the first refusal drops them.
    world.cloud.clock.advance(6 * 60_000);
    const endpointId = await createMemberEndpoint(world, CONSUMER, HEALTHY, serviceId);
    await world.cloud.elapse();
    // The first refusals drop the old sessions (the sweep's, decide's); the next calls assume anew.
    await decideAll();
    await decideAll();
    expect(await memberStateOf(world, HEALTHY, serviceId, endpointId)).toBe('available');
    expect((await fleetOutcomesOf(world, endpointId)).at(-1)).toMatchObject({
      outcome: 'accepted',
      serviceAccount: HEALTHY.account,
      serviceRegion: HEALTHY.region,
    });
    expect(world.cloud.registry.sts.grants().length).toBeGreaterThan(assumedBefore);
  });
});
