/**
 * A fleet's hub at its edges, with plain data and aws-sdk-client-mock: services routed to the
 * member they live in, spoke deliveries, member health announced once per change, and the
 * service's account and region carried by ledger entries (read back both ways).
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AcceptVpcEndpointConnectionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { inServicePlace } from '../../../cli/commands/connections.ts';
import { entryInServicePlace } from '../../../cli/commands/history.ts';
import { fleetStatus } from '../../../cli/fleet-status.ts';
import {
  FleetEndpointServices,
  ServiceNotInFleetError,
} from '../../../functions/aws/fleet-endpoint-services.ts';
import { entryOf, toLedgerEntry } from '../../../functions/aws/ledger-item-codec.ts';
import { MemberCredentials } from '../../../functions/aws/member-credentials.ts';
import { DynamoMemberStates } from '../../../functions/aws/member-states.ts';
import {
  chatbotNotification,
  formatNoticeMessage,
  noticeAttributes,
} from '../../../functions/aws/notice-message.ts';
import type { Connection } from '../../../functions/core/connection.ts';
import { ingestNotifications } from '../../../functions/gate/ingest.ts';
import { ledgerEntry } from '../../../functions/gate/ledger-entry.ts';
import { reportMemberHealth } from '../../../functions/gate/member-health.ts';
import type {
  ActionResult,
  EndpointServices,
  LedgerEntry,
  ManagedService,
  Notice,
} from '../../../functions/gate/ports.ts';
import {
  ingestSpokeDeliveries,
  readSpokeDelivery,
  spokeMemberOf,
} from '../../../functions/gate/spoke-delivery.ts';
import { ConfigError, readFleetSettings } from '../../../functions/shared/config.ts';
import type { ConnectionEventDetail } from '../../../functions/shared/events.ts';
import { A, assumeRoleExcept, B, C, SVC_A, SVC_B } from './members-for-tests.ts';

const ENDPOINT = 'vpce-0123456789abcdef0';
const denied = (name: string) => Object.assign(new Error(`${name} says no`), { name });

/** One member's EC2 as plain data: its services and the calls made to it. */
class FakeMember implements EndpointServices {
  calls: string[] = [];
  constructor(
    readonly place: { account: string; region: string },
    readonly services: string[],
    readonly failure?: Error,
  ) {}
  #check(call: string) {
    this.calls.push(call);
    if (this.failure) throw this.failure;
  }
  async listManagedServices(): Promise<ManagedService[]> {
    this.#check('list');
    return this.services.map((serviceId) => ({ serviceId, acceptanceRequired: true, tags: {} }));
  }
  async describeConnections(serviceId: string): Promise<Connection[]> {
    this.#check(`describe ${serviceId}`);
    return [
      {
        serviceId,
        endpointId: ENDPOINT,
        account: '999999999999',
        state: 'pendingAcceptance',
        createdAt: new Date(0),
        tags: {},
        loadBalancerArns: [],
        serviceAccount: this.place.account,
        serviceRegion: this.place.region,
      },
    ];
  }
  async pageConnections(serviceId: string) {
    return { connections: await this.describeConnections(serviceId) };
  }
  async accept(serviceId: string, endpointIds: string[]): Promise<ActionResult> {
    this.#check(`accept ${serviceId} ${endpointIds.join(',')}`);
    return { succeeded: endpointIds, requestIds: {}, failed: [] };
  }
  async reject(serviceId: string, endpointIds: string[]): Promise<ActionResult> {
    this.#check(`reject ${serviceId}`);
    return { succeeded: endpointIds, requestIds: {}, failed: [] };
  }
  async isManaged(serviceId: string) {
    this.#check(`isManaged ${serviceId}`);
    return this.services.includes(serviceId);
  }
  async enroll(serviceId: string, topicArn: string) {
    this.#check(`enroll ${serviceId} ${topicArn}`);
    return { changed: [] };
  }
  async connectionsOfServices(serviceIds: readonly string[]) {
    this.#check(`connections of ${serviceIds.join(',')}`);
    return new Map(
      await Promise.all(serviceIds.map(async (id) => [id, await this.describeConnections(id)] as const)),
    );
  }
  async enrolledServices(services: readonly ManagedService[], topicArn: string) {
    this.#check(`enrolled? ${services.map((s) => s.serviceId).join(',')} ${topicArn}`);
    return new Set(services.map((s) => s.serviceId));
  }
}

