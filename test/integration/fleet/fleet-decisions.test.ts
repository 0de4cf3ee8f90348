/**
 * One hub deciding for a fleet on the local cloud: three member accounts in two regions each
 * (and a fourth member, throttled by a fault aimed at it), their spokes deployed into their
 * own accounts and regions from the synthesized assembly. In every member a consumer's request
 * is accepted, rejected or held (and then approved) by the hub's rules, recorded in one ledger
 * with the service's account and region. Across accounts only what the policies allow gets
 * through: a consumer cannot assume a spoke role, a wrong external id is refused, a member
 * cannot send to the hub's queue or read its tables. Costs are counted at the edge.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DeleteVpcEndpointConnectionNotificationsCommand,
  DescribeVpcEndpointConnectionNotificationsCommand,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../functions/shared/config.ts';
import {
  defaultExternalId,
  hubIngestQueueName,
  hubRoleName,
  spokeRoleArn,
} from '../../../functions/shared/fleet.ts';
import type { FleetMemberRegion } from '../../../local/fleet/members.ts';
import type { RoleSession } from '../../../local/identity.ts';
import { defaultEnvironmentLimit } from '../../../local/lambda/service.ts';
import { PROVIDER_CREDENTIALS } from '../../../local/provider-credentials.ts';
import { QueueDeniedError } from '../../../local/service.ts';
import { plgateInProcessWith } from '../../cli/run-plgate-in-process.ts';
import { awsCliVersion, runAws } from '../../support/aws-cli.ts';
import { awsError } from '../../support/local-cloud.ts';
import {
  createMemberEndpoint,
  createMemberService,
  edgeCalls,
  type FleetWorld,
  fleetOutcomesOf,
  HUB_ACCOUNT,
  HUB_REGION,
  memberStateOf,
  startLocalFleet,
  TEST_FLEET,
} from '../../support/local-fleet.ts';

/** 3 accounts x 2 regions, and a member whose EC2 answers the hub with RequestLimitExceeded, always (`--faults` aimed at it). */
const MEMBERS: FleetMemberRegion[] = TEST_FLEET.filter((m) => m.account !== '555555555555');
const THROTTLED: FleetMemberRegion = { account: '555555555555', region: 'eu-west-1' };

const ACCEPTED_CONSUMER = '777777777777';
const REJECTED_CONSUMER = '888888888888';
const HELD_CONSUMER = '999999999999';

/** The hub's functions that act in members (their roles are what the spoke roles trust). */
const ACTING = ['ingest', 'decide', 'sweep', 'operator'] as const;

const placeName = (place: FleetMemberRegion) => `${place.account}:${place.region}`;

let world: FleetWorld;
interface MemberCase {
  place: FleetMemberRegion;
  serviceId: string;
  accepted: string;
  rejected: string;
  held: string;
}
const cases: MemberCase[] = [];
let throttledService: string;

beforeAll(async () => {
  world = await startLocalFleet(TEST_FLEET, {
    faults: {
      rates: {},
      aimed: [{ name: 'ec2.throttle', account: THROTTLED.account, region: THROTTLED.region, rate: 1 }],
    },
  });
  // Off until the throttling test: every sweep lists each member, and the throttled one's
  // retries would only slow the other tests down.
  world.cloud.faults?.stop();
  await world.rules.putItems([
    { kind: 'defaults', id: 'defaults', defaultEffect: 'review' },
    { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: [ACCEPTED_CONSUMER] } },
    { kind: 'rule', id: 'blocked', effect: 'reject', match: { accounts: [REJECTED_CONSUMER] } },
  ]);
  await world.rules.bumpVersion();
  // Each member's provider creates a tagged service; the spoke forwards the call to the hub,
  // which enrolls it (a notification to the spoke topic) in the member.
  const services = await Promise.all(MEMBERS.map((place) => createMemberService(world, place)));
  await world.cloud.drain();
  for (const [index, place] of MEMBERS.entries()) {
    const serviceId = services[index] ?? '';
    const [accepted, rejected, held] = await Promise.all(
      [ACCEPTED_CONSUMER, REJECTED_CONSUMER, HELD_CONSUMER].map((consumer) =>
        createMemberEndpoint(world, consumer, place, serviceId),
      ),
    );
    cases.push({ place, serviceId, accepted: accepted ?? '', rejected: rejected ?? '', held: held ?? '' });
  }
  await world.cloud.drain();
  await world.cloud.settle();
}, 240_000);

