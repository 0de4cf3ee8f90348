import {
  AcceptVpcEndpointConnectionsCommand,
  CreateVpcEndpointConnectionNotificationCommand,
  DescribeVpcEndpointConnectionNotificationsCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  EC2Client,
  ModifyVpcEndpointConnectionNotificationCommand,
  ModifyVpcEndpointServiceConfigurationCommand,
  RejectVpcEndpointConnectionsCommand,
  type State,
  type VpcEndpointConnection,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Ec2EndpointServices,
  EndpointServicesError,
  MAX_FILTER_VALUES,
} from '../../../functions/aws/endpoint-services.ts';
import { TokenBucket } from '../../../functions/aws/token-bucket.ts';

const SERVICE = 'vpce-svc-0123456789abcdef0';
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:plgate-ingest';
const endpoint = (n: number): string => `vpce-${n.toString(16).padStart(17, '0')}`;

const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const ec2Mock = mockClient(ec2);
/** EC2 answers states in lowerCamel (`pendingAcceptance`); the SDK's enum type spells them `PendingAcceptance`. */
const apiState = (state: string): State => state as State;
const noWait = { sleep: async () => {}, random: () => 0.5 };

function raw(n: number, overrides: Partial<VpcEndpointConnection> = {}): VpcEndpointConnection {
  return {
    ServiceId: SERVICE,
    VpcEndpointId: endpoint(n),
    VpcEndpointOwner: '111122223333',
    VpcEndpointState: apiState('pendingAcceptance'),
    CreationTimestamp: new Date('2026-01-01T00:00:00Z'),
    ...overrides,
  };
}

function adapter(options: ConstructorParameters<typeof Ec2EndpointServices>[1] = {}): Ec2EndpointServices {
  return new Ec2EndpointServices(ec2, { requestsPerSecond: 1000, retry: noWait, ...options });
}

beforeEach(() => {
  ec2Mock.reset();
});