function fleetOf(members: FakeMember[]) {
  const byKey = new Map(members.map((m) => [`${m.place.account}:${m.place.region}`, m]));
  return new FleetEndpointServices({
    members: () => members.map((m) => m.place),
    ec2: {
      endpointServicesFor: (account, region) => {
        const member = byKey.get(`${account}:${region}`);
        if (!member) throw new Error(`no member ${account}:${region}`);
        return member;
      },
    },
    spokeRoleName: 'plgate-spoke',
  });
}

describe('FleetEndpointServices', () => {
  it("routes every call for a service to the member it lives in, and enrolls it on that member's spoke topic", async () => {
    const a = new FakeMember(A, [SVC_A]);
    const b = new FakeMember(B, [SVC_B]);
    const fleet = fleetOf([a, b]);

    expect((await fleet.listManagedServices()).map((s) => s.serviceId)).toEqual([SVC_A, SVC_B]);
    await fleet.accept(SVC_B, [ENDPOINT]);
    const [connection] = await fleet.describeConnections(SVC_B);
    await fleet.enroll(SVC_B, 'arn:aws:sns:us-east-1:000000000000:hub-ingest');

    expect(b.calls).toEqual([
      'list',
      `accept ${SVC_B} ${ENDPOINT}`,
      `describe ${SVC_B}`,
      `enroll ${SVC_B} arn:aws:sns:eu-west-1:222222222222:plgate-spoke-ingest`,
    ]);
    expect(a.calls).toEqual(['list']);
    expect(connection).toMatchObject({ serviceAccount: B.account, serviceRegion: B.region });
  });

  it("asks each member which of its services are enrolled, with its own spoke's topic; one that cannot answer has none", async () => {
    const a = new FakeMember(A, [SVC_A]);
    const b = new FakeMember(B, [SVC_B]);
    const fleet = fleetOf([a, b]);
    const services = await fleet.listManagedServices();
    a.enrolledServices = async () => {
      throw denied('UnauthorizedOperation');
    };

    const enrolled = await fleet.enrolledServices(services, 'arn:aws:sns:us-east-1:000000000000:hub-ingest');

    expect([...enrolled]).toEqual([SVC_B]);
    expect(b.calls).toEqual([
      'list',
      `enrolled? ${SVC_B} arn:aws:sns:eu-west-1:222222222222:plgate-spoke-ingest`,
    ]);
  });

  it("reads each member's services' connections from that member; one that cannot answer leaves its services to be paged", async () => {
    const a = new FakeMember(A, [SVC_A]);
    const b = new FakeMember(B, [SVC_B]);
    const fleet = fleetOf([a, b]);
    await fleet.listManagedServices();
    a.connectionsOfServices = async () => {
      throw denied('RequestLimitExceeded');
    };

    const read = await fleet.connectionsOfServices([SVC_A, SVC_B]);

    expect([...read.keys()]).toEqual([SVC_B]);
    expect(read.get(SVC_B)?.map((c) => c.serviceAccount)).toEqual([B.account]);
    expect(b.calls).toEqual(['list', `connections of ${SVC_B}`, `describe ${SVC_B}`]);
  });

  it('goes on past a member it cannot reach, and reports it as unreachable', async () => {
    const a = new FakeMember(A, [SVC_A], denied('AccessDenied'));
    const b = new FakeMember(B, [SVC_B]);
    const c = new FakeMember(C, [], denied('Throttling'));
    const fleet = fleetOf([a, b, c]);

    const services = await fleet.listManagedServices();

    expect(services.map((s) => s.serviceId)).toEqual([SVC_B]);
    expect(fleet.listings()).toEqual([
      expect.objectContaining({ ...A, ok: false, unreachable: true }),
      { ...B, ok: true, services: [SVC_B] },
      expect.objectContaining({ ...C, ok: false, unreachable: false }),
    ]);
  });

  it('acts on a service an event placed without listing, and fails closed on a service no member has', async () => {
    const a = new FakeMember(A, [SVC_A]);
    const b = new FakeMember(B, []);
    const fleet = fleetOf([a, b]);
    fleet.locate(SVC_A, A);

    await fleet.accept(SVC_A, [ENDPOINT]);
    expect(a.calls).toEqual([`accept ${SVC_A} ${ENDPOINT}`]);

    await expect(fleet.accept(SVC_B, [ENDPOINT])).rejects.toBeInstanceOf(ServiceNotInFleetError);
    expect(await fleet.isManaged(SVC_B)).toBe(false);
    expect(b.calls.filter((c) => c.startsWith('accept'))).toEqual([]);
  });
});

