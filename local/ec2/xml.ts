/**
 * EC2's XML response shapes for endpoint services and endpoints, element names
 * as the EC2 API serializes them (lowerCamel members, lists as `xxxSet` of
 * `<item>`), so that the AWS SDKs and the AWS CLI parse them.
 */
import { items, type XmlObject, xmlDocument } from '../xml.ts';
import type { UnsuccessfulItem } from './errors.ts';
import type {
  AllowedPrincipal,
  ConnectionNotification,
  Endpoint,
  EndpointService,
  ServiceConnection,
  Tag,
  TagDescription,
} from './model.ts';

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export function ec2Response(action: string, requestId: string, body: XmlObject): string {
  return xmlDocument(`${action}Response`, EC2_NAMESPACE, { requestId, ...body });
}

export function ec2ErrorDocument(code: string, message: string, requestId: string): string {
  return xmlDocument('Response', undefined, {
    Errors: { Error: { Code: code, Message: message } },
    RequestID: requestId,
  });
}

export const tagSet = (tags: readonly Tag[]) =>
  items(tags.map((tag) => ({ key: tag.key, value: tag.value })));

export function unsuccessfulSet(failures: readonly UnsuccessfulItem[]) {
  return items(
    failures.map((failure) => ({
      error: { code: failure.code, message: failure.message },
      resourceId: failure.resourceId,
    })),
  );
}

const availabilityZones = (region: string): string[] => [`${region}a`, `${region}b`];

export function serviceConfiguration(service: EndpointService): XmlObject {
  return {
    serviceType: items([{ serviceType: service.type }]),
    serviceId: service.id,
    serviceName: service.name,
    serviceState: 'Available',
    availabilityZoneSet: items(availabilityZones(service.region)),
    acceptanceRequired: service.acceptanceRequired,
    managesVpcEndpoints: false,
    networkLoadBalancerArnSet: items(service.networkLoadBalancerArns),
    gatewayLoadBalancerArnSet: items(service.gatewayLoadBalancerArns),
    supportedIpAddressTypeSet: items(service.supportedIpAddressTypes),
    baseEndpointDnsNameSet: items([`${service.id}.${service.region}.vpce.amazonaws.com`]),
    privateDnsName: service.privateDnsName,
    payerResponsibility: 'ServiceOwner',
    tagSet: tagSet(service.tags),
    supportedRegionSet: items(
      service.supportedRegions.map((region) => ({ region, serviceState: 'Available' })),
    ),
    remoteAccessEnabled: false,
  };
}

export function serviceDetail(service: EndpointService): XmlObject {
  return {
    serviceName: service.name,
    serviceId: service.id,
    serviceType: items([{ serviceType: service.type }]),
    serviceRegion: service.region,
    availabilityZoneSet: items(availabilityZones(service.region)),
    owner: service.account,
    baseEndpointDnsNameSet: items([`${service.id}.${service.region}.vpce.amazonaws.com`]),
    privateDnsName: service.privateDnsName,
    vpcEndpointPolicySupported: false,
    acceptanceRequired: service.acceptanceRequired,
    managesVpcEndpoints: false,
    payerResponsibility: 'ServiceOwner',
    tagSet: tagSet(service.tags),
    supportedIpAddressTypeSet: items(service.supportedIpAddressTypes),
  };
}

export function connection({ endpoint, service }: ServiceConnection): XmlObject {
  return {
    serviceId: service.id,
    vpcEndpointId: endpoint.id,
    vpcEndpointOwner: endpoint.account,
    vpcEndpointState: endpoint.state,
    creationTimestamp: endpoint.createdAt,
    dnsEntrySet: items(
      endpoint.dnsEntries.map((entry) => ({ dnsName: entry.dnsName, hostedZoneId: entry.hostedZoneId })),
    ),
    networkLoadBalancerArnSet: items(service.networkLoadBalancerArns),
    gatewayLoadBalancerArnSet: items(service.gatewayLoadBalancerArns),
    ipAddressType: endpoint.ipAddressType,
    vpcEndpointConnectionId: endpoint.connectionId,
    tagSet: tagSet(endpoint.tags),
    vpcEndpointRegion: endpoint.region,
  };
}

export function endpointXml(endpoint: Endpoint): XmlObject {
  return {
    vpcEndpointId: endpoint.id,
    vpcEndpointType: endpoint.type,
    vpcId: endpoint.vpcId,
    serviceName: endpoint.serviceName,
    state: endpoint.state,
    routeTableIdSet: items([]),
    subnetIdSet: items(endpoint.subnetIds),
    groupSet: items(endpoint.securityGroupIds.map((groupId) => ({ groupId, groupName: groupId }))),
    ipAddressType: endpoint.ipAddressType,
    dnsOptions: {
      dnsRecordIpType: endpoint.ipAddressType === 'dualstack' ? 'dualstack' : endpoint.ipAddressType,
    },
    privateDnsEnabled: false,
    requesterManaged: false,
    networkInterfaceIdSet: items(endpoint.networkInterfaceIds),
    dnsEntrySet: items(
      endpoint.dnsEntries.map((entry) => ({ dnsName: entry.dnsName, hostedZoneId: entry.hostedZoneId })),
    ),
    creationTimestamp: endpoint.createdAt,
    tagSet: tagSet(endpoint.tags),
    ownerId: endpoint.account,
    serviceRegion: endpoint.serviceRegion,
  };
}

export function notificationXml(notification: ConnectionNotification): XmlObject {
  return {
    connectionNotificationId: notification.id,
    serviceId: notification.serviceId,
    vpcEndpointId: notification.endpointId,
    connectionNotificationType: 'Topic',
    connectionNotificationArn: notification.topicArn,
    connectionEvents: items(notification.events),
    connectionNotificationState: notification.state,
    serviceRegion: notification.region,
  };
}

export function principalXml(principal: AllowedPrincipal, serviceId: string, withTags: boolean): XmlObject {
  return {
    principalType: principal.type,
    principal: principal.principal,
    servicePermissionId: principal.permissionId,
    tagSet: withTags ? items([]) : undefined,
    serviceId,
  };
}

export function tagDescriptionXml(tag: TagDescription): XmlObject {
  return { key: tag.key, resourceId: tag.resourceId, resourceType: tag.resourceType, value: tag.value };
}
