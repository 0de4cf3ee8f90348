/**
 * `plgate fleet`'s rows, shared with the console's Fleet page: computed from plain fakes
 * (fleetStatus), worded (memberCells, exactly as the command prints them), and wired to AWS
 * with the caller's credentials (reachFleet, with aws-sdk-client-mock).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AcceptVpcEndpointConnectionsCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it, onTestFinished } from 'vitest';
import { reachFleet, withFleetMembers } from '../../../cli/fleet-members.ts';
import { fleetStatus, MEMBER_COLUMNS, type MemberStatus, memberCells } from '../../../cli/fleet-status.ts';
import { createClients } from '../../../functions/aws/clients.ts';
import type { Connection, ServicePlace } from '../../../functions/core/connection.ts';
import type { EndpointServices } from '../../../functions/gate/ports.ts';
import { connection, FakeEndpointServices } from '../../support/gate-fakes.ts';
import { A, assumeRoleExcept, B, C, GATE_CONFIG, SVC_A, SVC_B } from './members-for-tests.ts';

const failure = (name: string, message = `${name} says no`) => Object.assign(new Error(message), { name });
const GATE = GATE_CONFIG;
const SPOKE_CREDENTIALS = {
  accessKeyId: 'k',
  secretAccessKey: 's',
  sessionToken: 't',
  expiration: new Date(0),
};
const key = ({ account, region }: ServicePlace) => `${account}:${region}`;

/** A member's EC2 as plain data: its connections, or a failure on every call. */
function memberWith(connections: Connection[], error?: Error): EndpointServices {
  const services = new FakeEndpointServices().add(...connections);
  if (!error) return services;
  const fail = async (): Promise<never> => {
    throw error;
  };
  return Object.assign(services, { listManagedServices: fail, describeConnections: fail });
}

/** An EC2 client whose DryRun accept answers as given, per service. */
function probeAnswering(answers: Record<string, Error>): EC2Client {
  const client = new EC2Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  const mock = mockClient(client);
  for (const [serviceId, answer] of Object.entries(answers)) {
    mock.on(AcceptVpcEndpointConnectionsCommand, { ServiceId: serviceId }).rejects(answer);
  }
  return client;
}