describe('spoke deliveries', () => {
  const fleet = { members: [A, B], organizationalUnits: [], regions: [], spokeRoleName: 'plgate-spoke' };
  const topicOf = (m: { account: string; region: string }) =>
    `arn:aws:sns:${m.region}:${m.account}:plgate-spoke-ingest`;
  const envelope = (fields: Record<string, string>) => JSON.stringify({ MessageId: 'm-1', ...fields });

  it("knows members' spoke topics, and only theirs", () => {
    expect(spokeMemberOf(topicOf(B), fleet)).toEqual(B);
    expect(spokeMemberOf(topicOf(C), fleet)).toBeUndefined();
    expect(spokeMemberOf(`arn:aws:sns:${B.region}:${B.account}:other-topic`, fleet)).toBeUndefined();
    expect(
      spokeMemberOf(topicOf(C), { ...fleet, organizationalUnits: ['ou-ab12-cd34ef56'], regions: [C.region] }),
    ).toEqual(C);
    expect(readSpokeDelivery('not json')).toMatchObject({ kind: 'invalid' });
  });

  it("confirms members' subscriptions only, and turns notifications into events that carry the member's account and region", async () => {
    const b = new FakeMember(B, [SVC_B]);
    const router = fleetOf([new FakeMember(A, []), b]);
    const sent: ConnectionEventDetail[] = [];
    const confirmed: string[] = [];
    const touched: string[] = [];
    const notification = JSON.stringify({
      notificationType: 'VpcEndpointConnection',
      notificationName: 'VpcEndpointConnectionConnect',
      serviceId: SVC_B,
      vpcEndpointId: ENDPOINT,
    });

    const result = await ingestSpokeDeliveries(
      [
        envelope({ Type: 'SubscriptionConfirmation', TopicArn: topicOf(B), Token: 'tok-b' }),
        envelope({ Type: 'SubscriptionConfirmation', TopicArn: topicOf(C), Token: 'tok-c' }),
        envelope({ Type: 'Notification', TopicArn: topicOf(B), Message: notification }),
        envelope({ Type: 'Notification', TopicArn: topicOf(C), Message: notification }),
      ],
      {
        endpointServices: router,
        events: {
          connectionEvents: async (details) => void sent.push(...details),
          decisions: async () => {},
          requestSweep: async () => {},
        },
        fleet,
        router,
        memberStates: { noteEvent: async (place) => void touched.push(`${place.account} lastEventAt`) },
        now: () => new Date('2026-12-07T10:00:00Z'),
      },
      async (topicArn, region, token) => void confirmed.push(`${topicArn} ${region} ${token}`),
    );

    expect(confirmed).toEqual([`${topicOf(B)} ${B.region} tok-b`]);
    expect(sent).toEqual([
      expect.objectContaining({
        serviceId: SVC_B,
        endpointId: ENDPOINT,
        trigger: 'notification',
        serviceAccount: B.account,
        serviceRegion: B.region,
      }),
    ]);
    expect(result).toMatchObject({ forwarded: 1, dropped: 2, confirmed: 1 });
    expect(touched).toEqual([`${B.account} lastEventAt`]);
  });

  it("a stack of one's notifications carry no place, as before", async () => {
    const sent: ConnectionEventDetail[] = [];
    await ingestNotifications([{ body: `{"serviceId":"${SVC_A}","vpcEndpointId":"${ENDPOINT}"}`, raw: {} }], {
      endpointServices: new FakeMember(A, [SVC_A]),
      events: {
        connectionEvents: async (d) => void sent.push(...d),
        decisions: async () => {},
        requestSweep: async () => {},
      },
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]).not.toHaveProperty('serviceAccount');
    expect(readFleetSettings({})).toBeUndefined();
  });
});

