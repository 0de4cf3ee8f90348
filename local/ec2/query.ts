/**
 * The EC2 Query API for PrivateLink: reads an action's parameters (as the AWS
 * SDKs and the AWS CLI serialize them), calls the model, and writes EC2's XML.
 */
import { InvalidQueryParameterError, MissingQueryParameterError, type QueryParams } from '../query-params.ts';
import { items, type XmlObject } from '../xml.ts';
import { applyFilters, type Filter, type FilterFields, paginate, tagFilterFields } from './describe.ts';
import { Ec2Error, ec2Errors } from './errors.ts';
import type {
  AllowedPrincipal,
  ConnectionNotification,
  Ec2Caller,
  Ec2Model,
  Endpoint,
  EndpointService,
  ServiceConnection,
  Tag,
  TagDescription,
} from './model.ts';
import {
  connection,
  ec2ErrorDocument,
  ec2Response,
  endpointXml,
  notificationXml,
  principalXml,
  serviceConfiguration,
  serviceDetail,
  tagDescriptionXml,
  unsuccessfulSet,
} from './xml.ts';

export const EC2_API_VERSION = '2016-11-15';

export interface QueryResponse {
  status: number;
  body: string;
}

interface ActionContext {
  model: Ec2Model;
  caller: Ec2Caller;
  params: QueryParams;
  action: string;
}

type ActionHandler = (context: ActionContext) => XmlObject;

/**
 * EC2 refuses a call whose filters carry more than 200 values in all, with HTTP 400
 * `FilterLimitExceeded` and this message (as EC2 answers DescribeInstances and the other
 * Describe calls; the code is in EC2's list of API error codes). Every filter needs a
 * value, so this also bounds the number of filters.
 */
export const MAX_FILTER_VALUES = 200;

function filters(params: QueryParams): Filter[] {
  const structures = params.structures('Filter');
  const read = structures.map((filter) => ({ filter, values: filter.list('Value') }));
  const valueCount = read.reduce((sum, { values }) => sum + values.length, 0);
  if (valueCount > MAX_FILTER_VALUES || structures.length > MAX_FILTER_VALUES) {
    throw new Ec2Error(
      'FilterLimitExceeded',
      `The maximum number of filter values specified on a single call is ${MAX_FILTER_VALUES}`,
    );
  }
  return read.map(({ filter, values }) => ({ name: filter.required('Name'), values }));
}

function tagList(params: QueryParams, prefix: string): Tag[] {
  return params
    .structures(prefix)
    .map((tag) => ({ key: tag.required('Key'), value: tag.string('Value') ?? '' }));
}

/** Tags of `TagSpecification.N` for the one resource type the action creates. */
function tagSpecifications(params: QueryParams, resourceType: string): Tag[] {
  return params.structures('TagSpecification').flatMap((specification) => {
    const type = specification.required('ResourceType');
    if (type !== resourceType) {
      throw new Ec2Error(
        'InvalidParameterValue',
        `'${type}' is not a valid taggable resource type for this operation. Expecting '${resourceType}'.`,
      );
    }
    return tagList(specification, 'Tag');
  });
}

function page<T>(
  context: ActionContext,
  resources: readonly T[],
  fields: FilterFields<T>,
  position: (resource: T) => number,
) {
  const filtered = applyFilters(resources, filters(context.params), fields);
  filtered.sort((a, b) => position(a) - position(b));
  return paginate(filtered, position, {
    maxResults: context.params.integer('MaxResults'),
    nextToken: context.params.string('NextToken'),
    scope: `${context.action}/${context.caller.account}/${context.caller.region}`,
  });
}

// ---- filter fields per resource ------------------------------------------------------

const one = (value: string | undefined): string[] => (value === undefined ? [] : [value]);

const serviceFields: FilterFields<EndpointService> = (name) => {
  const tags = tagFilterFields(name);
  if (tags !== undefined) return (service) => tags(service.tags);
  switch (name) {
    case 'service-name':
      return (service) => [service.name];
    case 'service-id':
      return (service) => [service.id];
    case 'service-state':
      return () => ['Available'];
    case 'service-type':
      return (service) => [service.type];
    case 'owner':
      return (service) => [service.account];
    case 'service-region':
      return (service) => [service.region];
    case 'supported-ip-address-types':
      return (service) => service.supportedIpAddressTypes;
    default:
      return undefined;
  }
};

