import {
  CreateTagsCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DeleteTagsCommand,
  DeleteVpcEndpointServiceConfigurationsCommand,
  DescribeTagsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  type EC2Client,
  ModifyVpcEndpointServiceConfigurationCommand,
  ModifyVpcEndpointServicePermissionsCommand,
  paginateDescribeVpcEndpointServiceConfigurations,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../local/cloud.ts';
import { awsError, CONSUMER_A, ec2For, NLB_ARN, startTestCloud } from '../../support/local-cloud.ts';

const GWLB_ARN =
  'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/gwy/inspection/0123456789abcdef';
const MANAGED = { Key: 'privatelink-gate:managed', Value: 'true' };

let cloud: LocalCloud;
let provider: EC2Client;

async function createService(client: EC2Client = provider, tags = [MANAGED], acceptanceRequired = true) {
  const result = await client.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      AcceptanceRequired: acceptanceRequired,
      NetworkLoadBalancerArns: [NLB_ARN],
      TagSpecifications: tags.length > 0 ? [{ ResourceType: 'vpc-endpoint-service', Tags: tags }] : undefined,
    }),
  );
  const id = result.ServiceConfiguration?.ServiceId;
  if (id === undefined) throw new Error('no service id');
  return id;
}

beforeAll(async () => {
  cloud = await startTestCloud();
  provider = ec2For(cloud);
});
afterAll(async () => {
  await cloud.stop();
});

describe('CreateVpcEndpointServiceConfiguration', () => {
  it('creates a tagged interface service in the AWS shapes', async () => {
    const result = await provider.send(
      new CreateVpcEndpointServiceConfigurationCommand({
        AcceptanceRequired: true,
        NetworkLoadBalancerArns: [NLB_ARN],
        TagSpecifications: [
          { ResourceType: 'vpc-endpoint-service', Tags: [MANAGED, { Key: 'team', Value: 'net' }] },
        ],
      }),
    );
    const service = result.ServiceConfiguration;
    expect(service?.ServiceId).toMatch(/^vpce-svc-[0-9a-f]{17}$/);
    expect(service).toMatchObject({
      ServiceName: `com.amazonaws.vpce.us-east-1.${service?.ServiceId}`,
      ServiceType: [{ ServiceType: 'Interface' }],
      ServiceState: 'Available',
      AcceptanceRequired: true,
      NetworkLoadBalancerArns: [NLB_ARN],
      SupportedIpAddressTypes: ['ipv4'],
      Tags: [MANAGED, { Key: 'team', Value: 'net' }],
      SupportedRegions: [{ Region: 'us-east-1', ServiceState: 'Available' }],
    });
  });

  it('defaults to acceptance required and accepts a Gateway Load Balancer', async () => {
    const result = await provider.send(
      new CreateVpcEndpointServiceConfigurationCommand({ GatewayLoadBalancerArns: [GWLB_ARN] }),
    );
    expect(result.ServiceConfiguration).toMatchObject({
      AcceptanceRequired: true,
      ServiceType: [{ ServiceType: 'GatewayLoadBalancer' }],
      GatewayLoadBalancerArns: [GWLB_ARN],
    });
  });

  it('is idempotent for a client token', async () => {
    const request = { NetworkLoadBalancerArns: [NLB_ARN], ClientToken: 'token-1' };
    const first = await provider.send(new CreateVpcEndpointServiceConfigurationCommand(request));
    const second = await provider.send(new CreateVpcEndpointServiceConfigurationCommand(request));
    expect(second.ServiceConfiguration?.ServiceId).toBe(first.ServiceConfiguration?.ServiceId);
    expect(second.ClientToken).toBe('token-1');
  });

  it('rejects requests AWS would reject, naming the parameter and value', async () => {
    expect((await awsError(provider.send(new CreateVpcEndpointServiceConfigurationCommand({})))).name).toBe(
      'MissingParameter',
    );
    const both = await awsError(
      provider.send(
        new CreateVpcEndpointServiceConfigurationCommand({
          NetworkLoadBalancerArns: [NLB_ARN],
          GatewayLoadBalancerArns: [GWLB_ARN],
        }),
      ),
    );
    expect(both.name).toBe('InvalidParameterCombination');
    const badArn = await awsError(
      provider.send(
        new CreateVpcEndpointServiceConfigurationCommand({ NetworkLoadBalancerArns: ['arn:nope'] }),
      ),
    );
    expect(badArn.name).toBe('InvalidParameterValue');
    expect(badArn.message).toContain('arn:nope');
    const wrongType = await awsError(
      provider.send(
        new CreateVpcEndpointServiceConfigurationCommand({
          NetworkLoadBalancerArns: [NLB_ARN],
          TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [MANAGED] }],
        }),
      ),
    );
    expect(wrongType.name).toBe('InvalidParameterValue');
    const reserved = await awsError(
      provider.send(
        new CreateVpcEndpointServiceConfigurationCommand({
          NetworkLoadBalancerArns: [NLB_ARN],
          TagSpecifications: [{ ResourceType: 'vpc-endpoint-service', Tags: [{ Key: 'aws:x', Value: 'y' }] }],
        }),
      ),
    );
    expect(reserved.name).toBe('InvalidParameterValue');
    const ipType = await awsError(
      provider.send(
        new CreateVpcEndpointServiceConfigurationCommand({
          NetworkLoadBalancerArns: [NLB_ARN],
          SupportedIpAddressTypes: ['ipv5'],
        }),
      ),
    );
    expect(ipType.message).toContain('ipv5');
  });

  it('answers a DryRun with DryRunOperation', async () => {
    const error = await awsError(
      provider.send(
        new CreateVpcEndpointServiceConfigurationCommand({
          NetworkLoadBalancerArns: [NLB_ARN],
          DryRun: true,
        }),
      ),
    );
    expect(error.name).toBe('DryRunOperation');
  });
});