describe('member health', () => {
  it('sends one notice when a member becomes unreachable and one when it recovers', async () => {
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    );
    const dynamo = mockClient(doc);
    let stored: boolean | undefined;
    dynamo
      .on(UpdateCommand)
      .callsFake(
        async (input: { UpdateExpression: string; ExpressionAttributeValues: Record<string, unknown> }) => {
          if (!input.UpdateExpression.includes('healthy')) return {};
          const before = stored;
          stored = input.ExpressionAttributeValues[':healthy'] as boolean;
          return before === undefined ? {} : { Attributes: { healthy: before } };
        },
      );
    const states = new DynamoMemberStates(doc, 'ledger');
    const notices: Notice[] = [];
    const deps = {
      recordHealth: states.recordHealth.bind(states),
      notifier: { publish: async (n: Notice) => void notices.push(n) },
      now: () => new Date('2026-12-07T10:00:00Z'),
    };

    await reportMemberHealth([{ ...A, healthy: true }], deps);
    const down = await reportMemberHealth(
      [{ ...A, healthy: false, reason: 'AccessDenied: wrong external id' }],
      deps,
    );
    await reportMemberHealth([{ ...A, healthy: false, reason: 'AccessDenied: wrong external id' }], deps);
    await reportMemberHealth([{ ...A, healthy: true }], deps);
    await reportMemberHealth([{ ...A, healthy: true }], deps);

    expect(down).toHaveLength(1);
    expect(notices.map((n) => n.kind === 'member-health' && n.healthy)).toEqual([false, true]);
    const [unhealthy] = notices;
    if (!unhealthy) throw new Error('no notice');
    expect(chatbotNotification(unhealthy).content.description).toContain(A.region);
    expect(noticeAttributes(unhealthy)).toMatchObject({
      outcome: 'member-unhealthy',
      serviceAccount: A.account,
    });
    expect(formatNoticeMessage(unhealthy).email).toContain('wrong external id');
  });
});

describe("ledger entries: the service's account and region", () => {
  const entry = (place?: { serviceAccount: string; serviceRegion: string }): LedgerEntry =>
    ledgerEntry({
      at: '2026-12-07T10:00:00.000Z',
      connection: {
        endpointId: ENDPOINT,
        serviceId: SVC_B,
        account: '999999999999',
        state: 'pendingAcceptance',
        ...place,
      },
      trigger: 'notification',
      decision: 'accept',
      outcome: 'accepted',
      reasons: ['rule x'],
      rulesVersion: 3,
      action: 'accept',
      rule: 'x',
    });

  it('are written and read back in a fleet, and the card and events show them', () => {
    const placed = entry({ serviceAccount: B.account, serviceRegion: B.region });
    const { fields } = entryOf(placed);
    expect(toLedgerEntry(fields)).toEqual(placed);
    const card = chatbotNotification({ kind: 'decision', entry: placed });
    expect(card.content.description).toContain(B.account);
    expect(card.content.description).toContain(B.region);
    expect(card.metadata.additionalContext).toMatchObject({
      serviceAccount: B.account,
      serviceRegion: B.region,
    });
    expect(entryInServicePlace(placed, { serviceRegion: B.region })).toBe(true);
    expect(entryInServicePlace(placed, { serviceAccount: A.account })).toBe(false);
  });

  it('an entry the previous release wrote reads back with neither, and a stack of one writes neither (same sort key as before)', () => {
    const previousRelease = {
      endpointId: ENDPOINT,
      sk: 'entry#2026-11-01T09:00:00.000Z#0123456789ab',
      at: '2026-11-01T09:00:00.000Z',
      serviceId: SVC_A,
      account: '999999999999',
      trigger: 'sweep',
      decision: 'reject',
      rule: 'deny-all',
      matched: ['deny-all'],
      reasons: ['rule deny-all'],
      action: 'reject',
      outcome: 'rejected',
      dryRun: false,
      rulesVersion: 2,
      state: 'pendingAcceptance',
      expiresAt: 1800000000,
    };
    const read = toLedgerEntry(previousRelease);
    expect(read).not.toHaveProperty('serviceAccount');
    expect(read).not.toHaveProperty('serviceRegion');
    expect(read.outcome).toBe('rejected');
    expect(entryInServicePlace(read, {})).toBe(true);
    expect(entryInServicePlace(read, { serviceRegion: 'us-east-1' })).toBe(false);

    const ofOne = entry();
    expect(Object.keys(entryOf(ofOne).fields)).not.toContain('serviceAccount');
    expect(chatbotNotification({ kind: 'decision', entry: ofOne }).content.description).not.toContain(
      'Service account',
    );
  });
});