const connectionFields: FilterFields<ServiceConnection> = (name) => {
  switch (name) {
    case 'service-id':
      return ({ service }) => [service.id];
    case 'vpc-endpoint-owner':
      return ({ endpoint }) => [endpoint.account];
    case 'vpc-endpoint-state':
      return ({ endpoint }) => [endpoint.state];
    case 'vpc-endpoint-id':
      return ({ endpoint }) => [endpoint.id];
    case 'vpc-endpoint-region':
      return ({ endpoint }) => [endpoint.region];
    case 'ip-address-type':
      return ({ endpoint }) => [endpoint.ipAddressType];
    default:
      return undefined;
  }
};

const endpointFields: FilterFields<Endpoint> = (name) => {
  const tags = tagFilterFields(name);
  if (tags !== undefined) return (endpoint) => tags(endpoint.tags);
  switch (name) {
    case 'ip-address-type':
      return (endpoint) => [endpoint.ipAddressType];
    case 'service-name':
      return (endpoint) => [endpoint.serviceName];
    case 'service-region':
      return (endpoint) => [endpoint.serviceRegion];
    case 'vpc-endpoint-id':
      return (endpoint) => [endpoint.id];
    case 'vpc-endpoint-state':
      return (endpoint) => [endpoint.state];
    case 'vpc-endpoint-type':
      return (endpoint) => [endpoint.type];
    case 'vpc-id':
      return (endpoint) => [endpoint.vpcId];
    default:
      return undefined;
  }
};

const notificationFields: FilterFields<ConnectionNotification> = (name) => {
  switch (name) {
    case 'connection-notification-arn':
      return (notification) => [notification.topicArn];
    case 'connection-notification-id':
      return (notification) => [notification.id];
    case 'connection-notification-state':
      return (notification) => [notification.state];
    case 'connection-notification-type':
      return () => ['Topic'];
    case 'service-id':
      return (notification) => one(notification.serviceId);
    case 'vpc-endpoint-id':
      return (notification) => one(notification.endpointId);
    default:
      return undefined;
  }
};

const principalFields: FilterFields<AllowedPrincipal> = (name) => {
  switch (name) {
    case 'principal':
      return (principal) => [principal.principal];
    case 'principal-type':
      return (principal) => [principal.type];
    default:
      return undefined;
  }
};

const tagDescriptionFields: FilterFields<TagDescription> = (name) => {
  switch (name) {
    case 'key':
      return (tag) => [tag.key];
    case 'value':
      return (tag) => [tag.value];
    case 'resource-id':
      return (tag) => [tag.resourceId];
    case 'resource-type':
      return (tag) => [tag.resourceType];
    default:
      return undefined;
  }
};

// ---- actions -------------------------------------------------------------------------