describe('ModifyVpcEndpointServiceConfiguration', () => {
  it('changes acceptance, load balancers, IP address types and regions', async () => {
    const id = await createService();
    const second = NLB_ARN.replace('gate-nlb', 'second');
    const result = await provider.send(
      new ModifyVpcEndpointServiceConfigurationCommand({
        ServiceId: id,
        AcceptanceRequired: false,
        AddNetworkLoadBalancerArns: [second],
        RemoveNetworkLoadBalancerArns: [NLB_ARN],
        AddSupportedIpAddressTypes: ['ipv6'],
        AddSupportedRegions: ['eu-west-1'],
      }),
    );
    expect(result.Return).toBe(true);
    const described = await provider.send(
      new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [id] }),
    );
    expect(described.ServiceConfigurations?.[0]).toMatchObject({
      AcceptanceRequired: false,
      NetworkLoadBalancerArns: [second],
      SupportedIpAddressTypes: ['ipv4', 'ipv6'],
      SupportedRegions: [
        { Region: 'us-east-1', ServiceState: 'Available' },
        { Region: 'eu-west-1', ServiceState: 'Available' },
      ],
    });
  });

  it('refuses to remove the last load balancer and unknown or malformed ids', async () => {
    const id = await createService();
    const last = await awsError(
      provider.send(
        new ModifyVpcEndpointServiceConfigurationCommand({
          ServiceId: id,
          RemoveNetworkLoadBalancerArns: [NLB_ARN],
        }),
      ),
    );
    expect(last.name).toBe('InvalidParameter');
    const unknown = await awsError(
      provider.send(
        new ModifyVpcEndpointServiceConfigurationCommand({ ServiceId: 'vpce-svc-0123456789abcdef0' }),
      ),
    );
    expect(unknown.name).toBe('InvalidVpcEndpointServiceId.NotFound');
    const malformed = await awsError(
      provider.send(new ModifyVpcEndpointServiceConfigurationCommand({ ServiceId: 'svc-1' })),
    );
    expect(malformed.name).toBe('InvalidVpcEndpointServiceId.Malformed');
    expect(malformed.message).toContain('svc-1');
  });
});