describe('describeConnections', () => {
  it('follows NextToken through every page, 1000 at a time, filtered by service', async () => {
    // Prepare
    ec2Mock
      .on(DescribeVpcEndpointConnectionsCommand)
      .resolvesOnce({ VpcEndpointConnections: [raw(1), raw(2)], NextToken: 't1' })
      .resolvesOnce({ VpcEndpointConnections: [raw(3)], NextToken: 't2' })
      .resolvesOnce({ VpcEndpointConnections: [raw(4)] });
    // Act
    const connections = await adapter().describeConnections(SERVICE);
    // Assess
    expect(connections.map((c) => c.endpointId)).toEqual([
      endpoint(1),
      endpoint(2),
      endpoint(3),
      endpoint(4),
    ]);
    const calls = ec2Mock.commandCalls(DescribeVpcEndpointConnectionsCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(3);
    expect(calls[0]).toEqual({ Filters: [{ Name: 'service-id', Values: [SERVICE] }], MaxResults: 1000 });
    expect(calls[1]?.NextToken).toBe('t1');
    expect(calls[2]?.NextToken).toBe('t2');
  });

  it('stamps the account and region it reads in on every connection (a fleet member, or the gate itself)', async () => {
    ec2Mock.on(DescribeVpcEndpointConnectionsCommand).resolves({ VpcEndpointConnections: [raw(1), raw(2)] });
    const place = { account: '444455556666', region: 'eu-west-1' };
    const connections = await adapter({ place }).describeConnections(SERVICE);
    expect(connections.map((c) => [c.serviceAccount, c.serviceRegion])).toEqual([
      ['444455556666', 'eu-west-1'],
      ['444455556666', 'eu-west-1'],
    ]);
    const unplaced = await adapter().describeConnections(SERVICE);
    expect(unplaced[0]?.serviceAccount).toBeUndefined();
  });

  it('parses states in either casing and drops (never returns) connections it cannot parse', async () => {
    ec2Mock.on(DescribeVpcEndpointConnectionsCommand).resolves({
      VpcEndpointConnections: [
        raw(1, { VpcEndpointState: 'PendingAcceptance' }),
        raw(2, { VpcEndpointOwner: 'not-an-account' }),
        raw(3, { VpcEndpointState: apiState('available') }),
      ],
    });
    const warn = vi.fn();
    const logger = { debug: vi.fn(), info: vi.fn(), warn, error: vi.fn() };
    const connections = await adapter({ logger }).describeConnections(SERVICE);
    expect(connections.map((c) => [c.endpointId, c.state])).toEqual([
      [endpoint(1), 'pendingAcceptance'],
      [endpoint(3), 'available'],
    ]);
    expect(warn).toHaveBeenCalledWith(
      'connection dropped: unparseable',
      expect.objectContaining({ endpointId: endpoint(2) }),
    );
  });

  it('narrows to endpoints and account on the server and again on the client', async () => {
    // A server that ignores the filters: the adapter must still answer only what was asked.
    ec2Mock.on(DescribeVpcEndpointConnectionsCommand).resolves({
      VpcEndpointConnections: [raw(1), raw(2), raw(3, { VpcEndpointOwner: '444455556666' })],
    });
    const connections = await adapter().describeConnections(SERVICE, {
      endpointIds: [endpoint(2), endpoint(3)],
      account: '111122223333',
    });
    expect(connections.map((c) => c.endpointId)).toEqual([endpoint(2)]);
    const input = ec2Mock.commandCalls(DescribeVpcEndpointConnectionsCommand)[0]?.args[0].input;
    expect(input?.Filters).toEqual([
      { Name: 'service-id', Values: [SERVICE] },
      { Name: 'vpc-endpoint-owner', Values: ['111122223333'] },
      { Name: 'vpc-endpoint-id', Values: [endpoint(2), endpoint(3)] },
    ]);
  });

  it('keeps every call within 200 filter values in all, counting the service and owner filters', async () => {
    // Found by the 1,000-request chaos run: 200 ids and the service id made 201 values.
    ec2Mock.on(DescribeVpcEndpointConnectionsCommand).resolves({ VpcEndpointConnections: [] });
    const ids = Array.from({ length: 450 }, (_, i) => endpoint(i + 1));
    await adapter().describeConnections(SERVICE, { endpointIds: ids, account: '111122223333' });
    const calls = ec2Mock.commandCalls(DescribeVpcEndpointConnectionsCommand);
    const values = calls.map((call) =>
      (call.args[0].input.Filters ?? []).reduce((sum, f) => sum + (f.Values?.length ?? 0), 0),
    );
    expect(Math.max(...values)).toBeLessThanOrEqual(MAX_FILTER_VALUES);
    expect(calls.flatMap((call) => call.args[0].input.Filters?.at(-1)?.Values ?? [])).toEqual(ids);
  });

  it('asks nothing for an empty endpoint list and rejects malformed ids naming the field', async () => {
    await expect(adapter().describeConnections(SERVICE, { endpointIds: [] })).resolves.toEqual([]);
    expect(ec2Mock.calls()).toHaveLength(0);
    await expect(adapter().describeConnections('svc-1')).rejects.toThrow(
      /serviceId: not a valid id: "svc-1"/,
    );
    await expect(adapter().describeConnections(SERVICE, { account: '12' })).rejects.toThrow(
      EndpointServicesError,
    );
  });

  it('pages one page at a time for sweeps, with the page size clamped to 5..1000', async () => {
    ec2Mock
      .on(DescribeVpcEndpointConnectionsCommand)
      .resolves({ VpcEndpointConnections: [raw(1)], NextToken: 'n' });
    const page = await adapter().pageConnections(SERVICE, 'start', 2);
    expect(page).toMatchObject({ nextToken: 'n', connections: [{ endpointId: endpoint(1) }] });
    const input = ec2Mock.commandCalls(DescribeVpcEndpointConnectionsCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ MaxResults: 5, NextToken: 'start' });
    ec2Mock.on(DescribeVpcEndpointConnectionsCommand).resolves({ VpcEndpointConnections: [], NextToken: '' });
    expect(await adapter().pageConnections(SERVICE, undefined, 5000)).toEqual({ connections: [] });
    expect(ec2Mock.commandCalls(DescribeVpcEndpointConnectionsCommand)[1]?.args[0].input.MaxResults).toBe(
      1000,
    );
  });
});