describe('fleetStatus', () => {
  it('one row per member, in order: healthy, accept refused, not listed, recorded unhealthy, role not assumable', async () => {
    const D = { account: '444444444444', region: 'ap-southeast-2' };
    const E = { account: '555555555555', region: 'ca-central-1' };
    const members = new Map<string, EndpointServices>([
      [
        key(A),
        memberWith([
          connection({ serviceId: SVC_A }),
          connection({ serviceId: SVC_A }),
          connection({ serviceId: SVC_A, state: 'available' }),
        ]),
      ],
      [key(B), memberWith([connection({ serviceId: SVC_B })])],
      [key(C), memberWith([], failure('Throttling', 'Rate exceeded'))],
      [key(D), memberWith([])],
    ]);
    const looked: string[] = [];

    const rows = await fleetStatus([A, B, C, D, E], {
      credentials: {
        credentialsFor: async (account) => {
          if (account === E.account) throw failure('MemberUnreachableError', 'cannot assume the spoke role');
          return SPOKE_CREDENTIALS;
        },
      },
      ec2For: () =>
        probeAnswering({ [SVC_A]: failure('DryRunOperation'), [SVC_B]: failure('UnauthorizedOperation') }),
      endpointServicesFor: (place) => members.get(key(place)) ?? memberWith([]),
      recorded: async () => [
        // Throttled calls are shown for this UTC hour or the one before, not older.
        {
          ...A,
          healthy: true,
          lastEventAt: '2026-12-07T09:50:00.123Z',
          throttledCalls: 7,
          throttledHour: '2026-12-07T09',
        },
        { ...B, throttledCalls: 2, throttledHour: '2026-12-07T10' },
        {
          ...D,
          healthy: false,
          reason: 'AccessDenied: wrong external id',
          throttledCalls: 9,
          throttledHour: '2026-12-07T08',
        },
      ],
      onMember: (place) => looked.push(key(place)),
      now: () => new Date('2026-12-07T10:05:00Z'),
    });

    expect(looked).toEqual([A, B, C, D, E].map(key));
    expect(rows).toEqual([
      {
        ...A,
        roleAssumable: true,
        acceptAllowed: true,
        managedServices: 1,
        waitingRequests: 2,
        recordedHealthy: true,
        lastEventAt: '2026-12-07T09:50:00.123Z',
        throttledCalls: 7,
        throttledHour: '2026-12-07T09',
        healthy: true,
      },
      {
        ...B,
        roleAssumable: true,
        acceptAllowed: false,
        problem: 'accept not allowed: UnauthorizedOperation: UnauthorizedOperation says no',
        managedServices: 1,
        waitingRequests: 1,
        throttledCalls: 2,
        throttledHour: '2026-12-07T10',
        healthy: false,
      },
      {
        ...C,
        roleAssumable: true,
        problem: 'Throttling: Rate exceeded',
        managedServices: 0,
        waitingRequests: 0,
        throttledCalls: 0,
        healthy: false,
      },
      {
        ...D,
        roleAssumable: true,
        managedServices: 0,
        waitingRequests: 0,
        recordedHealthy: false,
        recordedReason: 'AccessDenied: wrong external id',
        throttledCalls: 0,
        healthy: false,
      },
      {
        ...E,
        roleAssumable: false,
        problem: 'cannot assume the spoke role',
        managedServices: 0,
        waitingRequests: 0,
        throttledCalls: 0,
        healthy: false,
      },
    ]);
  });

  it("still reports every member when the hub's records cannot be read (throttled calls unknown)", async () => {
    const rows = await fleetStatus([A], {
      credentials: { credentialsFor: async () => SPOKE_CREDENTIALS },
      ec2For: () => probeAnswering({}),
      endpointServicesFor: () => memberWith([]),
      recorded: async () => {
        throw failure('ResourceNotFoundException');
      },
    });
    expect(rows).toEqual([
      { ...A, roleAssumable: true, managedServices: 0, waitingRequests: 0, healthy: true },
    ]);
  });
});

describe('memberCells: the words of plgate fleet', () => {
  const row = (more: Partial<MemberStatus>): MemberStatus => ({
    ...A,
    roleAssumable: true,
    managedServices: 2,
    waitingRequests: 1,
    healthy: true,
    ...more,
  });

  it('names every column once, in the order the command prints them', () => {
    expect(Object.keys(memberCells(row({})))).toEqual([...MEMBER_COLUMNS]);
  });

  it('a healthy member, its times to the second', () => {
    expect(
      memberCells(
        row({
          acceptAllowed: true,
          lastEventAt: '2026-12-07T09:50:00.123Z',
          lastSweepAt: '2026-12-07T09:55:00Z',
          throttledCalls: 3,
        }),
      ),
    ).toEqual({
      account: A.account,
      region: A.region,
      role: 'assumable',
      accept: 'allowed',
      services: '2',
      waiting: '1',
      'last event': '2026-12-07 09:50:00Z',
      'last sweep': '2026-12-07 09:55:00Z',
      throttled: '3',
      health: 'healthy',
    });
  });

  it('an unhealthy member says why: its problem first, else what the hub recorded', () => {
    expect(
      memberCells(
        row({ roleAssumable: false, healthy: false, problem: 'cannot assume', recordedReason: 'old' }),
      ),
    ).toMatchObject({
      role: 'NOT assumable',
      accept: '-',
      'last event': '-',
      health: 'UNHEALTHY: cannot assume',
    });
    expect(
      memberCells(
        row({ acceptAllowed: false, healthy: false, recordedHealthy: false, recordedReason: 'AccessDenied' }),
      ),
    ).toMatchObject({ accept: 'REFUSED', throttled: '-', health: 'UNHEALTHY: AccessDenied' });
    expect(memberCells(row({ healthy: false })).health).toBe('UNHEALTHY');
  });
});

