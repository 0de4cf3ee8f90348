/**
 * An endpoint service on the local cloud as its provider creates it: in front of a network load
 * balancer of the provider's account and region, acceptance required, tagged managed, open to
 * the principals given. The demo, the benches and the tests make their services this one way.
 */
import {
  CreateVpcEndpointServiceConfigurationCommand,
  type EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import { MANAGED_TAG } from '../functions/shared/tables.ts';

export interface ProviderServiceOptions {
  /** Where the service and its load balancer live (default: the local provider's account, us-east-1). */
  owner?: { account: string; region: string };
  /** The load balancer's name (default `gate-nlb`). */
  loadBalancer?: string;
  /** A Name tag for the service. */
  name?: string;
  /** Tagged privatelink-gate:managed=true (default true). */
  managed?: boolean;
  /** Who may connect (ModifyVpcEndpointServicePermissions); none given: nobody yet. */
  principals?: string[];
}

export const PROVIDER_OWNER = { account: '000000000000', region: 'us-east-1' };

/** The load balancer ARN of a local provider's service. */
export const loadBalancerArn = (owner: { account: string; region: string }, name = 'gate-nlb'): string =>
  `arn:aws:elasticloadbalancing:${owner.region}:${owner.account}:loadbalancer/net/${name}/0123456789abcdef`;

/** Creates the service with the provider's client; its id. */
export async function createProviderService(
  ec2: EC2Client,
  options: ProviderServiceOptions = {},
): Promise<string> {
  const tags = [
    ...(options.managed === false ? [] : [{ Key: MANAGED_TAG.key, Value: MANAGED_TAG.value }]),
    ...(options.name === undefined ? [] : [{ Key: 'Name', Value: options.name }]),
  ];
  const created = await ec2.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      AcceptanceRequired: true,
      NetworkLoadBalancerArns: [loadBalancerArn(options.owner ?? PROVIDER_OWNER, options.loadBalancer)],
      ...(tags.length === 0
        ? {}
        : { TagSpecifications: [{ ResourceType: 'vpc-endpoint-service', Tags: tags }] }),
    }),
  );
  const id = created.ServiceConfiguration?.ServiceId;
  if (id === undefined) throw new Error('CreateVpcEndpointServiceConfiguration returned no service id');
  if (options.principals !== undefined && options.principals.length > 0)
    await ec2.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: id,
        AddAllowedPrincipals: options.principals,
      }),
    );
  return id;
}