describe('plgate fleet: fleetStatus', () => {
  const sts = new STSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const stsMock = mockClient(sts);
  const ec2Mock = mockClient(EC2Client);
  beforeEach(() => {
    stsMock.reset();
    ec2Mock.reset();
  });
  // EC2Client's prototype is mocked: restored, so the unit tests sharing this worker get the real one.
  afterAll(() => ec2Mock.restore());

  it('one row per member: role assumable, DryRun accept allowed, services and waiting requests; unhealthy where any fails', async () => {
    stsMock.on(AssumeRoleCommand).callsFake(assumeRoleExcept(C.account, () => denied('AccessDenied')));
    ec2Mock.on(AcceptVpcEndpointConnectionsCommand, { ServiceId: SVC_A }).rejects(denied('DryRunOperation'));
    ec2Mock
      .on(AcceptVpcEndpointConnectionsCommand, { ServiceId: SVC_B })
      .rejects(denied('UnauthorizedOperation'));
    const members = new Map([
      [A.account, new FakeMember(A, [SVC_A])],
      [B.account, new FakeMember(B, [SVC_B])],
    ]);
    const credentials = new MemberCredentials({
      externalId: 'x',
      spokeRoleName: 'plgate-spoke',
      sessionName: 'plgate-fleet',
      stsFor: () => sts,
    });

    const rows = await fleetStatus([A, B, C], {
      credentials,
      ec2For: ({ region }) =>
        new EC2Client({ region, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
      endpointServicesFor: (place) => members.get(place.account) ?? new FakeMember(place, []),
      recorded: async () => [
        {
          ...A,
          healthy: true,
          lastSweepAt: '2026-12-07T09:55:00.000Z',
          lastEventAt: '2026-12-07T09:50:00.000Z',
        },
      ],
    });

    expect(rows).toEqual([
      expect.objectContaining({
        ...A,
        roleAssumable: true,
        acceptAllowed: true,
        managedServices: 1,
        waitingRequests: 1,
        lastSweepAt: '2026-12-07T09:55:00.000Z',
        healthy: true,
      }),
      expect.objectContaining({ ...B, roleAssumable: true, acceptAllowed: false, healthy: false }),
      expect.objectContaining({ ...C, roleAssumable: false, healthy: false }),
    ]);
  });
});

describe('fleet settings and filters', () => {
  it('reads the members the stack sets, refuses a malformed one, and is undefined with no FLEET_* (a stack of one)', () => {
    expect(
      readFleetSettings({
        FLEET_EXTERNAL_ID: 'privatelink-gate:000000000000:PrivateLinkGate',
        FLEET_SPOKE_ROLE_NAME: 'plgate-spoke',
        FLEET_MEMBERS: `${A.account}:${A.region},${B.account}:${B.region}`,
      }),
    ).toEqual({
      members: [A, B],
      externalId: 'privatelink-gate:000000000000:PrivateLinkGate',
      spokeRoleName: 'plgate-spoke',
      organizationalUnits: [],
      regions: [],
    });
    expect(() =>
      readFleetSettings({
        FLEET_EXTERNAL_ID: 'x',
        FLEET_SPOKE_ROLE_NAME: 'p',
        FLEET_MEMBERS: '1111:us-east-1',
      }),
    ).toThrow(ConfigError);
    expect(readFleetSettings({ FLEET_MEMBERS: `${A.account}:${A.region}` })).toBeUndefined();
  });

  it("plgate connections --service-account/--service-region keep one member's services; an unplaced connection is in the CLI's region", () => {
    const placed = { serviceAccount: B.account, serviceRegion: B.region };
    expect(inServicePlace(placed, { serviceAccount: B.account }, 'us-east-1')).toBe(true);
    expect(inServicePlace(placed, { serviceRegion: A.region }, 'us-east-1')).toBe(false);
    expect(inServicePlace({}, { serviceRegion: 'us-east-1' }, 'us-east-1')).toBe(true);
    expect(inServicePlace({}, { serviceAccount: A.account }, 'us-east-1')).toBe(false);
  });
});