describe('reachFleet: the members with the caller’s credentials', () => {
  it("assumes each member's spoke role with the hub's external id, counts what waits, reads the recorded health, and routes connections to their member", async () => {
    // Prototypes are mocked, only while this test runs: the unit tests sharing this worker get the real ones.
    const sts = mockClient(STSClient);
    const ec2 = mockClient(EC2Client);
    onTestFinished(() => {
      sts.restore();
      ec2.restore();
    });
    sts.on(AssumeRoleCommand).callsFake(assumeRoleExcept(C.account, () => failure('AccessDenied')));
    // Each call signs with its member's spoke credentials first, as the SDK does: a member whose role cannot be assumed answers nothing.
    const signed =
      (answer: unknown) =>
      async (_input: unknown, getClient: () => { config: { credentials: () => Promise<unknown> } }) => {
        await getClient().config.credentials();
        return answer;
      };
    ec2.on(DescribeVpcEndpointServiceConfigurationsCommand).callsFake(
      signed({
        ServiceConfigurations: [
          {
            ServiceId: SVC_A,
            ServiceState: 'Available',
            Tags: [{ Key: 'privatelink-gate:managed', Value: 'true' }],
          },
        ],
      }),
    );
    ec2.on(DescribeVpcEndpointConnectionsCommand).callsFake(
      signed({
        VpcEndpointConnections: [
          {
            ServiceId: SVC_A,
            VpcEndpointId: 'vpce-0123456789abcdef0',
            VpcEndpointOwner: '999999999999',
            VpcEndpointState: 'pendingAcceptance',
            CreationTimestamp: new Date('2026-12-07T09:00:00Z'),
          },
        ],
      }),
    );
    ec2.on(AcceptVpcEndpointConnectionsCommand).rejects(failure('DryRunOperation'));
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    );
    mockClient(doc)
      .on(BatchGetCommand)
      .resolves({
        Responses: {
          ledger: [
            {
              memberAccount: A.account,
              memberRegion: A.region,
              healthy: true,
              lastSweepAt: '2026-12-07T09:55:00Z',
            },
          ],
        },
      });

    const fleet = reachFleet(
      { clients: { dynamodb: doc }, config: { ledgerTable: 'ledger' } },
      {
        members: [A, C],
        externalId: 'ext-1',
        spokeRoleName: 'plgate-spoke',
        organizationalUnits: [],
        regions: [],
      },
      { sessionName: 'plgate-console', clientOptions: { endpoint: 'http://127.0.0.1:4566' } },
    );
    const rows = await fleet.status();
    const [placed] = await fleet.endpointServices.describeConnections(SVC_A);

    expect(rows.map((r) => memberCells(r))).toEqual([
      expect.objectContaining({
        account: A.account,
        role: 'assumable',
        accept: 'allowed',
        waiting: '1',
        'last sweep': '2026-12-07 09:55:00Z',
        health: 'healthy',
      }),
      expect.objectContaining({
        account: C.account,
        role: 'NOT assumable',
        health: expect.stringMatching(
          /^UNHEALTHY: cannot assume arn:aws:iam::333333333333:role\/plgate-spoke-us-west-2 in us-west-2: AccessDenied/,
        ),
      }),
    ]);
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toContainEqual(
      expect.objectContaining({
        RoleArn: 'arn:aws:iam::111111111111:role/plgate-spoke-us-east-1',
        RoleSessionName: 'plgate-console',
        ExternalId: 'ext-1',
      }),
    );
    expect(placed).toMatchObject({ serviceAccount: A.account, serviceRegion: A.region });
    fleet.close();
  });

  it("a hub's target carries its members and closes them with its own clients; a stack of one's is left as it is", () => {
    const closed: string[] = [];
    const target = {
      config: GATE,
      clients: createClients({ region: A.region, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
      local: false,
      close: () => closed.push('gate clients'),
    };
    const options = { sessionName: 'plgate-test' };
    try {
      expect(withFleetMembers(target, undefined, options)).toBe(target);
      const settings = {
        members: [A],
        externalId: 'x',
        spokeRoleName: 'plgate-spoke',
        organizationalUnits: [],
        regions: [],
      };
      expect(withFleetMembers(target, { ...settings, members: [] }, options)).toBe(target);
      const hub = withFleetMembers(target, settings, options);
      expect(hub.fleet?.settings).toBe(settings);
      hub.close();
      expect(closed).toEqual(['gate clients']);
    } finally {
      for (const client of Object.values(target.clients)) client.destroy();
    }
  });
});