afterAll(async () => {
  await world?.stop();
});

describe.each(MEMBERS.map((place) => ({ name: placeName(place), place })))('member $name', ({ place }) => {
  const memberCase = () => {
    const found = cases.find((c) => c.place === place);
    if (found === undefined) throw new Error(`no case for ${placeName(place)}`);
    return found;
  };

  it("accepts, rejects and holds its consumers' requests by the hub's rules, in the member's own EC2", async () => {
    const { serviceId, accepted, rejected, held } = memberCase();
    expect(await memberStateOf(world, place, serviceId, accepted)).toBe('available');
    expect(await memberStateOf(world, place, serviceId, rejected)).toBe('rejected');
    expect(await memberStateOf(world, place, serviceId, held)).toBe('pendingAcceptance');
  });

  it("records each decision once in the hub's one ledger, with the service's account and region", async () => {
    const { serviceId, accepted, rejected, held } = memberCase();
    for (const [endpointId, outcome] of [
      [accepted, 'accepted'],
      [rejected, 'rejected'],
      [held, 'held'],
    ] as const) {
      const entries = await fleetOutcomesOf(world, endpointId);
      expect(entries.map((e) => e.outcome)).toEqual([outcome]);
      expect(entries[0]).toMatchObject({
        serviceId,
        serviceAccount: place.account,
        serviceRegion: place.region,
      });
    }
  });

  it('approves a held request through the operator function, which finds the member by itself', async () => {
    const { serviceId, held } = memberCase();
    const result = await world.cloud.registry.lambda.invoke(
      `arn:aws:lambda:${HUB_REGION}:${HUB_ACCOUNT}:function:${world.gate.functionNames.operator}`,
      { action: 'approve', endpointId: held, reason: 'contract signed' },
      { kind: 'internal' },
    );
    expect(result.ok, JSON.stringify(result)).toBe(true);
    await world.cloud.drain();
    await world.cloud.settle();
    expect(await memberStateOf(world, place, serviceId, held)).toBe('available');
    const entries = await fleetOutcomesOf(world, held);
    expect(entries.map((e) => e.outcome)).toEqual(['held', 'accepted']);
    expect(entries[1]).toMatchObject({ serviceAccount: place.account, serviceRegion: place.region });
  });
});