const actions: Record<string, ActionHandler> = {
  CreateVpcEndpointServiceConfiguration: ({ model, caller, params }) => {
    const clientToken = params.string('ClientToken');
    const acceptanceRequired = params.boolean('AcceptanceRequired');
    const privateDnsName = params.string('PrivateDnsName');
    const service = model.createService(caller, {
      networkLoadBalancerArns: params.list('NetworkLoadBalancerArn'),
      gatewayLoadBalancerArns: params.list('GatewayLoadBalancerArn'),
      supportedIpAddressTypes: params.list('SupportedIpAddressType'),
      supportedRegions: params.list('SupportedRegion'),
      tags: tagSpecifications(params, 'vpc-endpoint-service'),
      ...(acceptanceRequired === undefined ? {} : { acceptanceRequired }),
      ...(privateDnsName === undefined ? {} : { privateDnsName }),
      ...(clientToken === undefined ? {} : { clientToken }),
    });
    return { serviceConfiguration: serviceConfiguration(service), clientToken };
  },

  ModifyVpcEndpointServiceConfiguration: ({ model, caller, params }) => {
    const acceptanceRequired = params.boolean('AcceptanceRequired');
    const privateDnsName = params.string('PrivateDnsName');
    const removePrivateDnsName = params.boolean('RemovePrivateDnsName');
    model.modifyService(caller, params.required('ServiceId'), {
      ...(acceptanceRequired === undefined ? {} : { acceptanceRequired }),
      ...(privateDnsName === undefined ? {} : { privateDnsName }),
      ...(removePrivateDnsName === undefined ? {} : { removePrivateDnsName }),
      addNetworkLoadBalancerArns: params.list('AddNetworkLoadBalancerArn'),
      removeNetworkLoadBalancerArns: params.list('RemoveNetworkLoadBalancerArn'),
      addGatewayLoadBalancerArns: params.list('AddGatewayLoadBalancerArn'),
      removeGatewayLoadBalancerArns: params.list('RemoveGatewayLoadBalancerArn'),
      addSupportedIpAddressTypes: params.list('AddSupportedIpAddressType'),
      removeSupportedIpAddressTypes: params.list('RemoveSupportedIpAddressType'),
      addSupportedRegions: params.list('AddSupportedRegion'),
      removeSupportedRegions: params.list('RemoveSupportedRegion'),
    });
    return { return: true };
  },

  DescribeVpcEndpointServiceConfigurations: (context) => {
    const services = context.model.describeServices(context.caller, context.params.list('ServiceId'));
    const result = page(context, services, serviceFields, (service) => service.seq);
    return {
      serviceConfigurationSet: items(result.items.map(serviceConfiguration)),
      nextToken: result.nextToken,
    };
  },

  DeleteVpcEndpointServiceConfigurations: ({ model, caller, params }) => {
    const ids = params.list('ServiceId');
    if (ids.length === 0) throw ec2Errors.missingParameter('ServiceId');
    return { unsuccessful: unsuccessfulSet(model.deleteServices(caller, ids)) };
  },

  ModifyVpcEndpointServicePermissions: ({ model, caller, params }) => {
    const serviceId = params.required('ServiceId');
    const added = model.modifyPermissions(
      caller,
      serviceId,
      params.list('AddAllowedPrincipals'),
      params.list('RemoveAllowedPrincipals'),
    );
    return {
      addedPrincipalSet: items(added.map((principal) => principalXml(principal, serviceId, false))),
      return: true,
    };
  },

  DescribeVpcEndpointServicePermissions: (context) => {
    const serviceId = context.params.required('ServiceId');
    const principals = context.model.describePermissions(context.caller, serviceId);
    const order = new Map(principals.map((principal, index) => [principal.permissionId, index]));
    const result = page(
      context,
      principals,
      principalFields,
      (principal) => order.get(principal.permissionId) ?? 0,
    );
    return {
      allowedPrincipals: items(result.items.map((principal) => principalXml(principal, serviceId, true))),
      nextToken: result.nextToken,
    };
  },

  DescribeVpcEndpointConnections: (context) => {
    const connections = context.model.describeConnections(context.caller);
    const result = page(context, connections, connectionFields, ({ endpoint }) => endpoint.seq);
    return { vpcEndpointConnectionSet: items(result.items.map(connection)), nextToken: result.nextToken };
  },

  AcceptVpcEndpointConnections: ({ model, caller, params }) => {
    const serviceId = params.required('ServiceId');
    const endpointIds = params.list('VpcEndpointId');
    if (endpointIds.length === 0) throw ec2Errors.missingParameter('VpcEndpointId');
    return { unsuccessful: unsuccessfulSet(model.acceptConnections(caller, serviceId, endpointIds)) };
  },

  RejectVpcEndpointConnections: ({ model, caller, params }) => {
    const serviceId = params.required('ServiceId');
    const endpointIds = params.list('VpcEndpointId');
    if (endpointIds.length === 0) throw ec2Errors.missingParameter('VpcEndpointId');
    return { unsuccessful: unsuccessfulSet(model.rejectConnections(caller, serviceId, endpointIds)) };
  },

  CreateVpcEndpointConnectionNotification: ({ model, caller, params }) => {
    const serviceId = params.string('ServiceId');
    const endpointId = params.string('VpcEndpointId');
    const clientToken = params.string('ClientToken');
    const notification = model.createNotification(caller, {
      topicArn: params.required('ConnectionNotificationArn'),
      events: params.list('ConnectionEvents'),
      ...(serviceId === undefined ? {} : { serviceId }),
      ...(endpointId === undefined ? {} : { endpointId }),
      ...(clientToken === undefined ? {} : { clientToken }),
    });
    return { connectionNotification: notificationXml(notification), clientToken };
  },

  DescribeVpcEndpointConnectionNotifications: (context) => {
    const notifications = context.model.describeNotifications(
      context.caller,
      context.params.string('ConnectionNotificationId'),
    );
    const result = page(context, notifications, notificationFields, (notification) => notification.seq);
    return {
      connectionNotificationSet: items(result.items.map(notificationXml)),
      nextToken: result.nextToken,
    };
  },

  ModifyVpcEndpointConnectionNotification: ({ model, caller, params }) => {
    const topicArn = params.string('ConnectionNotificationArn');
    model.modifyNotification(caller, params.required('ConnectionNotificationId'), {
      events: params.list('ConnectionEvents'),
      ...(topicArn === undefined ? {} : { topicArn }),
    });
    return { return: true };
  },

  DeleteVpcEndpointConnectionNotifications: ({ model, caller, params }) => {
    const ids = params.list('ConnectionNotificationId');
    if (ids.length === 0) throw ec2Errors.missingParameter('ConnectionNotificationId');
    return { unsuccessful: unsuccessfulSet(model.deleteNotifications(caller, ids)) };
  },

  CreateTags: ({ model, caller, params }) => {
    model.createTags(caller, params.list('ResourceId'), tagList(params, 'Tag'));
    return { return: true };
  },

  DeleteTags: ({ model, caller, params }) => {
    const tags = params.structures('Tag').map((tag) => {
      const value = tag.string('Value');
      return value === undefined ? { key: tag.required('Key') } : { key: tag.required('Key'), value };
    });
    model.deleteTags(caller, params.list('ResourceId'), tags);
    return { return: true };
  },

  DescribeTags: (context) => {
    const tags = context.model.describeTags(context.caller);
    const order = new Map(tags.map((tag, index) => [tag, index]));
    const result = page(context, tags, tagDescriptionFields, (tag) => order.get(tag) ?? 0);
    return { nextToken: result.nextToken, tagSet: items(result.items.map(tagDescriptionXml)) };
  },

  CreateVpcEndpoint: ({ model, caller, params }) => {
    const type = params.string('VpcEndpointType');
    const serviceRegion = params.string('ServiceRegion');
    const ipAddressType = params.string('IpAddressType');
    const clientToken = params.string('ClientToken');
    const endpoint = model.createEndpoint(caller, {
      vpcId: params.required('VpcId'),
      serviceName: params.required('ServiceName'),
      subnetIds: params.list('SubnetId'),
      securityGroupIds: params.list('SecurityGroupId'),
      tags: tagSpecifications(params, 'vpc-endpoint'),
      ...(type === undefined ? {} : { type }),
      ...(serviceRegion === undefined ? {} : { serviceRegion }),
      ...(ipAddressType === undefined ? {} : { ipAddressType }),
      ...(clientToken === undefined ? {} : { clientToken }),
    });
    return { vpcEndpoint: endpointXml(endpoint), clientToken };
  },

  DescribeVpcEndpoints: (context) => {
    const endpoints = context.model.describeEndpoints(context.caller, context.params.list('VpcEndpointId'));
    const result = page(context, endpoints, endpointFields, (endpoint) => endpoint.seq);
    return { vpcEndpointSet: items(result.items.map(endpointXml)), nextToken: result.nextToken };
  },

  DeleteVpcEndpoints: ({ model, caller, params }) => {
    const ids = params.list('VpcEndpointId');
    if (ids.length === 0) throw ec2Errors.missingParameter('VpcEndpointId');
    return { unsuccessful: unsuccessfulSet(model.deleteEndpoints(caller, ids)) };
  },

  DescribeVpcEndpointServices: (context) => {
    const services = context.model.describeEndpointServices(
      context.caller,
      context.params.list('ServiceName'),
      context.params.list('ServiceRegion'),
    );
    const result = page(context, services, serviceFields, (service) => service.seq);
    return {
      serviceNameSet: items(result.items.map((service) => service.name)),
      serviceDetailSet: items(result.items.map(serviceDetail)),
      nextToken: result.nextToken,
    };
  },
};

