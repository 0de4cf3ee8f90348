import {
  AcceptVpcEndpointConnectionsCommand,
  CreateVpcEndpointCommand,
  type CreateVpcEndpointCommandInput,
  CreateVpcEndpointConnectionNotificationCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DeleteVpcEndpointConnectionNotificationsCommand,
  DeleteVpcEndpointServiceConfigurationsCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointConnectionNotificationsCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServicesCommand,
  DescribeVpcEndpointsCommand,
  type EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
  paginateDescribeVpcEndpointConnections,
  RejectVpcEndpointConnectionsCommand,
} from '@aws-sdk/client-ec2';
import type { EventBridgeEvent, SNSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../local/cloud.ts';
import {
  awsError,
  CONSUMER_A,
  CONSUMER_B,
  ec2For,
  NLB_ARN,
  PROVIDER_ACCOUNT,
  STRANGER,
  startTestCloud,
} from '../../support/local-cloud.ts';

let cloud: LocalCloud & { logs: string[] };
let provider: EC2Client;
let consumerA: EC2Client;
let consumerB: EC2Client;

interface Service {
  id: string;
  name: string;
}

async function createService(
  options: {
    acceptanceRequired?: boolean;
    principals?: string[];
    ipTypes?: string[];
    regions?: string[];
  } = {},
): Promise<Service> {
  const result = await provider.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      AcceptanceRequired: options.acceptanceRequired ?? true,
      NetworkLoadBalancerArns: [NLB_ARN],
      SupportedIpAddressTypes: options.ipTypes,
      SupportedRegions: options.regions,
    }),
  );
  const id = result.ServiceConfiguration?.ServiceId ?? '';
  const name = result.ServiceConfiguration?.ServiceName ?? '';
  const principals = options.principals ?? [`arn:aws:iam::${CONSUMER_A}:root`];
  if (principals.length > 0) {
    await provider.send(
      new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: id, AddAllowedPrincipals: principals }),
    );
  }
  return { id, name };
}

async function createEndpoint(
  client: EC2Client,
  service: Service,
  extra: Partial<CreateVpcEndpointCommandInput> = {},
): Promise<string> {
  const result = await client.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: 'vpc-0a1b2c3d4e5f60718',
      ServiceName: service.name,
      SubnetIds: ['subnet-0a1b2c3d4e5f60718'],
      ...extra,
    }),
  );
  return result.VpcEndpoint?.VpcEndpointId ?? '';
}

async function connectionStates(serviceId: string): Promise<Record<string, string | undefined>> {
  const result = await provider.send(
    new DescribeVpcEndpointConnectionsCommand({ Filters: [{ Name: 'service-id', Values: [serviceId] }] }),
  );
  return Object.fromEntries(
    (result.VpcEndpointConnections ?? []).map((connection) => [
      connection.VpcEndpointId,
      connection.VpcEndpointState,
    ]),
  );
}

beforeAll(async () => {
  // State transitions wait for cloud.settle(), so the tests can see pending and deleting.
  cloud = await startTestCloud({ acceptDelayMs: 3_600_000, deleteDelayMs: 3_600_000 });
  provider = ec2For(cloud);
  consumerA = ec2For(cloud, CONSUMER_A);
  consumerB = ec2For(cloud, CONSUMER_B);
});
afterAll(async () => {
  await cloud.stop();
});

