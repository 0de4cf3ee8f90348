/** An EC2 API error: answered as EC2's XML error envelope with this code and status. */
export class Ec2Error extends Error {
  override name = 'Ec2Error';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One entry of an `Unsuccessful` list: the call succeeded, this resource did not. */
export interface UnsuccessfulItem {
  resourceId: string;
  code: string;
  message: string;
}

export const ec2Errors = {
  missingParameter: (name: string) =>
    new Ec2Error('MissingParameter', `The request must contain the parameter ${name}`),
  invalidParameterValue: (name: string, value: string, reason: string) =>
    new Ec2Error('InvalidParameterValue', `Value (${value}) for parameter ${name} is invalid. ${reason}`),
  serviceNotFound: (id: string) =>
    new Ec2Error('InvalidVpcEndpointServiceId.NotFound', `The VpcEndpointService Id '${id}' does not exist`),
  serviceIdMalformed: (id: string) =>
    new Ec2Error('InvalidVpcEndpointServiceId.Malformed', `Invalid Id: '${id}' (expecting 'vpce-svc-...')`),
  endpointNotFound: (id: string) =>
    new Ec2Error('InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${id}' does not exist`),
  endpointIdMalformed: (id: string) =>
    new Ec2Error('InvalidVpcEndpointId.Malformed', `Invalid Id: '${id}' (expecting 'vpce-...')`),
  serviceNameNotFound: (name: string) =>
    new Ec2Error('InvalidServiceName', `The Vpc Endpoint Service '${name}' does not exist`),
  notificationNotFound: (id: string) =>
    new Ec2Error('InvalidConnectionNotification', `The connection notification '${id}' does not exist`),
} as const;
