/**
 * What registering changes on an endpoint service: its name for the consumer, and the
 * account added to its allowed principals. IAM lets the register function modify only
 * services tagged privatelink-gate:managed=true; the tag is checked here as well, so a
 * refusal is a clear message rather than an AccessDenied.
 */
import {
  DescribeVpcEndpointServiceConfigurationsCommand,
  type EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
  type ServiceConfiguration,
} from '@aws-sdk/client-ec2';
import type { ServiceAccess } from '../gate/register.ts';
import { MANAGED_TAG } from '../shared/tables.ts';
import { errorCode } from './aws-errors.ts';

const SERVICE_ID = /^vpce-svc-[0-9a-zA-Z]+$/;
const ACCOUNT = /^[0-9]{12}$/;
const GONE = new Set(['deleting', 'deleted', 'failed']);

export class ServiceAccessError extends Error {
  override name = 'ServiceAccessError';
}

export class Ec2ServiceAccess implements ServiceAccess {
  readonly #ec2: EC2Client;

  constructor(ec2: EC2Client) {
    this.#ec2 = ec2;
  }

  async managedServiceName(serviceId: string): Promise<string | undefined> {
    if (!SERVICE_ID.test(serviceId)) return undefined;
    let configuration: ServiceConfiguration | undefined;
    try {
      const out = await this.#ec2.send(
        new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] }),
      );
      configuration = out.ServiceConfigurations?.[0];
    } catch (error) {
      if (errorCode(error)?.startsWith('InvalidVpcEndpointServiceId')) return undefined;
      throw error;
    }
    if (configuration === undefined || GONE.has(String(configuration.ServiceState ?? '').toLowerCase())) {
      return undefined;
    }
    const managed = (configuration.Tags ?? []).some(
      (tag) => tag.Key === MANAGED_TAG.key && tag.Value === MANAGED_TAG.value,
    );
    return managed ? configuration.ServiceName : undefined;
  }

  async allowAccount(serviceId: string, account: string): Promise<void> {
    if (!SERVICE_ID.test(serviceId))
      throw new ServiceAccessError(`serviceId: not a service id, got "${serviceId}"`);
    if (!ACCOUNT.test(account)) throw new ServiceAccessError(`account: must be 12 digits, got "${account}"`);
    await this.#ec2.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: serviceId,
        AddAllowedPrincipals: [`arn:aws:iam::${account}:root`],
      }),
    );
  }
}