describe('DescribeVpcEndpointServiceConfigurations', () => {
  it('finds managed services by tag filter, and tag-key, with wildcards', async () => {
    const managed = await createService(provider, [MANAGED, { Key: 'env', Value: 'prod-eu' }]);
    const unmanaged = await createService(provider, [{ Key: 'env', Value: 'dev' }]);
    const byTag = await provider.send(
      new DescribeVpcEndpointServiceConfigurationsCommand({
        Filters: [{ Name: 'tag:privatelink-gate:managed', Values: ['true'] }],
      }),
    );
    const ids = byTag.ServiceConfigurations?.map((service) => service.ServiceId);
    expect(ids).toContain(managed);
    expect(ids).not.toContain(unmanaged);
    const byWildcard = await provider.send(
      new DescribeVpcEndpointServiceConfigurationsCommand({
        Filters: [{ Name: 'tag:env', Values: ['prod-*'] }],
      }),
    );
    expect(byWildcard.ServiceConfigurations?.map((service) => service.ServiceId)).toEqual([managed]);
    const byKey = await provider.send(
      new DescribeVpcEndpointServiceConfigurationsCommand({
        Filters: [
          { Name: 'tag-key', Values: ['env'] },
          { Name: 'service-id', Values: [managed, unmanaged] },
        ],
      }),
    );
    expect(byKey.ServiceConfigurations?.map((service) => service.ServiceId)).toEqual([managed, unmanaged]);
  });

  it('pages through every service with MaxResults and NextToken', async () => {
    const isolated = ec2For(cloud, 'test', { region: 'ap-south-1' });
    const created: string[] = [];
    for (let i = 0; i < 7; i += 1) created.push(await createService(isolated));
    const first = await isolated.send(new DescribeVpcEndpointServiceConfigurationsCommand({ MaxResults: 5 }));
    expect(first.ServiceConfigurations).toHaveLength(5);
    expect(first.NextToken).toBeDefined();
    const second = await isolated.send(
      new DescribeVpcEndpointServiceConfigurationsCommand({ MaxResults: 5, NextToken: first.NextToken }),
    );
    expect(second.ServiceConfigurations).toHaveLength(2);
    expect(second.NextToken).toBeUndefined();
    const seen: string[] = [];
    for await (const page of paginateDescribeVpcEndpointServiceConfigurations(
      { client: isolated, pageSize: 5 },
      {},
    )) {
      for (const service of page.ServiceConfigurations ?? []) seen.push(service.ServiceId ?? '');
    }
    expect(seen).toEqual(created);
  });

  it('rejects MaxResults outside 5..1000, bad tokens and unknown filters', async () => {
    for (const maxResults of [4, 1001]) {
      const error = await awsError(
        provider.send(new DescribeVpcEndpointServiceConfigurationsCommand({ MaxResults: maxResults })),
      );
      expect(error.name).toBe('InvalidParameterValue');
      expect(error.message).toContain(String(maxResults));
    }
    const token = await awsError(
      provider.send(new DescribeVpcEndpointServiceConfigurationsCommand({ NextToken: 'garbage' })),
    );
    expect(token.name).toBe('InvalidPaginationToken');
    const filter = await awsError(
      provider.send(
        new DescribeVpcEndpointServiceConfigurationsCommand({ Filters: [{ Name: 'colour', Values: ['x'] }] }),
      ),
    );
    expect(filter.name).toBe('InvalidParameterValue');
    expect(filter.message).toContain('colour');
  });

  it('shows each account and region only its own services', async () => {
    const id = await createService();
    const consumer = ec2For(cloud, CONSUMER_A);
    const hidden = await awsError(
      consumer.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [id] })),
    );
    expect(hidden.name).toBe('InvalidVpcEndpointServiceId.NotFound');
    const listed = await consumer.send(new DescribeVpcEndpointServiceConfigurationsCommand({}));
    expect(listed.ServiceConfigurations).toEqual([]);
    const otherRegion = ec2For(cloud, 'test', { region: 'us-west-2' });
    const elsewhere = await awsError(
      otherRegion.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [id] })),
    );
    expect(elsewhere.name).toBe('InvalidVpcEndpointServiceId.NotFound');
  });
});