describe('CreateVpcEndpoint', () => {
  it('creates a pending endpoint that the provider sees as a connection with its tags', async () => {
    const service = await createService();
    const result = await consumerA.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: 'vpc-0a1b2c3d4e5f60718',
        ServiceName: service.name,
        SubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0b1b2c3d4e5f60718'],
        SecurityGroupIds: ['sg-0a1b2c3d4e5f60718'],
        TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [{ Key: 'env', Value: 'prod' }] }],
      }),
    );
    const endpoint = result.VpcEndpoint;
    expect(endpoint?.VpcEndpointId).toMatch(/^vpce-[0-9a-f]{17}$/);
    expect(endpoint).toMatchObject({
      VpcEndpointType: 'Interface',
      State: 'pendingAcceptance',
      ServiceName: service.name,
      OwnerId: CONSUMER_A,
      IpAddressType: 'ipv4',
      SubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0b1b2c3d4e5f60718'],
      Tags: [{ Key: 'env', Value: 'prod' }],
    });
    expect(endpoint?.NetworkInterfaceIds).toHaveLength(2);
    expect(endpoint?.CreationTimestamp).toBeInstanceOf(Date);
    const connections = await provider.send(
      new DescribeVpcEndpointConnectionsCommand({ Filters: [{ Name: 'service-id', Values: [service.id] }] }),
    );
    expect(connections.VpcEndpointConnections).toHaveLength(1);
    const connection = connections.VpcEndpointConnections?.[0];
    expect(connection).toMatchObject({
      ServiceId: service.id,
      VpcEndpointId: endpoint?.VpcEndpointId,
      VpcEndpointOwner: CONSUMER_A,
      VpcEndpointState: 'pendingAcceptance',
      NetworkLoadBalancerArns: [NLB_ARN],
      IpAddressType: 'ipv4',
      Tags: [{ Key: 'env', Value: 'prod' }],
      VpcEndpointRegion: 'us-east-1',
    });
    expect(connection?.VpcEndpointConnectionId).toMatch(/^vpce-con-[0-9a-f]{17}$/);
    expect(connection?.CreationTimestamp?.getTime()).toBe(endpoint?.CreationTimestamp?.getTime());
  });

  it('refuses a consumer that is not an allowed principal with InvalidServiceName', async () => {
    const service = await createService();
    const refused = await awsError(createEndpoint(consumerB, service));
    expect(refused.name).toBe('InvalidServiceName');
    expect(refused.message).toBe(`The Vpc Endpoint Service '${service.name}' does not exist`);
    // A role ARN allows that role, not the account's root credentials the local cloud models.
    await provider.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: service.id,
        AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER_B}:role/connector`],
      }),
    );
    expect((await awsError(createEndpoint(consumerB, service))).name).toBe('InvalidServiceName');
    await provider.send(
      new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: service.id, AddAllowedPrincipals: ['*'] }),
    );
    expect(await createEndpoint(consumerB, service)).toMatch(/^vpce-/);
  });

  it('stops allowing a consumer whose permission is removed, keeping its existing connection', async () => {
    const service = await createService();
    const endpointId = await createEndpoint(consumerA, service);
    await provider.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: service.id,
        RemoveAllowedPrincipals: [`arn:aws:iam::${CONSUMER_A}:root`],
      }),
    );
    expect((await awsError(createEndpoint(consumerA, service))).name).toBe('InvalidServiceName');
    expect(await connectionStates(service.id)).toEqual({ [endpointId]: 'pendingAcceptance' });
  });

  it('validates what the consumer sends', async () => {
    const service = await createService();
    const gateway = await awsError(createEndpoint(consumerA, service, { VpcEndpointType: undefined }));
    expect(gateway.name).toBe('InvalidParameter');
    expect(gateway.message).toContain('Gateway');
    const vpc = await awsError(createEndpoint(consumerA, service, { VpcId: 'my-vpc' }));
    expect(vpc.name).toBe('InvalidVpcId.Malformed');
    const subnet = await awsError(createEndpoint(consumerA, service, { SubnetIds: ['subnet-xyz'] }));
    expect(subnet.name).toBe('InvalidSubnetID.Malformed');
    const missing = await awsError(createEndpoint(consumerA, service, { VpcId: undefined }));
    expect(missing.name).toBe('MissingParameter');
    expect(missing.message).toContain('VpcId');
    const ipv6 = await awsError(createEndpoint(consumerA, service, { IpAddressType: 'ipv6' }));
    expect(ipv6.name).toBe('InvalidParameter');
    const noSuchName = await awsError(
      createEndpoint(consumerA, { id: 'x', name: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0' }),
    );
    expect(noSuchName.name).toBe('InvalidServiceName');
  });

  it('supports dual-stack endpoints on a service that offers IPv4 and IPv6', async () => {
    const service = await createService({ ipTypes: ['ipv4', 'ipv6'] });
    const endpointId = await createEndpoint(consumerA, service, { IpAddressType: 'dualstack' });
    const connections = await provider.send(
      new DescribeVpcEndpointConnectionsCommand({
        Filters: [{ Name: 'ip-address-type', Values: ['dualstack'] }],
      }),
    );
    expect(connections.VpcEndpointConnections?.map((connection) => connection.VpcEndpointId)).toEqual([
      endpointId,
    ]);
  });
});

describe('visibility per account', () => {
  it('lists a service to its owner and allowed consumers only', async () => {
    const service = await createService();
    const names = async (client: EC2Client) =>
      (await client.send(new DescribeVpcEndpointServicesCommand({}))).ServiceNames ?? [];
    expect(await names(provider)).toContain(service.name);
    expect(await names(consumerA)).toContain(service.name);
    expect(await names(ec2For(cloud, STRANGER))).not.toContain(service.name);
    const detail = await consumerA.send(
      new DescribeVpcEndpointServicesCommand({ ServiceNames: [service.name] }),
    );
    expect(detail.ServiceDetails?.[0]).toMatchObject({
      ServiceId: service.id,
      ServiceName: service.name,
      Owner: PROVIDER_ACCOUNT,
      AcceptanceRequired: true,
      ServiceType: [{ ServiceType: 'Interface' }],
    });
    const hidden = await awsError(
      ec2For(cloud, STRANGER).send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [service.name] })),
    );
    expect(hidden.name).toBe('InvalidServiceName');
  });

  it('shows a consumer its own endpoints and no connections', async () => {
    const service = await createService({ principals: ['*'] });
    const mine = await createEndpoint(consumerA, service);
    const theirs = await createEndpoint(consumerB, service);
    const listed = await consumerA.send(
      new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'service-name', Values: [service.name] }] }),
    );
    expect(listed.VpcEndpoints?.map((endpoint) => endpoint.VpcEndpointId)).toEqual([mine]);
    const foreign = await awsError(
      consumerA.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [theirs] })),
    );
    expect(foreign.name).toBe('InvalidVpcEndpointId.NotFound');
    const connections = await consumerA.send(new DescribeVpcEndpointConnectionsCommand({}));
    expect(connections.VpcEndpointConnections).toEqual([]);
    const accept = await awsError(
      consumerA.send(
        new AcceptVpcEndpointConnectionsCommand({ ServiceId: service.id, VpcEndpointIds: [mine] }),
      ),
    );
    expect(accept.name).toBe('InvalidVpcEndpointServiceId.NotFound');
  });

  it('connects a consumer in another region when the service supports it', async () => {
    const service = await createService({ regions: ['eu-west-1'] });
    const european = ec2For(cloud, CONSUMER_A, { region: 'eu-west-1' });
    const endpointId = await createEndpoint(european, service, { ServiceRegion: 'us-east-1' });
    const connections = await provider.send(
      new DescribeVpcEndpointConnectionsCommand({
        Filters: [{ Name: 'vpc-endpoint-region', Values: ['eu-west-1'] }],
      }),
    );
    expect(connections.VpcEndpointConnections?.map((connection) => connection.VpcEndpointId)).toEqual([
      endpointId,
    ]);
    const asia = ec2For(cloud, CONSUMER_A, { region: 'ap-northeast-1' });
    expect((await awsError(createEndpoint(asia, service, { ServiceRegion: 'us-east-1' }))).name).toBe(
      'InvalidServiceName',
    );
  });
});

describe('connection state machine', () => {
  it('goes pendingAcceptance -> pending -> available on accept', async () => {
    const service = await createService();
    const endpointId = await createEndpoint(consumerA, service);
    const accepted = await provider.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: service.id, VpcEndpointIds: [endpointId] }),
    );
    expect(accepted.Unsuccessful).toEqual([]);
    expect(await connectionStates(service.id)).toEqual({ [endpointId]: 'pending' });
    await cloud.settle();
    expect(await connectionStates(service.id)).toEqual({ [endpointId]: 'available' });
    const endpoint = await consumerA.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [endpointId] }));
    expect(endpoint.VpcEndpoints?.[0]?.State).toBe('available');
  });

  it('reports ids it cannot accept in Unsuccessful and still accepts the rest', async () => {
    const service = await createService({ principals: ['*'] });
    const good = await createEndpoint(consumerA, service);
    const other = await createService();
    const elsewhere = await createEndpoint(consumerA, other);
    const result = await provider.send(
      new AcceptVpcEndpointConnectionsCommand({
        ServiceId: service.id,
        VpcEndpointIds: [good, 'vpce-0123456789abcdef0', 'bogus', elsewhere],
      }),
    );
    expect(result.Unsuccessful?.map((item) => [item.ResourceId, item.Error?.Code])).toEqual([
      ['vpce-0123456789abcdef0', 'InvalidVpcEndpointId.NotFound'],
      ['bogus', 'InvalidVpcEndpointId.Malformed'],
      [elsewhere, 'InvalidVpcEndpointId.NotFound'],
    ]);
    const again = await provider.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: service.id, VpcEndpointIds: [good] }),
    );
    expect(again.Unsuccessful?.[0]?.Error?.Code).toBe('InvalidState');
    const wrongService = await awsError(
      provider.send(
        new AcceptVpcEndpointConnectionsCommand({
          ServiceId: 'vpce-svc-0123456789abcdef0',
          VpcEndpointIds: [good],
        }),
      ),
    );
    expect(wrongService.name).toBe('InvalidVpcEndpointServiceId.NotFound');
    const noIds = await awsError(
      provider.send(new AcceptVpcEndpointConnectionsCommand({ ServiceId: service.id, VpcEndpointIds: [] })),
    );
    expect(noIds.name).toBe('MissingParameter');
  });

  it('rejects pending and available connections, not rejected ones', async () => {
    const service = await createService();
    const waiting = await createEndpoint(consumerA, service);
    const live = await createEndpoint(consumerA, service);
    await provider.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: service.id, VpcEndpointIds: [live] }),
    );
    await cloud.settle();
    const rejected = await provider.send(
      new RejectVpcEndpointConnectionsCommand({ ServiceId: service.id, VpcEndpointIds: [waiting, live] }),
    );
    expect(rejected.Unsuccessful).toEqual([]);
    expect(await connectionStates(service.id)).toEqual({ [waiting]: 'rejected', [live]: 'rejected' });
    const again = await provider.send(
      new RejectVpcEndpointConnectionsCommand({ ServiceId: service.id, VpcEndpointIds: [waiting] }),
    );
    expect(again.Unsuccessful?.[0]?.Error?.Code).toBe('InvalidState');
  });

  it('keeps a connection rejected while pending from becoming available', async () => {
    const service = await createService();
    const endpointId = await createEndpoint(consumerA, service);
    await provider.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: service.id, VpcEndpointIds: [endpointId] }),
    );
    await provider.send(
      new RejectVpcEndpointConnectionsCommand({ ServiceId: service.id, VpcEndpointIds: [endpointId] }),
    );
    await cloud.settle();
    expect(await connectionStates(service.id)).toEqual({ [endpointId]: 'rejected' });
  });

  it('accepts automatically when the service does not require acceptance', async () => {
    const service = await createService({ acceptanceRequired: false });
    const endpointId = await createEndpoint(consumerA, service);
    expect(await connectionStates(service.id)).toEqual({ [endpointId]: 'pending' });
    await cloud.settle();
    expect(await connectionStates(service.id)).toEqual({ [endpointId]: 'available' });
  });

  it('deletes an endpoint: deleting, then deleted, and still visible', async () => {
    const service = await createService();
    const endpointId = await createEndpoint(consumerA, service);
    const result = await consumerA.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [endpointId] }));
    expect(result.Unsuccessful).toEqual([]);
    expect(await connectionStates(service.id)).toEqual({ [endpointId]: 'deleting' });
    await cloud.settle();
    expect(await connectionStates(service.id)).toEqual({ [endpointId]: 'deleted' });
    const again = await consumerA.send(
      new DeleteVpcEndpointsCommand({ VpcEndpointIds: [endpointId, 'vpce-0123456789abcdef0'] }),
    );
    expect(again.Unsuccessful?.map((item) => item.Error?.Code)).toEqual([
      'InvalidVpcEndpointId.NotFound',
      'InvalidVpcEndpointId.NotFound',
    ]);
    // The provider cannot delete a consumer's endpoint.
    const byProvider = await provider.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [endpointId] }));
    expect(byProvider.Unsuccessful?.[0]?.Error?.Code).toBe('InvalidVpcEndpointId.NotFound');
  });

  it('keeps a service with live connections from being deleted', async () => {
    const service = await createService();
    await createEndpoint(consumerA, service);
    const result = await provider.send(
      new DeleteVpcEndpointServiceConfigurationsCommand({ ServiceIds: [service.id] }),
    );
    expect(result.Unsuccessful?.[0]?.Error?.Code).toBe('ExistingVpcEndpointConnections');
  });
});

describe('DescribeVpcEndpointConnections filters and pages', () => {
  it('filters by owner and state and pages with MaxResults', async () => {
    const service = await createService({ principals: ['*'] });
    const created: string[] = [];
    for (let i = 0; i < 4; i += 1) created.push(await createEndpoint(consumerA, service));
    for (let i = 0; i < 3; i += 1) created.push(await createEndpoint(consumerB, service));
    await provider.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: service.id, VpcEndpointIds: [created[0] ?? ''] }),
    );
    const ownedByB = await provider.send(
      new DescribeVpcEndpointConnectionsCommand({
        Filters: [
          { Name: 'service-id', Values: [service.id] },
          { Name: 'vpc-endpoint-owner', Values: [CONSUMER_B] },
        ],
      }),
    );
    expect(ownedByB.VpcEndpointConnections?.map((connection) => connection.VpcEndpointId)).toEqual(
      created.slice(4),
    );
    const waiting = await provider.send(
      new DescribeVpcEndpointConnectionsCommand({
        Filters: [
          { Name: 'service-id', Values: [service.id] },
          { Name: 'vpc-endpoint-state', Values: ['pendingAcceptance'] },
        ],
      }),
    );
    expect(waiting.VpcEndpointConnections).toHaveLength(6);
    const pages: string[][] = [];
    for await (const page of paginateDescribeVpcEndpointConnections(
      { client: provider, pageSize: 5 },
      { Filters: [{ Name: 'service-id', Values: [service.id] }] },
    )) {
      pages.push((page.VpcEndpointConnections ?? []).map((connection) => connection.VpcEndpointId ?? ''));
    }
    expect(pages.map((page) => page.length)).toEqual([5, 2]);
    expect(pages.flat()).toEqual(created);
    const tooSmall = await awsError(
      provider.send(new DescribeVpcEndpointConnectionsCommand({ MaxResults: 3 })),
    );
    expect(tooSmall.name).toBe('InvalidParameterValue');
  });

  it('keeps paging correctly when connections appear between pages', async () => {
    const service = await createService();
    const created: string[] = [];
    for (let i = 0; i < 6; i += 1) created.push(await createEndpoint(consumerA, service));
    const filters = [{ Name: 'service-id', Values: [service.id] }];
    const first = await provider.send(
      new DescribeVpcEndpointConnectionsCommand({ Filters: filters, MaxResults: 5 }),
    );
    created.push(await createEndpoint(consumerA, service));
    const second = await provider.send(
      new DescribeVpcEndpointConnectionsCommand({
        Filters: filters,
        MaxResults: 5,
        NextToken: first.NextToken,
      }),
    );
    const seen = [...(first.VpcEndpointConnections ?? []), ...(second.VpcEndpointConnections ?? [])].map(
      (connection) => connection.VpcEndpointId,
    );
    expect(seen).toEqual(created);
  });
});

describe('connection notifications', () => {
  interface Delivered {
    event: string;
    state: string;
    endpointId: string;
    serviceId: string;
  }

  function collect(topicArn: string): { delivered: Delivered[]; raw: SNSEvent[] } {
    const delivered: Delivered[] = [];
    const raw: SNSEvent[] = [];
    cloud.sns.subscribe(topicArn, async (event) => {
      raw.push(event);
      for (const record of event.Records) {
        const body: unknown = JSON.parse(record.Sns.Message);
        if (typeof body !== 'object' || body === null) throw new Error('notification body is not an object');
        const fields = new Map(Object.entries(body));
        delivered.push({
          event: String(fields.get('ConnectionEvent')),
          state: String(fields.get('VpcEndpointState')),
          endpointId: String(fields.get('VpcEndpointId')),
          serviceId: String(fields.get('ServiceId')),
        });
      }
    });
    return { delivered, raw };
  }

  it('publishes Connect, Accept, Reject and Delete to the topic as SNS events', async () => {
    const topicArn = `arn:aws:sns:us-east-1:${PROVIDER_ACCOUNT}:ingest-lifecycle`;
    const { delivered, raw } = collect(topicArn);
    const service = await createService();
    const created = await provider.send(
      new CreateVpcEndpointConnectionNotificationCommand({
        ServiceId: service.id,
        ConnectionNotificationArn: topicArn,
        ConnectionEvents: ['Connect', 'Accept', 'Reject', 'Delete'],
      }),
    );
    expect(created.ConnectionNotification).toMatchObject({
      ServiceId: service.id,
      ConnectionNotificationType: 'Topic',
      ConnectionNotificationArn: topicArn,
      ConnectionEvents: ['Connect', 'Accept', 'Reject', 'Delete'],
      ConnectionNotificationState: 'Enabled',
    });
    expect(created.ConnectionNotification?.ConnectionNotificationId).toMatch(/^vpce-nfn-[0-9a-f]{17}$/);
    const first = await createEndpoint(consumerA, service);
    const second = await createEndpoint(consumerA, service);
    await provider.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: service.id, VpcEndpointIds: [first] }),
    );
    await provider.send(
      new RejectVpcEndpointConnectionsCommand({ ServiceId: service.id, VpcEndpointIds: [second] }),
    );
    await consumerA.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [first] }));
    await cloud.settle();
    expect(delivered).toEqual([
      { event: 'Connect', state: 'pendingAcceptance', endpointId: first, serviceId: service.id },
      { event: 'Connect', state: 'pendingAcceptance', endpointId: second, serviceId: service.id },
      { event: 'Accept', state: 'pending', endpointId: first, serviceId: service.id },
      { event: 'Reject', state: 'rejected', endpointId: second, serviceId: service.id },
      { event: 'Delete', state: 'deleting', endpointId: first, serviceId: service.id },
    ]);
    const record = raw[0]?.Records[0];
    expect(record).toMatchObject({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      Sns: { Type: 'Notification', TopicArn: topicArn },
    });
    expect(record?.EventSubscriptionArn.startsWith(`${topicArn}:`)).toBe(true);
    expect(cloud.sns.messages().filter((message) => message.topicArn === topicArn)).toHaveLength(5);
  });

  it('fires only the events asked for, also for a consumer watching its endpoint', async () => {
    const providerTopic = `arn:aws:sns:us-east-1:${PROVIDER_ACCOUNT}:accept-only`;
    const consumerTopic = `arn:aws:sns:us-east-1:${CONSUMER_A}:my-endpoint`;
    const forProvider = collect(providerTopic);
    const forConsumer = collect(consumerTopic);
    const service = await createService();
    await provider.send(
      new CreateVpcEndpointConnectionNotificationCommand({
        ServiceId: service.id,
        ConnectionNotificationArn: providerTopic,
        ConnectionEvents: ['Accept'],
      }),
    );
    const endpointId = await createEndpoint(consumerA, service);
    await consumerA.send(
      new CreateVpcEndpointConnectionNotificationCommand({
        VpcEndpointId: endpointId,
        ConnectionNotificationArn: consumerTopic,
        ConnectionEvents: ['Accept', 'Reject'],
      }),
    );
    await provider.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: service.id, VpcEndpointIds: [endpointId] }),
    );
    await cloud.settle();
    expect(forProvider.delivered.map((item) => item.event)).toEqual(['Accept']);
    expect(forConsumer.delivered.map((item) => [item.event, item.endpointId])).toEqual([
      ['Accept', endpointId],
    ]);
  });

  it('drops, and logs, a notification whose topic does not exist', async () => {
    const service = await createService();
    await provider.send(
      new CreateVpcEndpointConnectionNotificationCommand({
        ServiceId: service.id,
        ConnectionNotificationArn: `arn:aws:sns:us-east-1:${PROVIDER_ACCOUNT}:never-created`,
        ConnectionEvents: ['Connect'],
      }),
    );
    await createEndpoint(consumerA, service);
    expect(cloud.logs.some((line) => line.includes('never-created') && line.includes('dropped'))).toBe(true);
  });

  it('describes, filters and deletes notifications', async () => {
    const service = await createService();
    const topicArn = `arn:aws:sns:us-east-1:${PROVIDER_ACCOUNT}:described`;
    const created = await provider.send(
      new CreateVpcEndpointConnectionNotificationCommand({
        ServiceId: service.id,
        ConnectionNotificationArn: topicArn,
        ConnectionEvents: ['Connect'],
      }),
    );
    const id = created.ConnectionNotification?.ConnectionNotificationId ?? '';
    const byService = await provider.send(
      new DescribeVpcEndpointConnectionNotificationsCommand({
        Filters: [{ Name: 'service-id', Values: [service.id] }],
      }),
    );
    expect(
      byService.ConnectionNotificationSet?.map((notification) => notification.ConnectionNotificationId),
    ).toEqual([id]);
    const byId = await provider.send(
      new DescribeVpcEndpointConnectionNotificationsCommand({ ConnectionNotificationId: id }),
    );
    expect(byId.ConnectionNotificationSet).toHaveLength(1);
    const hidden = await awsError(
      consumerA.send(new DescribeVpcEndpointConnectionNotificationsCommand({ ConnectionNotificationId: id })),
    );
    expect(hidden.name).toBe('InvalidConnectionNotification');
    const deleted = await provider.send(
      new DeleteVpcEndpointConnectionNotificationsCommand({
        ConnectionNotificationIds: [id, 'vpce-nfn-0123456789abcdef0'],
      }),
    );
    expect(deleted.Unsuccessful?.map((item) => [item.ResourceId, item.Error?.Code])).toEqual([
      ['vpce-nfn-0123456789abcdef0', 'InvalidConnectionNotification'],
    ]);
    const after = await provider.send(
      new DescribeVpcEndpointConnectionNotificationsCommand({
        Filters: [{ Name: 'service-id', Values: [service.id] }],
      }),
    );
    expect(after.ConnectionNotificationSet).toEqual([]);
  });

  it('validates the notification request', async () => {
    const service = await createService();
    const topicArn = `arn:aws:sns:us-east-1:${PROVIDER_ACCOUNT}:x`;
    const badEvent = await awsError(
      provider.send(
        new CreateVpcEndpointConnectionNotificationCommand({
          ServiceId: service.id,
          ConnectionNotificationArn: topicArn,
          ConnectionEvents: ['Created'],
        }),
      ),
    );
    expect(badEvent.name).toBe('InvalidParameterValue');
    expect(badEvent.message).toContain('Created');
    const badArn = await awsError(
      provider.send(
        new CreateVpcEndpointConnectionNotificationCommand({
          ServiceId: service.id,
          ConnectionNotificationArn: 'arn:aws:sqs:us-east-1:000000000000:q',
          ConnectionEvents: ['Connect'],
        }),
      ),
    );
    expect(badArn.name).toBe('InvalidParameterValue');
    const neither = await awsError(
      provider.send(
        new CreateVpcEndpointConnectionNotificationCommand({
          ConnectionNotificationArn: topicArn,
          ConnectionEvents: ['Connect'],
        }),
      ),
    );
    expect(neither.name).toBe('MissingParameter');
    const foreign = await awsError(
      consumerA.send(
        new CreateVpcEndpointConnectionNotificationCommand({
          ServiceId: service.id,
          ConnectionNotificationArn: topicArn,
          ConnectionEvents: ['Connect'],
        }),
      ),
    );
    expect(foreign.name).toBe('InvalidVpcEndpointServiceId.NotFound');
  });
});

describe('CloudTrail events', () => {
  it("puts an account's EC2 write calls on the default bus, and not its reads", async () => {
    const seen: EventBridgeEvent<string, unknown>[] = [];
    const unsubscribe = cloud.events.subscribe(
      'default',
      (event) => event.source === 'aws.ec2' && event.account === PROVIDER_ACCOUNT,
      async (event) => {
        seen.push(event);
      },
    );
    const service = await createService();
    const endpointId = await createEndpoint(consumerA, service);
    await provider.send(new DescribeVpcEndpointConnectionsCommand({}));
    const accepted = await provider.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: service.id, VpcEndpointIds: [endpointId] }),
    );
    await cloud.settle();
    unsubscribe();
    const details = seen.map((event) =>
      typeof event.detail === 'object' && event.detail !== null ? event.detail : {},
    );
    expect(details.map((detail) => ('eventName' in detail ? detail.eventName : undefined))).toEqual([
      'CreateVpcEndpointServiceConfiguration',
      'ModifyVpcEndpointServicePermissions',
      'AcceptVpcEndpointConnections',
    ]);
    expect(seen[2]).toMatchObject({ 'detail-type': 'AWS API Call via CloudTrail', region: 'us-east-1' });
    expect(details[2]).toMatchObject({
      eventSource: 'ec2.amazonaws.com',
      userIdentity: { accountId: PROVIDER_ACCOUNT },
      requestParameters: { ServiceId: service.id, 'VpcEndpointId.1': endpointId },
      readOnly: false,
      // The request id of EC2's answer, and the answer as CloudTrail keeps it: nothing refused.
      requestID: accepted.$metadata.requestId,
      responseElements: {
        AcceptVpcEndpointConnectionsResponse: { requestId: accepted.$metadata.requestId, unsuccessful: '' },
      },
    });
    expect(accepted.$metadata.requestId).toMatch(/\S/);
    const consumerCalls = cloud.events
      .events('default')
      .filter((event) => event.account === CONSUMER_A && event.source === 'aws.ec2');
    expect(consumerCalls.length).toBeGreaterThan(0);
  });
});
