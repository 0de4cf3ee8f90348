/**
 * What an EC2 Query request asks IAM for: the action and the resources it authorises, as
 * the Service Authorization Reference for Amazon EC2 lists them for the PrivateLink calls.
 * Describe* calls support no resource-level permissions (`*`); calls on an endpoint
 * service name its ARN with its tags (`aws:ResourceTag/…`); Accept/Reject name only the
 * service (the reference lists no other resource for them); a change to a connection
 * notification names the service (or endpoint) it watches. Reads the model, never changes it.
 */
import { Ec2Error } from '../ec2/errors.ts';
import type { ConnectionNotification, Ec2Caller, Ec2Model, EndpointService } from '../ec2/model.ts';
import type { QueryParams } from '../query-params.ts';
import type { AccessRequest } from './authorizer.ts';

const SERVICE_ACTIONS = new Set([
  'ModifyVpcEndpointServiceConfiguration',
  'ModifyVpcEndpointServicePermissions',
  'AcceptVpcEndpointConnections',
  'RejectVpcEndpointConnections',
  'CreateVpcEndpointConnectionNotification',
]);

const serviceArn = (caller: Ec2Caller, id: string) =>
  `arn:aws:ec2:${caller.region}:${caller.account}:vpc-endpoint-service/${id}`;

/** The service's tags as condition keys; none when the caller has no such service (the model then says so). */
function serviceTags(model: Ec2Model, caller: Ec2Caller, id: string): Record<string, string> {
  let service: EndpointService | undefined;
  try {
    service = model.describeServices(caller, [id])[0];
  } catch (error) {
    if (!(error instanceof Ec2Error)) throw error;
  }
  return Object.fromEntries((service?.tags ?? []).map((tag) => [`aws:ResourceTag/${tag.key}`, tag.value]));
}

function onService(model: Ec2Model, caller: Ec2Caller, iamAction: string, id: string): AccessRequest {
  return {
    action: iamAction,
    resource: serviceArn(caller, id),
    resourceAccount: caller.account,
    context: serviceTags(model, caller, id),
  };
}

const onEndpoint = (caller: Ec2Caller, iamAction: string, id: string): AccessRequest => ({
  action: iamAction,
  resource: `arn:aws:ec2:${caller.region}:${caller.account}:vpc-endpoint/${id}`,
  resourceAccount: caller.account,
});

/** The caller's notification by id; none when it has no such notification (the model then says so). */
function ownNotification(model: Ec2Model, caller: Ec2Caller, id: string): ConnectionNotification | undefined {
  try {
    return model.describeNotifications(caller, id)[0];
  } catch (error) {
    if (!(error instanceof Ec2Error)) throw error;
    return undefined;
  }
}

export function ec2AccessRequests(
  model: Ec2Model,
  caller: Ec2Caller,
  action: string,
  params: QueryParams,
): AccessRequest[] {
  const iamAction = `ec2:${action}`;
  const everything: AccessRequest[] = [{ action: iamAction, resource: '*', resourceAccount: caller.account }];
  if (action.startsWith('Describe')) return everything;
  if (SERVICE_ACTIONS.has(action)) {
    const serviceId = params.string('ServiceId');
    if (serviceId === undefined) return everything;
    return [onService(model, caller, iamAction, serviceId)];
  }
  if (action === 'ModifyVpcEndpointConnectionNotification') {
    const id = params.string('ConnectionNotificationId');
    const notification = id === undefined ? undefined : ownNotification(model, caller, id);
    if (notification?.serviceId !== undefined) {
      return [onService(model, caller, iamAction, notification.serviceId)];
    }
    if (notification?.endpointId !== undefined) {
      return [onEndpoint(caller, iamAction, notification.endpointId)];
    }
    return everything;
  }
  if (action === 'DeleteVpcEndpointServiceConfigurations') {
    return params.list('ServiceId').map((id) => onService(model, caller, iamAction, id));
  }
  if (action === 'CreateTags' || action === 'DeleteTags') {
    const ids = params.list('ResourceId');
    return ids.map((id) =>
      id.startsWith('vpce-svc-')
        ? onService(model, caller, iamAction, id)
        : {
            action: iamAction,
            resource: `arn:aws:ec2:${caller.region}:${caller.account}:vpc-endpoint/${id}`,
            resourceAccount: caller.account,
          },
    );
  }
  if (action === 'CreateVpcEndpointServiceConfiguration') {
    return [
      {
        action: iamAction,
        resource: `arn:aws:ec2:${caller.region}:${caller.account}:vpc-endpoint-service/*`,
        resourceAccount: caller.account,
      },
    ];
  }
  if (action === 'DeleteVpcEndpoints') {
    return params.list('VpcEndpointId').map((id) => ({
      action: iamAction,
      resource: `arn:aws:ec2:${caller.region}:${caller.account}:vpc-endpoint/${id}`,
      resourceAccount: caller.account,
    }));
  }
  if (action === 'CreateVpcEndpoint') {
    return [
      {
        action: iamAction,
        resource: `arn:aws:ec2:${caller.region}:${caller.account}:vpc-endpoint/*`,
        resourceAccount: caller.account,
      },
    ];
  }
  return everything;
}