describe('accept and reject', () => {
  it('sends many ids per call, in batches, and reports every id as succeeded', async () => {
    ec2Mock
      .on(AcceptVpcEndpointConnectionsCommand)
      .resolves({ Unsuccessful: [], $metadata: { requestId: 'req-1' } });
    const ids = Array.from({ length: 250 }, (_, i) => endpoint(i + 1));
    const result = await adapter().accept(SERVICE, ids);
    expect(result).toEqual({
      succeeded: ids,
      failed: [],
      requestIds: Object.fromEntries(ids.map((id) => [id, 'req-1'])),
    });
    const sizes = ec2Mock
      .commandCalls(AcceptVpcEndpointConnectionsCommand)
      .map((c) => c.args[0].input.VpcEndpointIds?.length);
    expect(sizes).toEqual([100, 100, 50]);
    expect(ec2Mock.commandCalls(AcceptVpcEndpointConnectionsCommand)[0]?.args[0].input.ServiceId).toBe(
      SERVICE,
    );
  });

  it('honours a smaller batch size and sends each id once', async () => {
    ec2Mock.on(RejectVpcEndpointConnectionsCommand).resolves({});
    const result = await adapter({ batchSize: 2 }).reject(SERVICE, [
      endpoint(1),
      endpoint(2),
      endpoint(1),
      endpoint(3),
    ]);
    expect(result.succeeded).toEqual([endpoint(1), endpoint(2), endpoint(3)]);
    expect(ec2Mock.commandCalls(RejectVpcEndpointConnectionsCommand)).toHaveLength(2);
  });

  it('reads Unsuccessful: reports permanent failures without retrying them', async () => {
    ec2Mock.on(RejectVpcEndpointConnectionsCommand).resolves({
      Unsuccessful: [
        {
          ResourceId: endpoint(2),
          Error: { Code: 'InvalidVpcEndpointId.NotFound', Message: 'The Vpc Endpoint Id does not exist' },
        },
      ],
    });
    const result = await adapter().reject(SERVICE, [endpoint(1), endpoint(2)]);
    expect(result).toEqual({
      succeeded: [endpoint(1)],
      requestIds: {},
      failed: [
        {
          endpointId: endpoint(2),
          code: 'InvalidVpcEndpointId.NotFound',
          message: 'The Vpc Endpoint Id does not exist',
        },
      ],
    });
    expect(ec2Mock.commandCalls(RejectVpcEndpointConnectionsCommand)).toHaveLength(1);
  });

  it('an Unsuccessful item naming no endpoint of the call makes every endpoint of that call failed, never succeeded', async () => {
    for (const stray of [
      { Error: { Code: 'InternalError', Message: 'something went wrong' } },
      { ResourceId: endpoint(9), Error: { Code: 'InternalError', Message: 'something went wrong' } },
    ]) {
      ec2Mock.reset();
      ec2Mock.on(AcceptVpcEndpointConnectionsCommand).resolves({
        Unsuccessful: [
          stray,
          { ResourceId: endpoint(2), Error: { Code: 'InvalidVpcEndpointId.NotFound', Message: 'gone' } },
        ],
        $metadata: { requestId: 'req-1' },
      });
      const result = await adapter().accept(SERVICE, [endpoint(1), endpoint(2), endpoint(3)]);
      expect(result.succeeded).toEqual([]);
      expect(result.requestIds).toEqual({});
      expect(result.failed.map((f) => [f.endpointId, f.code])).toEqual([
        [endpoint(1), 'UnsuccessfulWithoutResourceId'],
        [endpoint(3), 'UnsuccessfulWithoutResourceId'],
        [endpoint(2), 'InvalidVpcEndpointId.NotFound'],
      ]);
      expect(result.failed[0]?.message).toContain('InternalError: something went wrong');
      expect(ec2Mock.commandCalls(AcceptVpcEndpointConnectionsCommand)).toHaveLength(1);
    }
  });

  it('retries only the retryable Unsuccessful ids, with backoff, until they succeed', async () => {
    ec2Mock
      .on(AcceptVpcEndpointConnectionsCommand)
      .resolvesOnce({
        Unsuccessful: [
          { ResourceId: endpoint(2), Error: { Code: 'Throttling', Message: 'Rate exceeded' } },
          { ResourceId: endpoint(3), Error: { Code: 'InternalError', Message: 'try again' } },
          { ResourceId: endpoint(4), Error: { Code: 'InvalidState', Message: 'already rejected' } },
        ],
      })
      .resolvesOnce({
        Unsuccessful: [{ ResourceId: endpoint(3), Error: { Code: 'ServiceUnavailable', Message: 'busy' } }],
      })
      .resolvesOnce({});
    const sleep = vi.fn(async (_ms: number) => {});
    const result = await adapter({
      retry: { sleep, random: () => 1, baseDelayMs: 100, maxDelayMs: 1000 },
    }).accept(SERVICE, [endpoint(1), endpoint(2), endpoint(3), endpoint(4)]);
    expect(result.succeeded.sort()).toEqual([endpoint(1), endpoint(2), endpoint(3)]);
    expect(result.failed).toEqual([
      { endpointId: endpoint(4), code: 'InvalidState', message: 'already rejected' },
    ]);
    const sent = ec2Mock
      .commandCalls(AcceptVpcEndpointConnectionsCommand)
      .map((c) => c.args[0].input.VpcEndpointIds);
    expect(sent).toEqual([
      [endpoint(1), endpoint(2), endpoint(3), endpoint(4)],
      [endpoint(2), endpoint(3)],
      [endpoint(3)],
    ]);
    // Exponential: 100 * 2^0, 100 * 2^1 (random() = 1 takes the whole ceiling).
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([100, 200]);
  });

  it('gives up on a retryable failure after the bound and reports it', async () => {
    ec2Mock.on(AcceptVpcEndpointConnectionsCommand).resolves({
      Unsuccessful: [
        { ResourceId: endpoint(1), Error: { Code: 'RequestLimitExceeded', Message: 'slow down' } },
      ],
    });
    const result = await adapter({ retry: { ...noWait, maxRetries: 2 } }).accept(SERVICE, [endpoint(1)]);
    expect(result).toEqual({
      succeeded: [],
      failed: [{ endpointId: endpoint(1), code: 'RequestLimitExceeded', message: 'slow down' }],
      requestIds: {},
    });
    expect(ec2Mock.commandCalls(AcceptVpcEndpointConnectionsCommand)).toHaveLength(3);
  });

  it('propagates an error of the whole call (after the SDK retry strategy) so the event is retried', async () => {
    const throttled = Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' });
    ec2Mock.on(AcceptVpcEndpointConnectionsCommand).rejects(throttled);
    await expect(adapter().accept(SERVICE, [endpoint(1)])).rejects.toThrow('Request limit exceeded.');
  });

  it('validates every endpoint id before calling EC2', async () => {
    await expect(adapter().accept(SERVICE, [endpoint(1), 'i-123'])).rejects.toThrow(
      /endpointIds: not a valid id: "i-123"/,
    );
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('sends every EC2 call through the one rate limiter', async () => {
    const limiter = new TokenBucket({ ratePerSecond: 1000 });
    const schedule = vi.spyOn(limiter, 'schedule');
    ec2Mock.on(DescribeVpcEndpointConnectionsCommand).resolves({ VpcEndpointConnections: [raw(1)] });
    ec2Mock.on(AcceptVpcEndpointConnectionsCommand).resolves({});
    const services = adapter({ limiter, batchSize: 1 });
    await services.describeConnections(SERVICE);
    await services.accept(SERVICE, [endpoint(1), endpoint(2)]);
    expect(schedule).toHaveBeenCalledTimes(3);
    expect(ec2Mock.calls()).toHaveLength(3);
  });

  it('refuses settings that would not work', () => {
    expect(() => new Ec2EndpointServices(ec2, { requestsPerSecond: 0 })).toThrow(/requestsPerSecond/);
    expect(() => new Ec2EndpointServices(ec2, { batchSize: 0 })).toThrow(/batchSize/);
  });
});

describe('managed services', () => {
  const config = (id: string, tags: Record<string, string>, state = 'Available', acceptance = true) => ({
    ServiceId: id,
    ServiceState: state as 'Available',
    AcceptanceRequired: acceptance,
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  });
  const SECOND = 'vpce-svc-0123456789abcdef1';

  it('lists services with the managed tag, through every page, leaving out deleted ones', async () => {
    ec2Mock
      .on(DescribeVpcEndpointServiceConfigurationsCommand)
      .resolvesOnce({
        ServiceConfigurations: [config(SERVICE, { 'privatelink-gate:managed': 'true', team: 'net' })],
        NextToken: 'p2',
      })
      .resolvesOnce({
        ServiceConfigurations: [
          config(SECOND, { 'privatelink-gate:managed': 'true' }, 'Available', false),
          config('vpce-svc-0123456789abcdef2', { 'privatelink-gate:managed': 'true' }, 'Deleted'),
          config('vpce-svc-0123456789abcdef3', { 'privatelink-gate:managed': 'false' }),
        ],
      });
    const services = await adapter().listManagedServices();
    expect(services).toEqual([
      {
        serviceId: SERVICE,
        acceptanceRequired: true,
        tags: { 'privatelink-gate:managed': 'true', team: 'net' },
      },
      { serviceId: SECOND, acceptanceRequired: false, tags: { 'privatelink-gate:managed': 'true' } },
    ]);
    const calls = ec2Mock
      .commandCalls(DescribeVpcEndpointServiceConfigurationsCommand)
      .map((c) => c.args[0].input);
    expect(calls[0]).toEqual({
      Filters: [{ Name: 'tag:privatelink-gate:managed', Values: ['true'] }],
      MaxResults: 1000,
    });
    expect(calls[1]?.NextToken).toBe('p2');
  });

  it('isManaged: true only for an existing service tagged managed; NotFound and malformed ids are false', async () => {
    ec2Mock
      .on(DescribeVpcEndpointServiceConfigurationsCommand, { ServiceIds: [SERVICE] })
      .resolves({ ServiceConfigurations: [config(SERVICE, { 'privatelink-gate:managed': 'true' })] })
      .on(DescribeVpcEndpointServiceConfigurationsCommand, { ServiceIds: [SECOND] })
      .resolves({ ServiceConfigurations: [config(SECOND, { other: 'true' })] })
      .on(DescribeVpcEndpointServiceConfigurationsCommand, { ServiceIds: ['vpce-svc-0123456789abcdef9'] })
      .rejects(Object.assign(new Error('not found'), { name: 'InvalidVpcEndpointServiceId.NotFound' }));
    const services = adapter();
    expect(await services.isManaged(SERVICE)).toBe(true);
    expect(await services.isManaged(SECOND)).toBe(false);
    expect(await services.isManaged('vpce-svc-0123456789abcdef9')).toBe(false);
    expect(await services.isManaged('not-a-service')).toBe(false);
  });

  it('isManaged propagates other errors (fail closed: the event is retried)', async () => {
    ec2Mock
      .on(DescribeVpcEndpointServiceConfigurationsCommand)
      .rejects(Object.assign(new Error('boom'), { name: 'InternalError' }));
    await expect(adapter().isManaged(SERVICE)).rejects.toThrow('boom');
  });
});

describe('enroll', () => {
  const service = (acceptanceRequired: boolean) => ({
    ServiceConfigurations: [
      { ServiceId: SERVICE, AcceptanceRequired: acceptanceRequired, ServiceState: 'Available' as const },
    ],
  });

  it('turns acceptance on and creates the notification with all four events when missing', async () => {
    ec2Mock.on(DescribeVpcEndpointServiceConfigurationsCommand).resolves(service(false));
    ec2Mock.on(ModifyVpcEndpointServiceConfigurationCommand).resolves({ Return: true });
    ec2Mock.on(DescribeVpcEndpointConnectionNotificationsCommand).resolves({
      ConnectionNotificationSet: [
        {
          ServiceId: SERVICE,
          ConnectionNotificationId: 'vpce-nfn-1',
          ConnectionNotificationArn: 'arn:aws:sns:us-east-1:111122223333:someone-elses',
          ConnectionEvents: ['Connect'],
        },
      ],
    });
    ec2Mock.on(CreateVpcEndpointConnectionNotificationCommand).resolves({});
    const result = await adapter().enroll(SERVICE, TOPIC);
    expect(result).toEqual({ changed: ['acceptance-required', 'notification-created'] });
    expect(ec2Mock.commandCalls(ModifyVpcEndpointServiceConfigurationCommand)[0]?.args[0].input).toEqual({
      ServiceId: SERVICE,
      AcceptanceRequired: true,
    });
    expect(ec2Mock.commandCalls(CreateVpcEndpointConnectionNotificationCommand)[0]?.args[0].input).toEqual({
      ServiceId: SERVICE,
      ConnectionNotificationArn: TOPIC,
      ConnectionEvents: ['Connect', 'Accept', 'Reject', 'Delete'],
    });
    expect(
      ec2Mock.commandCalls(DescribeVpcEndpointConnectionNotificationsCommand)[0]?.args[0].input.Filters,
    ).toEqual([{ Name: 'service-id', Values: [SERVICE] }]);
  });

  it('adds missing events to an existing notification to the topic', async () => {
    ec2Mock.on(DescribeVpcEndpointServiceConfigurationsCommand).resolves(service(true));
    ec2Mock.on(DescribeVpcEndpointConnectionNotificationsCommand).resolves({
      ConnectionNotificationSet: [
        {
          ServiceId: SERVICE,
          ConnectionNotificationId: 'vpce-nfn-2',
          ConnectionNotificationArn: TOPIC,
          ConnectionEvents: ['Connect', 'Delete'],
        },
      ],
    });
    ec2Mock.on(ModifyVpcEndpointConnectionNotificationCommand).resolves({ ReturnValue: true });
    const result = await adapter().enroll(SERVICE, TOPIC);
    expect(result).toEqual({ changed: ['notification-events'] });
    const input = ec2Mock.commandCalls(ModifyVpcEndpointConnectionNotificationCommand)[0]?.args[0].input;
    expect(input?.ConnectionNotificationId).toBe('vpce-nfn-2');
    expect([...(input?.ConnectionEvents ?? [])].sort()).toEqual(['Accept', 'Connect', 'Delete', 'Reject']);
    expect(ec2Mock.commandCalls(ModifyVpcEndpointServiceConfigurationCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(CreateVpcEndpointConnectionNotificationCommand)).toHaveLength(0);
  });

  it('changes nothing on a service already enrolled (safe to repeat), paging through notifications', async () => {
    ec2Mock.on(DescribeVpcEndpointServiceConfigurationsCommand).resolves(service(true));
    ec2Mock
      .on(DescribeVpcEndpointConnectionNotificationsCommand)
      .resolvesOnce({ ConnectionNotificationSet: [], NextToken: 'more' })
      .resolvesOnce({
        ConnectionNotificationSet: [
          {
            ServiceId: SERVICE,
            ConnectionNotificationId: 'vpce-nfn-3',
            ConnectionNotificationArn: TOPIC,
            ConnectionEvents: ['Accept', 'Connect', 'Delete', 'Reject'],
          },
        ],
      });
    expect(await adapter().enroll(SERVICE, TOPIC)).toEqual({ changed: [] });
    expect(ec2Mock.commandCalls(DescribeVpcEndpointConnectionNotificationsCommand)).toHaveLength(2);
    expect(ec2Mock.commandCalls(CreateVpcEndpointConnectionNotificationCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(ModifyVpcEndpointConnectionNotificationCommand)).toHaveLength(0);
  });

  it('fails for an unknown service and for a topic that is not an SNS ARN', async () => {
    ec2Mock
      .on(DescribeVpcEndpointServiceConfigurationsCommand)
      .rejects(Object.assign(new Error('nope'), { name: 'InvalidVpcEndpointServiceId.NotFound' }));
    await expect(adapter().enroll(SERVICE, TOPIC)).rejects.toThrow(/was not found/);
    await expect(adapter().enroll(SERVICE, 'arn:aws:sqs:us-east-1:111122223333:q')).rejects.toThrow(
      /ingestTopicArn must be an SNS topic ARN/,
    );
  });
});

describe('enrolledServices', () => {
  const id = (n: number): string => `vpce-svc-${n.toString(16).padStart(17, '0')}`;
  const managed = (serviceId: string, acceptanceRequired = true) => ({
    serviceId,
    acceptanceRequired,
    tags: {},
  });
  const notification = (serviceId: string, extra: Record<string, unknown> = {}) => ({
    ServiceId: serviceId,
    ConnectionNotificationId: `vpce-nfn-${serviceId.slice(-4)}`,
    ConnectionNotificationArn: TOPIC,
    ConnectionEvents: ['Connect', 'Accept', 'Reject', 'Delete'],
    ConnectionNotificationState: 'Enabled' as const,
    ...extra,
  });

  it("names only the services enroll would not change, from one listing of the services' notifications", async () => {
    const [whole, otherTopic, missingEvent, disabled, noNotification, acceptanceOff] = [1, 2, 3, 4, 5, 6].map(
      id,
    );
    ec2Mock.on(DescribeVpcEndpointConnectionNotificationsCommand).resolves({
      ConnectionNotificationSet: [
        notification(whole as string),
        notification(otherTopic as string, {
          ConnectionNotificationArn: 'arn:aws:sns:us-east-1:111122223333:other',
        }),
        notification(missingEvent as string, { ConnectionEvents: ['Connect', 'Accept', 'Reject'] }),
        notification(disabled as string, { ConnectionNotificationState: 'Disabled' }),
        notification(acceptanceOff as string),
        // Another service's, which EC2 should not have answered with: not counted.
        notification(id(99)),
      ],
    });
    const enrolled = await adapter().enrolledServices(
      [
        managed(whole as string),
        managed(otherTopic as string),
        managed(missingEvent as string),
        managed(disabled as string),
        managed(noNotification as string),
        managed(acceptanceOff as string, false),
      ],
      TOPIC,
    );
    expect([...enrolled]).toEqual([whole]);
    const calls = ec2Mock.commandCalls(DescribeVpcEndpointConnectionNotificationsCommand);
    expect(calls).toHaveLength(1);
    // A service with acceptance off needs enroll whatever its notifications: not asked about.
    expect(calls[0]?.args[0].input.Filters).toEqual([
      { Name: 'service-id', Values: [whole, otherTopic, missingEvent, disabled, noNotification] },
    ]);
  });

  it('asks about at most 200 services per call, paging through each', async () => {
    const services = Array.from({ length: 201 }, (_, n) => managed(id(n + 1)));
    ec2Mock
      .on(DescribeVpcEndpointConnectionNotificationsCommand)
      .resolvesOnce({ ConnectionNotificationSet: [notification(id(1))], NextToken: 'more' })
      .resolvesOnce({ ConnectionNotificationSet: [notification(id(200))] })
      .resolvesOnce({ ConnectionNotificationSet: [notification(id(201))] });
    const enrolled = await adapter().enrolledServices(services, TOPIC);
    expect([...enrolled].sort()).toEqual([id(1), id(200), id(201)]);
    const calls = ec2Mock.commandCalls(DescribeVpcEndpointConnectionNotificationsCommand);
    expect(calls.map((c) => c.args[0].input.Filters?.[0]?.Values?.length)).toEqual([200, 200, 1]);
    expect(calls[1]?.args[0].input.NextToken).toBe('more');
  });

  it('makes no call for no services, and refuses an id that is not a service id', async () => {
    expect(await adapter().enrolledServices([], TOPIC)).toEqual(new Set());
    expect(ec2Mock.commandCalls(DescribeVpcEndpointConnectionNotificationsCommand)).toHaveLength(0);
    await expect(adapter().enrolledServices([managed('svc-1')], TOPIC)).rejects.toThrow(
      /serviceId: not a valid id: "svc-1"/,
    );
  });
});

describe('connectionsOfServices', () => {
  const OTHER = 'vpce-svc-0fedcba9876543210';
  const QUIET = 'vpce-svc-00000000000000001';

  it("reads every service's connections with one call, and has an empty list for a service with none", async () => {
    ec2Mock.on(DescribeVpcEndpointConnectionsCommand).resolves({
      VpcEndpointConnections: [raw(1), raw(2, { ServiceId: OTHER }), raw(3)],
    });
    const read = await adapter().connectionsOfServices([SERVICE, OTHER, QUIET]);
    expect([...read].map(([id, connections]) => [id, connections.map((c) => c.endpointId)])).toEqual([
      [SERVICE, [endpoint(1), endpoint(3)]],
      [OTHER, [endpoint(2)]],
      [QUIET, []],
    ]);
    const calls = ec2Mock.commandCalls(DescribeVpcEndpointConnectionsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toMatchObject({
      Filters: [{ Name: 'service-id', Values: [SERVICE, OTHER, QUIET] }],
      MaxResults: 1000,
    });
  });

  it('reads none whole when they do not fit in one page, nor more services than one filter takes', async () => {
    ec2Mock
      .on(DescribeVpcEndpointConnectionsCommand)
      .resolves({ VpcEndpointConnections: [raw(1)], NextToken: 'more' });
    expect(await adapter().connectionsOfServices([SERVICE, OTHER])).toEqual(new Map());
    const many = Array.from({ length: 201 }, (_, n) => `vpce-svc-${n.toString(16).padStart(17, '0')}`);
    expect(await adapter().connectionsOfServices(many)).toEqual(new Map());
    expect(await adapter().connectionsOfServices([])).toEqual(new Map());
    expect(ec2Mock.commandCalls(DescribeVpcEndpointConnectionsCommand)).toHaveLength(1);
    await expect(adapter().connectionsOfServices(['svc-1'])).rejects.toThrow(/serviceId: not a valid id/);
  });
});