/** The operator's shell with no FLEET_*: the provider's administrator, the gate found by its stack's name. */
function operatorShell(): NodeJS.ProcessEnv {
  return {
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL: world.cloud.endpoint,
    AWS_REGION: HUB_REGION,
    AWS_ACCESS_KEY_ID: 'operator',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
}

/** The operator's shell with the hub's fleet in FLEET_*, as its functions have it. */
function operatorEnv(): NodeJS.ProcessEnv {
  const fleet = world.gate.fleet;
  if (fleet === undefined) throw new Error('the test fleet has no fleet settings');
  return {
    ...operatorShell(),
    [ENV.fleetExternalId]: fleet.externalId,
    [ENV.fleetSpokeRoleName]: fleet.spokeRoleName,
    [ENV.fleetMembers]: fleet.members.map((m) => `${m.account}:${m.region}`).join(','),
  };
}

describe("operators act in members as the hub's functions do (config fleet.operators)", () => {
  // plgate local --fleet names the provider's administrators (arn:aws:iam::HUB:user/*) operators.
  it('plgate fleet assumes every spoke role with the operator’s own credentials', async () => {
    const run = await plgateInProcessWith(['fleet', '--json', '--stack', world.gate.stack.name], {
      env: operatorEnv(),
    });
    const { members } = JSON.parse(run.stdout) as {
      members: { account: string; region: string; roleAssumable: boolean; problem?: string }[];
    };
    expect(members.map((m) => `${m.account}:${m.region}`).sort()).toEqual(TEST_FLEET.map(placeName).sort());
    for (const member of members) expect(member, member.problem).toMatchObject({ roleAssumable: true });
  });

  it("plgate approve finds a held request's member by itself; the ledger names the operator", async () => {
    const place = MEMBERS[1] as FleetMemberRegion;
    const { serviceId } = cases.find((c) => c.place === place) as MemberCase;
    const held = await createMemberEndpoint(world, HELD_CONSUMER, place, serviceId);
    await world.cloud.drain();
    await world.cloud.settle();
    expect(await memberStateOf(world, place, serviceId, held)).toBe('pendingAcceptance');

    const run = await plgateInProcessWith(
      ['approve', held, '--reason', 'signed in person', '--stack', world.gate.stack.name],
      { env: operatorEnv() },
    );
    expect(run.code, run.stderr).toBe(0);
    await world.cloud.drain();
    await world.cloud.settle();
    expect(await memberStateOf(world, place, serviceId, held)).toBe('available');
    const [, approved] = await fleetOutcomesOf(world, held);
    expect(approved).toMatchObject({
      outcome: 'accepted',
      trigger: 'manual',
      reason: 'signed in person',
      // Who the operator is, as STS GetCallerIdentity tells it (the local cloud answers the
      // provider's administrator as the account root).
      actor: `arn:aws:iam::${HUB_ACCOUNT}:root`,
      serviceAccount: place.account,
      serviceRegion: place.region,
    });
  });
});

describe("the hub's fleet from its stack's outputs alone (no FLEET_*, no config file)", () => {
  const place = MEMBERS[2] as FleetMemberRegion;
  const memberService = () => (cases.find((c) => c.place === place) as MemberCase).serviceId;
  /** `--stack` and a config path that does not exist: only the stack's outputs can say the fleet. */
  const hubFlags = () => [
    '--stack',
    world.gate.stack.name,
    '--config',
    join(tmpdir(), `plgate-no-config-${process.pid}.json`),
  ];
  const stackOnly = (args: string[]) =>
    plgateInProcessWith([...args, ...hubFlags()], { env: operatorShell() });

  it('plgate fleet lists every member', async () => {
    const run = await stackOnly(['fleet', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const { fleet, members } = JSON.parse(run.stdout) as {
      fleet: boolean;
      members: { account: string; region: string; roleAssumable: boolean }[];
    };
    expect(fleet).toBe(true);
    expect(members.map(placeName).sort()).toEqual(TEST_FLEET.map(placeName).sort());
    for (const member of members) expect(member).toMatchObject({ roleAssumable: true });
  });

  it("plgate policy diff counts a member's waiting request among a change's consequences", async () => {
    const newcomer = '121212121212';
    const waiting = await createMemberEndpoint(world, newcomer, place, memberService());
    await world.cloud.drain();
    await world.cloud.settle();
    expect(await memberStateOf(world, place, memberService(), waiting)).toBe('pendingAcceptance');
    const directory = mkdtempSync(join(tmpdir(), 'plgate-fleet-policy-'));
    try {
      writeFileSync(
        join(directory, 'newcomer.yaml'),
        `rules:\n  - id: welcome-${newcomer}\n    effect: accept\n    match:\n      accounts: ["${newcomer}"]\n`,
      );
      const run = await stackOnly(['policy', 'diff', directory, '--json']);
      expect(run.code, run.stderr).toBe(1);
      const plan = JSON.parse(run.stdout) as { key: string; kind: string; consequences?: unknown }[];
      expect(plan.filter((change) => change.kind !== 'kept')).toEqual([
        expect.objectContaining({
          key: `rule/welcome-${newcomer}`,
          kind: 'added',
          consequences: { accept: 1, reject: 0, revoke: 0, drift: 0, hold: 0 },
        }),
      ]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("plgate sweep decides a request waiting in a member whose notification never arrived, and lists every member's services", async () => {
    const serviceId = memberService();
    const provider = world.memberEc2(place);
    const { ConnectionNotificationSet = [] } = await provider.send(
      new DescribeVpcEndpointConnectionNotificationsCommand({
        Filters: [{ Name: 'service-id', Values: [serviceId] }],
      }),
    );
    expect(ConnectionNotificationSet).toHaveLength(1);
    await provider.send(
      new DeleteVpcEndpointConnectionNotificationsCommand({
        ConnectionNotificationIds: ConnectionNotificationSet.map((n) => n.ConnectionNotificationId ?? ''),
      }),
    );
    const unseen = await createMemberEndpoint(world, ACCEPTED_CONSUMER, place, serviceId);
    await world.cloud.drain();
    await world.cloud.settle();
    expect(await fleetOutcomesOf(world, unseen)).toEqual([]);

    // --service finds the service among the members.
    const one = await stackOnly(['sweep', '--json', '--service', serviceId]);
    expect(one.code, one.stderr).toBe(0);
    const report = JSON.parse(one.stdout) as {
      services: { serviceId: string; serviceAccount?: string; serviceRegion?: string; enrolled: string[] }[];
    };
    expect(report.services).toEqual([
      expect.objectContaining({ serviceId, serviceAccount: place.account, serviceRegion: place.region }),
    ]);
    expect(await memberStateOf(world, place, serviceId, unseen)).toBe('available');
    expect(await fleetOutcomesOf(world, unseen)).toEqual([
      expect.objectContaining({
        outcome: 'accepted',
        trigger: 'sweep',
        serviceAccount: place.account,
        serviceRegion: place.region,
      }),
    ]);

    const all = await stackOnly(['sweep', '--json']);
    expect(all.code, all.stderr).toBe(0);
    const swept = (JSON.parse(all.stdout) as typeof report).services.map(
      (s) => `${s.serviceId} ${s.serviceAccount}:${s.serviceRegion}`,
    );
    expect(swept.sort()).toEqual(cases.map((c) => `${c.serviceId} ${placeName(c.place)}`).sort());
    await world.cloud.drain();
    await world.cloud.settle();
  });
});

describe('one ledger for the fleet', () => {
  it('holds every member region, and only the hub has tables', async () => {
    const places = new Set<string>();
    for (const { accepted, rejected } of cases) {
      for (const entry of [
        ...(await fleetOutcomesOf(world, accepted)),
        ...(await fleetOutcomesOf(world, rejected)),
      ])
        places.add(`${entry.serviceAccount}:${entry.serviceRegion}`);
    }
    expect([...places].sort()).toEqual(MEMBERS.map(placeName).sort());
  });
});

/** The sessions the tests took of the hub's roles: their AssumeRole calls are not the functions'. */
const testSessions = new Set<string>();

/** A session of one of the hub's acting functions' roles (what Lambda gives it). */
function hubSession(fn: 'decide' | 'sweep'): RoleSession {
  const session = world.cloud.iam.roles.issueSession(
    `arn:aws:iam::${HUB_ACCOUNT}:role/${hubRoleName(world.gate.stack.name, fn)}`,
    world.cloud.clock.now(),
  );
  testSessions.add(session.accessKeyId);
  return session;
}

const stsAs = (
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  region: string,
) => new STSClient({ endpoint: world.cloud.endpoint, region, credentials, maxAttempts: 1 });

describe('who may act in a member', () => {
  const member = MEMBERS[1] as FleetMemberRegion;
  const roleArn = () => spokeRoleArn('aws', member.account, member.region, 'plgate-spoke');
  const externalId = () => defaultExternalId(HUB_ACCOUNT, world.gate.stack.name);

  it('the AWS CLI assumes the spoke role as a hub function, and the session is the member (wire format)', async () => {
    expect(awsCliVersion(), 'the AWS CLI must be installed').toBeDefined();
    const session = hubSession('decide');
    const target = {
      endpoint: world.cloud.endpoint,
      accessKeyId: session.accessKeyId,
      region: member.region,
    };
    const assumed = (await runAws(target, [
      'sts',
      'assume-role',
      '--role-arn',
      roleArn(),
      '--role-session-name',
      'cli-proof',
      '--external-id',
      externalId(),
    ])) as { Credentials: { AccessKeyId: string; Expiration: string }; AssumedRoleUser: { Arn: string } };
    expect(assumed.AssumedRoleUser.Arn).toBe(
      `arn:aws:sts::${member.account}:assumed-role/plgate-spoke-${member.region}/cli-proof`,
    );
    expect(Date.parse(assumed.Credentials.Expiration)).toBeGreaterThan(world.cloud.clock.now());
    const sts = stsAs(
      { accessKeyId: assumed.Credentials.AccessKeyId, secretAccessKey: 'x', sessionToken: 'x' },
      member.region,
    );
    try {
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      expect(identity.Account).toBe(member.account);
      expect(identity.Arn).toBe(assumed.AssumedRoleUser.Arn);
    } finally {
      sts.destroy();
    }
  });

  it('a consumer cannot assume the spoke role, even with the external id (the AWS CLI sees AccessDenied)', async () => {
    await expect(
      runAws({ endpoint: world.cloud.endpoint, accessKeyId: ACCEPTED_CONSUMER, region: member.region }, [
        'sts',
        'assume-role',
        '--role-arn',
        roleArn(),
        '--role-session-name',
        'intruder',
        '--external-id',
        externalId(),
      ]),
    ).rejects.toThrow(/AccessDenied.*is not authorized to perform: sts:AssumeRole/);
  });

  it('a hub function with a wrong external id, or none, is refused', async () => {
    const session = hubSession('sweep');
    const sts = stsAs(session, member.region);
    try {
      for (const ExternalId of ['privatelink-gate:someone-else', undefined]) {
        const error = await awsError(
          sts.send(new AssumeRoleCommand({ RoleArn: roleArn(), RoleSessionName: 'x-check', ExternalId })),
        );
        expect(error.name).toBe('AccessDenied');
        expect(error.$metadata?.httpStatusCode).toBe(403);
      }
    } finally {
      sts.destroy();
    }
  });

  it("the spoke role's session may not accept on a service that is not tagged managed", async () => {
    const { Credentials } = await (async () => {
      const sts = stsAs(hubSession('decide'), member.region);
      try {
        return await sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn(),
            RoleSessionName: 'tag-check',
            ExternalId: externalId(),
          }),
        );
      } finally {
        sts.destroy();
      }
    })();
    const untagged = await world.memberEc2(member).send(
      new CreateVpcEndpointServiceConfigurationCommand({
        AcceptanceRequired: true,
        NetworkLoadBalancerArns: [
          `arn:aws:elasticloadbalancing:${member.region}:${member.account}:loadbalancer/net/other/0123456789abcdef`,
        ],
      }),
    );
    const { EC2Client } = await import('@aws-sdk/client-ec2');
    const asSpoke = new EC2Client({
      endpoint: world.cloud.endpoint,
      region: member.region,
      credentials: {
        accessKeyId: Credentials?.AccessKeyId ?? '',
        secretAccessKey: Credentials?.SecretAccessKey ?? '',
        sessionToken: Credentials?.SessionToken ?? '',
      },
      maxAttempts: 1,
    });
    try {
      const error = await awsError(
        asSpoke.send(
          new AcceptVpcEndpointConnectionsCommand({
            ServiceId: untagged.ServiceConfiguration?.ServiceId ?? '',
            VpcEndpointIds: ['vpce-0123456789abcdef0'],
          }),
        ),
      );
      expect(error.name).toBe('UnauthorizedOperation');
      expect(error.message).toContain(`assumed-role/plgate-spoke-${member.region}/tag-check`);
    } finally {
      asSpoke.destroy();
    }
  });

  it("a member cannot send to the hub's queue itself, nor read the hub's rules or ledger", async () => {
    const credentials = { accessKeyId: member.account, secretAccessKey: 'x' };
    const sqs = new SQSClient({
      endpoint: world.cloud.endpoint,
      region: HUB_REGION,
      credentials,
      maxAttempts: 1,
    });
    const dynamodb = new DynamoDBClient({
      endpoint: world.cloud.endpoint,
      region: HUB_REGION,
      credentials,
      maxAttempts: 1,
    });
    try {
      const queueUrl = `${world.cloud.endpoint}/${HUB_ACCOUNT}/${hubIngestQueueName(world.gate.stack.name)}`;
      const sent = await awsError(
        sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"Type":"Notification"}' })),
      );
      expect(sent.name).toMatch(/AccessDenied/);
      for (const table of [world.gate.config.rulesTable, world.gate.config.ledgerTable]) {
        const read = await awsError(
          dynamodb.send(
            new ScanCommand({ TableName: `arn:aws:dynamodb:${HUB_REGION}:${HUB_ACCOUNT}:table/${table}` }),
          ),
        );
        expect(read.name).toBe('AccessDeniedException');
      }
    } finally {
      sqs.destroy();
      dynamodb.destroy();
    }
  });
});

describe("deliveries across accounts, as the hub's policies allow", () => {
  const queueArn = () =>
    `arn:aws:sqs:${HUB_REGION}:${HUB_ACCOUNT}:${hubIngestQueueName(world.gate.stack.name)}`;
  const fromTopic = (topicArn: string) => ({
    kind: 'service' as const,
    principal: 'sns.amazonaws.com',
    sourceArn: topicArn,
    sourceAccount: '111111111111',
  });

  it("SNS delivers to the hub's queue from a member's spoke topic only", async () => {
    const member = MEMBERS[1] as FleetMemberRegion;
    const spokeTopic = `arn:aws:sns:${member.region}:${member.account}:plgate-spoke-ingest`;
    const otherTopic = `arn:aws:sns:${member.region}:${member.account}:not-the-spoke`;
    const strangerTopic = `arn:aws:sns:${member.region}:666666666666:plgate-spoke-ingest`;
    await expect(
      world.cloud.registry.sqs.send(queueArn(), '{"Type":"Probe"}', fromTopic(otherTopic)),
    ).rejects.toThrow(QueueDeniedError);
    await expect(
      world.cloud.registry.sqs.send(queueArn(), '{"Type":"Probe"}', fromTopic(strangerTopic)),
    ).rejects.toThrow(QueueDeniedError);
    // The spoke topic's delivery is what every member decision above came through; admitted here too.
    await expect(
      world.cloud.registry.sqs.send(queueArn(), '{"Type":"Probe"}', fromTopic(spokeTopic)),
    ).resolves.toBeUndefined();
    await world.cloud.drain();
  });

  it("a member cannot put events on the hub's bus itself (only its spoke's forwarding role may)", async () => {
    const member = MEMBERS[0] as FleetMemberRegion;
    const events = new EventBridgeClient({
      endpoint: world.cloud.endpoint,
      region: HUB_REGION,
      credentials: { accessKeyId: member.account, secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    try {
      const error = await awsError(
        events.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: `arn:aws:events:${HUB_REGION}:${HUB_ACCOUNT}:event-bus/${world.gate.config.gateBusName}`,
                Source: 'member.forged',
                DetailType: 'AWS API Call via CloudTrail',
                Detail: '{}',
              },
            ],
          }),
        ),
      );
      expect(error.name).toBe('AccessDeniedException');
    } finally {
      events.destroy();
    }
  });
});

describe('costs, counted at the edge', () => {
  /** The hub's functions' calls and their member sessions' calls: every signer that is a role session. */
  const gateCallers = (calls: Awaited<ReturnType<typeof edgeCalls>>) =>
    calls.filter((c) => c.caller.startsWith('ASIA') && c.caller !== PROVIDER_CREDENTIALS.accessKeyId);

  it('at most one AssumeRole per member region per function container, each in the member region', () => {
    const grants = world.cloud.registry.sts.grants();
    const byFunctionRole = new Map<string, { count: number; functionArn: string }>();
    const functionOfRole = new Map(
      ACTING.map((fn) => [
        hubRoleName(world.gate.stack.name, fn),
        `arn:aws:lambda:${HUB_REGION}:${HUB_ACCOUNT}:function:${world.gate.functionNames[fn]}`,
      ]),
    );
    for (const grant of grants) {
      const roleName = /assumed-role\/([^/]+)\//.exec(grant.callerArn)?.[1] ?? '';
      const functionArn = functionOfRole.get(roleName);
      if (functionArn === undefined || testSessions.has(grant.callerAccessKeyId)) continue;
      const key = `${roleName} -> ${grant.roleArn}`;
      const seen = byFunctionRole.get(key) ?? { count: 0, functionArn };
      byFunctionRole.set(key, { ...seen, count: seen.count + 1 });
      // Asked of the member region's own STS endpoint.
      expect(grant.roleArn.endsWith(`-${grant.region}`), JSON.stringify(grant)).toBe(true);
    }
    expect(byFunctionRole.size).toBeGreaterThan(0);
    for (const [key, { count, functionArn }] of byFunctionRole) {
      const containers = world.cloud.registry.lambda.environmentsStarted(functionArn);
      expect(count, `${key}: ${count} AssumeRole for ${containers} containers`).toBeLessThanOrEqual(
        containers,
      );
    }
  });

  it('a request in a member stays within the budget (EC2 3, DynamoDB 6, SNS 1, EventBridge 2), warm, with no STS', async () => {
    const place = MEMBERS[4] as FleetMemberRegion;
    const { serviceId } = cases.find((c) => c.place === place) as MemberCase;
    const assumedBefore = world.cloud.registry.sts.grants().length;
    // Warm-up: the functions' environments and the member's credentials.
    await createMemberEndpoint(world, ACCEPTED_CONSUMER, place, serviceId);
    await world.cloud.drain();
    await world.cloud.settle();
    await edgeCalls(world);
    const samples: Record<string, number>[] = [];
    const actions: Record<string, number>[] = [];
    for (let i = 0; i < 3; i += 1) {
      const endpointId = await createMemberEndpoint(world, ACCEPTED_CONSUMER, place, serviceId);
      await world.cloud.drain();
      await world.cloud.settle();
      await world.cloud.drain();
      expect(await memberStateOf(world, place, serviceId, endpointId)).toBe('available');
      const total: Record<string, number> = {};
      const byAction: Record<string, number> = {};
      for (const call of gateCallers(await edgeCalls(world))) {
        total[call.service] = (total[call.service] ?? 0) + call.count;
        byAction[`${call.service}:${call.action}`] =
          (byAction[`${call.service}:${call.action}`] ?? 0) + call.count;
      }
      samples.push(total);
      actions.push(byAction);
    }
    const median = (service: string) =>
      samples.map((s) => s[service] ?? 0).sort((a, b) => a - b)[1] ?? Number.NaN;
    const seen = JSON.stringify(actions);
    expect(median('ec2'), seen).toBeLessThanOrEqual(3);
    expect(median('dynamodb'), seen).toBeLessThanOrEqual(6);
    expect(median('sns'), seen).toBeLessThanOrEqual(1);
    expect(median('events'), seen).toBeLessThanOrEqual(2);
    expect(median('sts'), seen).toBe(0);
    // The credentials the first round got still served: no new AssumeRole into this member.
    const again = world.cloud.registry.sts
      .grants()
      .slice(assumedBefore)
      .filter((g) => g.roleArn.includes(place.account) && g.region === place.region);
    expect(again.length, JSON.stringify(again)).toBeLessThanOrEqual(defaultEnvironmentLimit());
  });

  it('a warm sweep costs EC2 per member region its three listings only: what the same services would cost in one account across the same regions', async () => {
    // The first sweep enrolls what is new and probes what is due; the second is the steady state.
    await world.gate.sweepNow();
    await world.cloud.settle();
    await edgeCalls(world);
    await world.gate.sweepNow();
    await world.cloud.settle();
    const ec2: Record<string, number> = {};
    for (const call of gateCallers(await edgeCalls(world)))
      if (call.service === 'ec2') ec2[call.action] = (ec2[call.action] ?? 0) + call.count;
    expect(ec2).toEqual({
      // Every member region is listed (the throttled one has no managed service).
      DescribeVpcEndpointServiceConfigurations: TEST_FLEET.length,
      // Which services need enrolling: one read per member region that has managed services.
      DescribeVpcEndpointConnectionNotifications: MEMBERS.length,
      // Every connection of a member region's services in one call (they fit in a page), which
      // also tells whether an approved endpoint is gone; no DryRun accept probe, nothing per service.
      DescribeVpcEndpointConnections: MEMBERS.length,
    });
  });
});

describe('a throttled member', () => {
  it("does not hold up another member's decisions; it is decided once the throttling stops", async () => {
    world.cloud.faults?.restart();
    throttledService = await createMemberService(world, THROTTLED);
    const healthy = MEMBERS[3] as FleetMemberRegion;
    const { serviceId } = cases.find((c) => c.place === healthy) as MemberCase;
    const changes: string[] = [];
    let healthyAccepted: () => void = () => {};
    const accepted = new Promise<void>((resolve) => {
      healthyAccepted = resolve;
    });
    const stopListening = world.cloud.ec2.onConnectionState((change) => {
      changes.push(`${change.endpointId} ${change.to}`);
      if (change.serviceId === serviceId && change.to === 'available') healthyAccepted();
    });
    try {
      // The throttled member's request first, then the healthy member's.
      const waiting = await createMemberEndpoint(world, ACCEPTED_CONSUMER, THROTTLED, throttledService);
      const decided = await createMemberEndpoint(world, ACCEPTED_CONSUMER, healthy, serviceId);
      await accepted;
      expect(changes).toContain(`${decided} available`);
      expect(changes).not.toContain(`${waiting} available`);
      expect(await memberStateOf(world, THROTTLED, throttledService, waiting)).toBe('pendingAcceptance');
      expect(world.cloud.faults?.injected['ec2.throttle']).toBeGreaterThan(0);
      expect((await fleetOutcomesOf(world, waiting)).map((e) => e.outcome)).not.toContain('accepted');

      // The throttling stops: what waited is decided (retries and the sweep, time moved on).
      world.cloud.faults?.stop();
      await world.cloud.elapse();
      await world.gate.sweepNow();
      await world.cloud.elapse();
      expect(await memberStateOf(world, THROTTLED, throttledService, waiting)).toBe('available');
      expect((await fleetOutcomesOf(world, waiting)).at(-1)).toMatchObject({
        outcome: 'accepted',
        serviceAccount: THROTTLED.account,
        serviceRegion: THROTTLED.region,
      });

      // plgate fleet counts the throttled attempts the hub's functions met, in that member only.
      const run = await plgateInProcessWith(['fleet', '--json', '--stack', world.gate.stack.name], {
        env: operatorEnv(),
      });
      const { members } = JSON.parse(run.stdout) as {
        members: { account: string; region: string; throttledCalls?: number }[];
      };
      const throttledCalls = new Map(members.map((m) => [placeName(m), m.throttledCalls]));
      expect(throttledCalls.get(placeName(THROTTLED))).toBeGreaterThan(0);
      expect(throttledCalls.get(placeName(healthy))).toBe(0);
    } finally {
      stopListening();
    }
  });
});