describe('DeleteVpcEndpointServiceConfigurations', () => {
  it('deletes services and reports unknown ones as Unsuccessful', async () => {
    const id = await createService();
    const result = await provider.send(
      new DeleteVpcEndpointServiceConfigurationsCommand({ ServiceIds: [id, 'vpce-svc-0000000000000000f'] }),
    );
    expect(result.Unsuccessful).toEqual([
      {
        ResourceId: 'vpce-svc-0000000000000000f',
        Error: {
          Code: 'InvalidVpcEndpointServiceId.NotFound',
          Message: "The VpcEndpointService Id 'vpce-svc-0000000000000000f' does not exist",
        },
      },
    ]);
    const gone = await awsError(
      provider.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [id] })),
    );
    expect(gone.name).toBe('InvalidVpcEndpointServiceId.NotFound');
  });

  it('needs at least one service id', async () => {
    const error = await awsError(
      provider.send(new DeleteVpcEndpointServiceConfigurationsCommand({ ServiceIds: [] })),
    );
    expect(error.name).toBe('MissingParameter');
  });
});

describe('endpoint service permissions', () => {
  it('adds, describes, filters and removes allowed principals', async () => {
    const id = await createService();
    const added = await provider.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: id,
        AddAllowedPrincipals: [
          `arn:aws:iam::${CONSUMER_A}:root`,
          'arn:aws:iam::222222222222:role/connector',
          '*',
        ],
      }),
    );
    expect(added.ReturnValue).toBe(true);
    expect(added.AddedPrincipals?.map((principal) => [principal.PrincipalType, principal.ServiceId])).toEqual(
      [
        ['Account', id],
        ['Role', id],
        ['All', id],
      ],
    );
    expect(added.AddedPrincipals?.[0]?.ServicePermissionId).toMatch(/^vpce-svc-perm-[0-9a-f]{17}$/);
    const accounts = await provider.send(
      new DescribeVpcEndpointServicePermissionsCommand({
        ServiceId: id,
        Filters: [{ Name: 'principal-type', Values: ['Account'] }],
      }),
    );
    expect(accounts.AllowedPrincipals?.map((principal) => principal.Principal)).toEqual([
      `arn:aws:iam::${CONSUMER_A}:root`,
    ]);
    await provider.send(
      new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: id, RemoveAllowedPrincipals: ['*'] }),
    );
    const remaining = await provider.send(
      new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: id }),
    );
    expect(remaining.AllowedPrincipals).toHaveLength(2);
  });

  it('rejects a principal that is not an ARN or *', async () => {
    const id = await createService();
    const error = await awsError(
      provider.send(
        new ModifyVpcEndpointServicePermissionsCommand({
          ServiceId: id,
          AddAllowedPrincipals: ['111111111111'],
        }),
      ),
    );
    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toContain('111111111111');
    const missing = await awsError(
      provider.send(new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: undefined })),
    );
    expect(missing.name).toBe('MissingParameter');
  });
});

describe('tags on services', () => {
  it('creates, describes and deletes tags', async () => {
    const id = await createService(provider, []);
    await provider.send(
      new CreateTagsCommand({
        Resources: [id],
        Tags: [
          { Key: 'privatelink-gate:managed', Value: 'true' },
          { Key: 'owner', Value: 'alice' },
        ],
      }),
    );
    const described = await provider.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }),
    );
    expect(described.Tags).toEqual([
      {
        ResourceId: id,
        ResourceType: 'vpc-endpoint-service',
        Key: 'privatelink-gate:managed',
        Value: 'true',
      },
      { ResourceId: id, ResourceType: 'vpc-endpoint-service', Key: 'owner', Value: 'alice' },
    ]);
    // A value that does not match keeps the tag, as on AWS.
    await provider.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: 'owner', Value: 'bob' }] }));
    await provider.send(
      new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: 'privatelink-gate:managed' }] }),
    );
    const after = await provider.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }),
    );
    expect(after.Tags?.map((tag) => tag.Key)).toEqual(['owner']);
    await provider.send(new DeleteTagsCommand({ Resources: [id] }));
    const none = await provider.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }),
    );
    expect(none.Tags).toEqual([]);
  });

  it('refuses unknown, foreign and invalid resource ids', async () => {
    const id = await createService();
    const foreign = await awsError(
      ec2For(cloud, CONSUMER_A).send(
        new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'k', Value: 'v' }] }),
      ),
    );
    expect(foreign.name).toBe('InvalidVpcEndpointServiceId.NotFound');
    const invalid = await awsError(
      provider.send(new CreateTagsCommand({ Resources: ['i-1234'], Tags: [{ Key: 'k', Value: 'v' }] })),
    );
    expect(invalid.name).toBe('InvalidID');
  });
});