export const EC2_ACTIONS: readonly string[] = Object.keys(actions);

function toEc2Error(error: unknown): Ec2Error | undefined {
  if (error instanceof Ec2Error) return error;
  if (error instanceof MissingQueryParameterError) {
    return new Ec2Error('MissingParameter', error.message, 400, { cause: error });
  }
  if (error instanceof InvalidQueryParameterError) {
    return new Ec2Error('InvalidParameterValue', error.message, 400, { cause: error });
  }
  return undefined;
}

export function ec2ErrorResponse(error: Ec2Error, requestId: string): QueryResponse {
  return { status: error.status, body: ec2ErrorDocument(error.code, error.message, requestId) };
}

/** Runs one EC2 Query request. Unexpected errors propagate to the server (500 InternalError). */
export function handleEc2Query(
  model: Ec2Model,
  caller: Ec2Caller,
  params: QueryParams,
  requestId: string,
): QueryResponse {
  const action = params.string('Action');
  try {
    if (action === undefined || action === '') {
      throw new Ec2Error('MissingAction', 'The request must contain the parameter Action');
    }
    const handler = Object.hasOwn(actions, action) ? actions[action] : undefined;
    if (handler === undefined) {
      throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
    if (params.boolean('DryRun') === true) {
      throw new Ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
    }
    const body = handler({ model, caller, params, action });
    return { status: 200, body: ec2Response(action, requestId, body) };
  } catch (error) {
    const ec2Error = toEc2Error(error);
    if (ec2Error === undefined) throw error;
    return ec2ErrorResponse(ec2Error, requestId);
  }
}
