/**
 * The state of the emulated EC2 PrivateLink API: endpoint services, their
 * permissions and connection notifications (the provider's side), interface
 * endpoints (the consumer's side), and the rules AWS applies between them.
 *
 * No HTTP and no XML here: methods take a caller and typed input, return
 * resources or throw `Ec2Error`, and report side effects through the injected
 * `schedule` (state-machine timers) and `notify` (connection notifications).
 */
import { resourceId } from '../ids.ts';
import { Ec2Error, ec2Errors, type UnsuccessfulItem } from './errors.ts';

export const ENDPOINT_STATES = [
  'pendingAcceptance',
  'pending',
  'available',
  'rejected',
  'expired',
  'failed',
  'deleting',
  'deleted',
  'partial',
] as const;
export type EndpointState = (typeof ENDPOINT_STATES)[number];

export const CONNECTION_EVENTS = ['Connect', 'Accept', 'Reject', 'Delete'] as const;
export type ConnectionEvent = (typeof CONNECTION_EVENTS)[number];

export const ENDPOINT_IP_ADDRESS_TYPES = ['ipv4', 'dualstack', 'ipv6'] as const;
export type EndpointIpAddressType = (typeof ENDPOINT_IP_ADDRESS_TYPES)[number];
export const SERVICE_IP_ADDRESS_TYPES = ['ipv4', 'ipv6'] as const;
export type ServiceIpAddressType = (typeof SERVICE_IP_ADDRESS_TYPES)[number];

export type ServiceType = 'Interface' | 'GatewayLoadBalancer';

/** Who asks: the account and region of the request's credential scope. */
export interface Ec2Caller {
  account: string;
  region: string;
}

export interface Tag {
  key: string;
  value: string;
}

export interface AllowedPrincipal {
  permissionId: string;
  principal: string;
  type: 'All' | 'Account' | 'Role' | 'User' | 'Service';
}

export interface EndpointService {
  id: string;
  name: string;
  account: string;
  region: string;
  type: ServiceType;
  acceptanceRequired: boolean;
  networkLoadBalancerArns: string[];
  gatewayLoadBalancerArns: string[];
  supportedIpAddressTypes: ServiceIpAddressType[];
  /** Regions whose consumers may connect (cross-region PrivateLink); always includes `region`. */
  supportedRegions: string[];
  privateDnsName?: string;
  tags: Tag[];
  principals: AllowedPrincipal[];
  createdAt: Date;
  seq: number;
  clientToken?: string;
}

export interface DnsEntry {
  dnsName: string;
  hostedZoneId: string;
}

export interface Endpoint {
  id: string;
  /** The consumer account (VpcEndpointOwner). */
  account: string;
  /** The consumer's region (VpcEndpointRegion). */
  region: string;
  type: ServiceType;
  serviceId: string;
  serviceName: string;
  serviceRegion: string;
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  networkInterfaceIds: string[];
  ipAddressType: EndpointIpAddressType;
  state: EndpointState;
  createdAt: Date;
  /** The endpoint's tags; the provider sees them as the connection's tags. */
  tags: Tag[];
  connectionId: string;
  dnsEntries: DnsEntry[];
  seq: number;
  clientToken?: string;
}

export interface ConnectionNotification {
  id: string;
  account: string;
  region: string;
  serviceId?: string;
  endpointId?: string;
  topicArn: string;
  events: ConnectionEvent[];
  state: 'Enabled';
  seq: number;
}

/** The model as plain JSON (times as ISO strings), what `--data` keeps. */
export interface Ec2Snapshot {
  /** The counter that orders resources (and NextTokens); it carries on after a restart. */
  seq: number;
  services: Array<Omit<EndpointService, 'createdAt'> & { createdAt: string }>;
  endpoints: Array<Omit<Endpoint, 'createdAt'> & { createdAt: string }>;
  notifications: ConnectionNotification[];
  /** `account/clientToken` → notification id. */
  notificationTokens: Array<[string, string]>;
}

/** A connection as the provider sees it: an endpoint on one of its services. */
export interface ServiceConnection {
  endpoint: Endpoint;
  service: EndpointService;
}

export interface TagDescription {
  resourceId: string;
  resourceType: 'vpc-endpoint-service' | 'vpc-endpoint';
  key: string;
  value: string;
}

/** A connection notification that fired: the cloud publishes it to `notification.topicArn`. */
export interface NotificationDelivery {
  notification: ConnectionNotification;
  event: ConnectionEvent;
  endpoint: Endpoint;
  service: EndpointService;
}

export interface Ec2ModelOptions {
  acceptDelayMs: number;
  deleteDelayMs: number;
  schedule: (delayMs: number, label: string, run: () => void) => void;
  notify: (delivery: NotificationDelivery) => void;
  /** Every endpoint's change of state as it happens (`from` undefined: just created). */
  onStateChange?: (endpoint: Readonly<Endpoint>, from: EndpointState | undefined) => void;
  now?: () => Date;
}

export interface CreateServiceInput {
  acceptanceRequired?: boolean;
  networkLoadBalancerArns: string[];
  gatewayLoadBalancerArns: string[];
  supportedIpAddressTypes: string[];
  supportedRegions: string[];
  privateDnsName?: string;
  tags: Tag[];
  clientToken?: string;
}

export interface ModifyServiceInput {
  acceptanceRequired?: boolean;
  privateDnsName?: string;
  removePrivateDnsName?: boolean;
  addNetworkLoadBalancerArns: string[];
  removeNetworkLoadBalancerArns: string[];
  addGatewayLoadBalancerArns: string[];
  removeGatewayLoadBalancerArns: string[];
  addSupportedIpAddressTypes: string[];
  removeSupportedIpAddressTypes: string[];
  addSupportedRegions: string[];
  removeSupportedRegions: string[];
}

export interface CreateEndpointInput {
  type?: string;
  vpcId: string;
  serviceName: string;
  /** The region of the service, for cross-region endpoints; the caller's region when absent. */
  serviceRegion?: string;
  subnetIds: string[];
  securityGroupIds: string[];
  ipAddressType?: string;
  tags: Tag[];
  clientToken?: string;
}

export interface CreateNotificationInput {
  serviceId?: string;
  endpointId?: string;
  topicArn: string;
  events: string[];
  clientToken?: string;
}

/** What `ModifyVpcEndpointConnectionNotification` changes: what is absent (or empty) stays. */
export interface ModifyNotificationInput {
  topicArn?: string;
  events: string[];
}

export const SERVICE_ID = /^vpce-svc-[0-9a-f]{8,17}$/;
export const ENDPOINT_ID = /^vpce-[0-9a-f]{8,17}$/;
export const NOTIFICATION_ID = /^vpce-nfn-[0-9a-f]{8,17}$/;
const SERVICE_NAME = /^com\.amazonaws\.vpce\.([a-z]{2}(?:-[a-z]+)+-[0-9]{1,2})\.(vpce-svc-[0-9a-f]{8,17})$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/;
const NLB_ARN =
  /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:loadbalancer\/net\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{1,32}$/;
const GWLB_ARN =
  /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:loadbalancer\/gwy\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{1,32}$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const ACCOUNT_ROOT = /^arn:aws[a-z-]*:iam::([0-9]{12}):root$/;
const ROLE_OR_USER = /^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)\/[A-Za-z0-9+=,.@_-]{1,64}$/;
const SERVICE_PRINCIPAL = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$/;

const MAX_TAGS_PER_RESOURCE = 50;
/** States in which an endpoint holds a connection the provider must account for. */
const LIVE_STATES: ReadonlySet<EndpointState> = new Set(['pendingAcceptance', 'pending', 'available']);
const HOSTED_ZONE_ID = 'Z7HUB22UULQXV';

function includesValue<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function validateTags(tags: readonly Tag[]): void {
  for (const tag of tags) {
    if (tag.key.length < 1 || tag.key.length > 128) {
      throw ec2Errors.invalidParameterValue('Tag.Key', tag.key, 'Tag keys must be 1 to 128 characters long.');
    }
    if (tag.key.toLowerCase().startsWith('aws:')) {
      throw new Ec2Error(
        'InvalidParameterValue',
        `Tag keys starting with 'aws:' are reserved for internal use: '${tag.key}'`,
      );
    }
    if (tag.value.length > 256) {
      throw ec2Errors.invalidParameterValue(
        'Tag.Value',
        tag.value,
        'Tag values must be at most 256 characters long.',
      );
    }
  }
}

/**
 * Sets `tags` on `target`, replacing values of existing keys; keeps first-set order.
 * Stops at the first tag past the limit (callers merge into a copy or a new resource
 * first), so a request with thousands of tags costs no more than one with 51.
 */
function mergeTags(target: Tag[], tags: readonly Tag[], resourceIdForError: string): void {
  const byKey = new Map(target.map((tag) => [tag.key, tag]));
  for (const tag of tags) {
    const existing = byKey.get(tag.key);
    if (existing !== undefined) {
      existing.value = tag.value;
      continue;
    }
    if (target.length >= MAX_TAGS_PER_RESOURCE) {
      throw new Ec2Error(
        'TagLimitExceeded',
        `The maximum number of tags (${MAX_TAGS_PER_RESOURCE}) for resource ${resourceIdForError} has been exceeded`,
      );
    }
    const added = { key: tag.key, value: tag.value };
    target.push(added);
    byKey.set(tag.key, added);
  }
}

/** `values` without `removals`, in one pass over each (not one pass over `removals` per value). */
function without<T>(values: readonly T[], removals: readonly T[]): T[] {
  const removed = new Set(removals);
  return values.filter((value) => !removed.has(value));
}

function principalType(principal: string): AllowedPrincipal['type'] | undefined {
  if (principal === '*') return 'All';
  if (ACCOUNT_ROOT.test(principal)) return 'Account';
  const roleOrUser = ROLE_OR_USER.exec(principal);
  if (roleOrUser !== null) return roleOrUser[1] === 'role' ? 'Role' : 'User';
  if (SERVICE_PRINCIPAL.test(principal)) return 'Service';
  return undefined;
}

function checkTopicArn(topicArn: string): void {
  if (!TOPIC_ARN.test(topicArn)) {
    throw ec2Errors.invalidParameterValue(
      'ConnectionNotificationArn',
      topicArn,
      'Expecting an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME).',
    );
  }
}

function connectionEvents(values: readonly string[]): ConnectionEvent[] {
  return unique(values).map((event) => {
    if (!includesValue(CONNECTION_EVENTS, event)) {
      throw ec2Errors.invalidParameterValue(
        'ConnectionEvents',
        event,
        'Valid values are Accept, Connect, Delete and Reject.',
      );
    }
    return event;
  });
}

export class Ec2Model {
  private readonly services = new Map<string, EndpointService>();
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly notifications = new Map<string, ConnectionNotification>();
  /** `account/clientToken` → notification id, for idempotent creates. */
  private readonly notificationTokens = new Map<string, string>();
  private seq = 0;
  private readonly now: () => Date;

  constructor(private readonly options: Ec2ModelOptions) {
    this.now = options.now ?? (() => new Date());
  }

  private setState(endpoint: Endpoint, state: EndpointState): void {
    const from = endpoint.state;
    endpoint.state = state;
    this.options.onStateChange?.(endpoint, from);
  }

  private nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  // ---- lookups with AWS's visibility -------------------------------------------------

  private ownService(caller: Ec2Caller, id: string): EndpointService {
    if (!SERVICE_ID.test(id)) throw ec2Errors.serviceIdMalformed(id);
    const service = this.services.get(id);
    if (service === undefined || service.account !== caller.account || service.region !== caller.region) {
      throw ec2Errors.serviceNotFound(id);
    }
    return service;
  }

  private ownEndpoint(caller: Ec2Caller, id: string): Endpoint {
    if (!ENDPOINT_ID.test(id)) throw ec2Errors.endpointIdMalformed(id);
    const endpoint = this.endpoints.get(id);
    if (endpoint === undefined || endpoint.account !== caller.account || endpoint.region !== caller.region) {
      throw ec2Errors.endpointNotFound(id);
    }
    return endpoint;
  }

  /** Whether `account` may see and connect to `service` (owner, `*`, or the account's root ARN). */
  private allows(service: EndpointService, account: string): boolean {
    if (service.account === account) return true;
    return service.principals.some(
      (permission) => permission.type === 'All' || ACCOUNT_ROOT.exec(permission.principal)?.[1] === account,
    );
  }

  /** A service the caller can reach from its region, by the service's region. */
  private visibleService(caller: Ec2Caller, service: EndpointService, serviceRegion: string): boolean {
    if (service.region !== serviceRegion) return false;
    if (service.region !== caller.region && !service.supportedRegions.includes(caller.region)) return false;
    return this.allows(service, caller.account);
  }

  // ---- provider: endpoint services ---------------------------------------------------

  createService(caller: Ec2Caller, input: CreateServiceInput): EndpointService {
    if (input.clientToken !== undefined) {
      const earlier = [...this.services.values()].find(
        (service) => service.clientToken === input.clientToken && service.account === caller.account,
      );
      if (earlier !== undefined) return earlier;
    }
    const nlbs = unique(input.networkLoadBalancerArns);
    const gwlbs = unique(input.gatewayLoadBalancerArns);
    if (nlbs.length > 0 && gwlbs.length > 0) {
      throw new Ec2Error(
        'InvalidParameterCombination',
        'You cannot specify both NetworkLoadBalancerArns and GatewayLoadBalancerArns',
      );
    }
    if (nlbs.length === 0 && gwlbs.length === 0) {
      throw ec2Errors.missingParameter('NetworkLoadBalancerArn or GatewayLoadBalancerArn');
    }
    this.validateLoadBalancers(nlbs, NLB_ARN, 'NetworkLoadBalancerArn');
    this.validateLoadBalancers(gwlbs, GWLB_ARN, 'GatewayLoadBalancerArn');
    const ipTypes = this.serviceIpAddressTypes(
      input.supportedIpAddressTypes.length > 0 ? input.supportedIpAddressTypes : ['ipv4'],
    );
    const regions = this.regions(input.supportedRegions, 'SupportedRegion');
    validateTags(input.tags);
    const id = resourceId('vpce-svc');
    const service: EndpointService = {
      id,
      name: `com.amazonaws.vpce.${caller.region}.${id}`,
      account: caller.account,
      region: caller.region,
      type: nlbs.length > 0 ? 'Interface' : 'GatewayLoadBalancer',
      acceptanceRequired: input.acceptanceRequired ?? true,
      networkLoadBalancerArns: nlbs,
      gatewayLoadBalancerArns: gwlbs,
      supportedIpAddressTypes: ipTypes,
      supportedRegions: unique([caller.region, ...regions]),
      tags: [],
      principals: [],
      createdAt: this.now(),
      seq: this.nextSeq(),
    };
    if (input.privateDnsName !== undefined) service.privateDnsName = input.privateDnsName;
    if (input.clientToken !== undefined) service.clientToken = input.clientToken;
    mergeTags(service.tags, input.tags, id);
    this.services.set(id, service);
    return service;
  }

  private validateLoadBalancers(arns: readonly string[], pattern: RegExp, parameter: string): void {
    for (const arn of arns) {
      if (!pattern.test(arn)) {
        throw ec2Errors.invalidParameterValue(parameter, arn, 'Expecting a well-formed load balancer ARN.');
      }
    }
  }

  private serviceIpAddressTypes(values: readonly string[]): ServiceIpAddressType[] {
    return unique(values).map((value) => {
      if (!includesValue(SERVICE_IP_ADDRESS_TYPES, value)) {
        throw ec2Errors.invalidParameterValue('SupportedIpAddressType', value, 'Expecting ipv4 or ipv6.');
      }
      return value;
    });
  }

  private regions(values: readonly string[], parameter: string): string[] {
    for (const value of values) {
      if (!REGION.test(value))
        throw ec2Errors.invalidParameterValue(parameter, value, 'Expecting a region name.');
    }
    return unique(values);
  }

  modifyService(caller: Ec2Caller, id: string, input: ModifyServiceInput): EndpointService {
    const service = this.ownService(caller, id);
    if (input.privateDnsName !== undefined && input.removePrivateDnsName === true) {
      throw new Ec2Error(
        'InvalidParameterCombination',
        'You cannot specify both PrivateDnsName and RemovePrivateDnsName',
      );
    }
    this.validateLoadBalancers(input.addNetworkLoadBalancerArns, NLB_ARN, 'AddNetworkLoadBalancerArn');
    this.validateLoadBalancers(input.addGatewayLoadBalancerArns, GWLB_ARN, 'AddGatewayLoadBalancerArn');
    if (service.type === 'Interface' && input.addGatewayLoadBalancerArns.length > 0) {
      throw new Ec2Error('InvalidParameter', `Service ${id} uses Network Load Balancers`);
    }
    if (service.type === 'GatewayLoadBalancer' && input.addNetworkLoadBalancerArns.length > 0) {
      throw new Ec2Error('InvalidParameter', `Service ${id} uses Gateway Load Balancers`);
    }
    const nlbs = without(
      unique([...service.networkLoadBalancerArns, ...input.addNetworkLoadBalancerArns]),
      input.removeNetworkLoadBalancerArns,
    );
    const gwlbs = without(
      unique([...service.gatewayLoadBalancerArns, ...input.addGatewayLoadBalancerArns]),
      input.removeGatewayLoadBalancerArns,
    );
    if (nlbs.length === 0 && gwlbs.length === 0) {
      throw new Ec2Error('InvalidParameter', `Service ${id} must keep at least one load balancer`);
    }
    const ipTypes = without(
      this.serviceIpAddressTypes([...service.supportedIpAddressTypes, ...input.addSupportedIpAddressTypes]),
      input.removeSupportedIpAddressTypes as ServiceIpAddressType[],
    );
    if (ipTypes.length === 0) {
      throw new Ec2Error('InvalidParameter', `Service ${id} must support at least one IP address type`);
    }
    const added = this.regions(input.addSupportedRegions, 'AddSupportedRegion');
    this.regions(input.removeSupportedRegions, 'RemoveSupportedRegion');
    if (input.removeSupportedRegions.includes(service.region)) {
      throw new Ec2Error('InvalidParameter', `The service region ${service.region} cannot be removed`);
    }
    service.networkLoadBalancerArns = nlbs;
    service.gatewayLoadBalancerArns = gwlbs;
    service.supportedIpAddressTypes = ipTypes;
    service.supportedRegions = without(
      unique([...service.supportedRegions, ...added]),
      input.removeSupportedRegions,
    );
    if (input.acceptanceRequired !== undefined) service.acceptanceRequired = input.acceptanceRequired;
    if (input.privateDnsName !== undefined) service.privateDnsName = input.privateDnsName;
    if (input.removePrivateDnsName === true) delete service.privateDnsName;
    return service;
  }

  /** The caller's services in its region; every id asked for must be one of them. */
  describeServices(caller: Ec2Caller, ids: readonly string[]): EndpointService[] {
    if (ids.length > 0) return unique(ids).map((id) => this.ownService(caller, id));
    return [...this.services.values()].filter(
      (service) => service.account === caller.account && service.region === caller.region,
    );
  }

  deleteServices(caller: Ec2Caller, ids: readonly string[]): UnsuccessfulItem[] {
    const unsuccessful: UnsuccessfulItem[] = [];
    for (const id of unique(ids)) {
      const service = attempt(() => this.ownService(caller, id));
      if (service instanceof Ec2Error) {
        unsuccessful.push(unsuccessfulOf(id, service));
        continue;
      }
      const live = [...this.endpoints.values()].some(
        (endpoint) => endpoint.serviceId === service.id && LIVE_STATES.has(endpoint.state),
      );
      if (live) {
        unsuccessful.push({
          resourceId: id,
          code: 'ExistingVpcEndpointConnections',
          message: `Service ${id} has existing active VPC Endpoint connections!`,
        });
        continue;
      }
      this.services.delete(id);
      for (const notification of this.notifications.values()) {
        if (notification.serviceId === id) this.notifications.delete(notification.id);
      }
    }
    return unsuccessful;
  }

  // ---- provider: permissions ---------------------------------------------------------

  modifyPermissions(
    caller: Ec2Caller,
    id: string,
    add: readonly string[],
    remove: readonly string[],
  ): AllowedPrincipal[] {
    const service = this.ownService(caller, id);
    const additions = unique(add).map((principal) => {
      const type = principalType(principal);
      if (type === undefined) {
        throw ec2Errors.invalidParameterValue(
          'AddAllowedPrincipals',
          principal,
          "Expecting '*', an account root ARN (arn:aws:iam::123456789012:root), a role or user ARN, or a service principal.",
        );
      }
      return { principal, type };
    });
    const added: AllowedPrincipal[] = [];
    const byPrincipal = new Map(service.principals.map((permission) => [permission.principal, permission]));
    for (const { principal, type } of additions) {
      const existing = byPrincipal.get(principal);
      if (existing !== undefined) {
        added.push(existing);
        continue;
      }
      const permission: AllowedPrincipal = { permissionId: resourceId('vpce-svc-perm'), principal, type };
      service.principals.push(permission);
      byPrincipal.set(principal, permission);
      added.push(permission);
    }
    const removals = new Set(remove);
    service.principals = service.principals.filter((permission) => !removals.has(permission.principal));
    return added.filter((permission) => !removals.has(permission.principal));
  }

  describePermissions(caller: Ec2Caller, id: string): AllowedPrincipal[] {
    return [...this.ownService(caller, id).principals];
  }

  // ---- provider: connections ---------------------------------------------------------

  /** Every endpoint, in any state, on the caller's services in its region. */
  describeConnections(caller: Ec2Caller): ServiceConnection[] {
    const connections: ServiceConnection[] = [];
    for (const endpoint of this.endpoints.values()) {
      const service = this.services.get(endpoint.serviceId);
      if (service === undefined || service.account !== caller.account || service.region !== caller.region)
        continue;
      connections.push({ endpoint, service });
    }
    return connections;
  }

  acceptConnections(
    caller: Ec2Caller,
    serviceId: string,
    endpointIds: readonly string[],
  ): UnsuccessfulItem[] {
    const service = this.ownService(caller, serviceId);
    return this.eachConnection(service, endpointIds, (endpoint) => {
      if (endpoint.state !== 'pendingAcceptance') {
        return {
          resourceId: endpoint.id,
          code: 'InvalidState',
          message: `Endpoint ${endpoint.id} is in state ${endpoint.state}; only pendingAcceptance endpoints can be accepted`,
        };
      }
      this.startAcceptance(endpoint, service);
      this.fire('Accept', endpoint, service);
      return undefined;
    });
  }

  rejectConnections(
    caller: Ec2Caller,
    serviceId: string,
    endpointIds: readonly string[],
  ): UnsuccessfulItem[] {
    const service = this.ownService(caller, serviceId);
    return this.eachConnection(service, endpointIds, (endpoint) => {
      if (!LIVE_STATES.has(endpoint.state)) {
        return {
          resourceId: endpoint.id,
          code: 'InvalidState',
          message: `Endpoint ${endpoint.id} is in state ${endpoint.state} and cannot be rejected`,
        };
      }
      this.setState(endpoint, 'rejected');
      this.fire('Reject', endpoint, service);
      return undefined;
    });
  }

  private eachConnection(
    service: EndpointService,
    endpointIds: readonly string[],
    act: (endpoint: Endpoint) => UnsuccessfulItem | undefined,
  ): UnsuccessfulItem[] {
    const unsuccessful: UnsuccessfulItem[] = [];
    for (const id of unique(endpointIds)) {
      if (!ENDPOINT_ID.test(id)) {
        unsuccessful.push(unsuccessfulOf(id, ec2Errors.endpointIdMalformed(id)));
        continue;
      }
      const endpoint = this.endpoints.get(id);
      if (endpoint === undefined || endpoint.serviceId !== service.id) {
        unsuccessful.push(unsuccessfulOf(id, ec2Errors.endpointNotFound(id)));
        continue;
      }
      const failure = act(endpoint);
      if (failure !== undefined) unsuccessful.push(failure);
    }
    return unsuccessful;
  }

  /** pending now, available after the accept delay unless something else happened meanwhile. */
  private startAcceptance(endpoint: Endpoint, service: EndpointService): void {
    this.setState(endpoint, 'pending');
    this.scheduleAvailable(endpoint, service.id);
  }

  private scheduleAvailable(endpoint: Endpoint, serviceId: string): void {
    this.options.schedule(this.options.acceptDelayMs, `${endpoint.id} pending -> available`, () => {
      if (endpoint.state === 'pending' && this.services.get(serviceId) !== undefined)
        this.setState(endpoint, 'available');
    });
  }

  private scheduleDeleted(endpoint: Endpoint): void {
    this.options.schedule(this.options.deleteDelayMs, `${endpoint.id} deleting -> deleted`, () => {
      if (endpoint.state === 'deleting') this.setState(endpoint, 'deleted');
    });
  }

  // ---- connection notifications ------------------------------------------------------

  createNotification(caller: Ec2Caller, input: CreateNotificationInput): ConnectionNotification {
    if (input.serviceId !== undefined && input.endpointId !== undefined) {
      throw new Ec2Error(
        'InvalidParameterCombination',
        'You cannot specify both ServiceId and VpcEndpointId',
      );
    }
    if (input.serviceId === undefined && input.endpointId === undefined) {
      throw ec2Errors.missingParameter('ServiceId or VpcEndpointId');
    }
    if (input.serviceId !== undefined) this.ownService(caller, input.serviceId);
    if (input.endpointId !== undefined) this.ownEndpoint(caller, input.endpointId);
    checkTopicArn(input.topicArn);
    if (input.events.length === 0) throw ec2Errors.missingParameter('ConnectionEvents');
    const events = connectionEvents(input.events);
    const tokenKey = input.clientToken === undefined ? undefined : `${caller.account}/${input.clientToken}`;
    const earlier =
      tokenKey === undefined
        ? undefined
        : this.notifications.get(this.notificationTokens.get(tokenKey) ?? '');
    if (earlier !== undefined) return earlier;
    const notification: ConnectionNotification = {
      id: resourceId('vpce-nfn'),
      account: caller.account,
      region: caller.region,
      topicArn: input.topicArn,
      events,
      state: 'Enabled',
      seq: this.nextSeq(),
    };
    if (input.serviceId !== undefined) notification.serviceId = input.serviceId;
    if (input.endpointId !== undefined) notification.endpointId = input.endpointId;
    if (tokenKey !== undefined) this.notificationTokens.set(tokenKey, notification.id);
    this.notifications.set(notification.id, notification);
    return notification;
  }

  /**
   * Changes a notification's topic, its events, or both, in place: its id and scope stay.
   * EC2 answers an id the caller does not own as it answers an unknown one.
   */
  modifyNotification(caller: Ec2Caller, id: string, input: ModifyNotificationInput): ConnectionNotification {
    const notification = this.notifications.get(id);
    if (
      notification === undefined ||
      notification.account !== caller.account ||
      notification.region !== caller.region
    ) {
      throw ec2Errors.notificationNotFound(id);
    }
    if (input.topicArn !== undefined) checkTopicArn(input.topicArn);
    const events = input.events.length === 0 ? undefined : connectionEvents(input.events);
    if (input.topicArn !== undefined) notification.topicArn = input.topicArn;
    if (events !== undefined) notification.events = events;
    return notification;
  }

  describeNotifications(caller: Ec2Caller, id: string | undefined): ConnectionNotification[] {
    const own = [...this.notifications.values()].filter(
      (notification) => notification.account === caller.account && notification.region === caller.region,
    );
    if (id === undefined) return own;
    const found = own.filter((notification) => notification.id === id);
    if (found.length === 0) throw ec2Errors.notificationNotFound(id);
    return found;
  }

  deleteNotifications(caller: Ec2Caller, ids: readonly string[]): UnsuccessfulItem[] {
    const unsuccessful: UnsuccessfulItem[] = [];
    for (const id of unique(ids)) {
      const notification = this.notifications.get(id);
      if (
        notification === undefined ||
        notification.account !== caller.account ||
        notification.region !== caller.region
      ) {
        unsuccessful.push(unsuccessfulOf(id, ec2Errors.notificationNotFound(id)));
        continue;
      }
      this.notifications.delete(id);
    }
    return unsuccessful;
  }

  /** Every enabled notification for the event, on the service (provider) or the endpoint (consumer). */
  private fire(event: ConnectionEvent, endpoint: Endpoint, service: EndpointService): void {
    for (const notification of this.notifications.values()) {
      const scoped = notification.serviceId === service.id || notification.endpointId === endpoint.id;
      if (scoped && notification.state === 'Enabled' && notification.events.includes(event)) {
        this.options.notify({ notification, event, endpoint, service });
      }
    }
  }

  // ---- tags -------------------------------------------------------------------------

  private taggable(caller: Ec2Caller, id: string): { tags: Tag[] } {
    if (id.startsWith('vpce-svc-')) return this.ownService(caller, id);
    if (id.startsWith('vpce-')) return this.ownEndpoint(caller, id);
    throw new Ec2Error('InvalidID', `The ID '${id}' is not valid`);
  }

  createTags(caller: Ec2Caller, resourceIds: readonly string[], tags: readonly Tag[]): void {
    if (resourceIds.length === 0) throw ec2Errors.missingParameter('ResourceId');
    if (tags.length === 0) throw ec2Errors.missingParameter('Tag');
    validateTags(tags);
    const resources = resourceIds.map((id) => ({ id, resource: this.taggable(caller, id) }));
    for (const { id, resource } of resources) {
      const copy = resource.tags.map((tag) => ({ ...tag }));
      mergeTags(copy, tags, id);
    }
    for (const { id, resource } of resources) mergeTags(resource.tags, tags, id);
  }

  /** Removes the given keys (only where the value matches, when a value is given); all tags when none given. */
  deleteTags(
    caller: Ec2Caller,
    resourceIds: readonly string[],
    tags: ReadonlyArray<{ key: string; value?: string }>,
  ): void {
    if (resourceIds.length === 0) throw ec2Errors.missingParameter('ResourceId');
    const resources = resourceIds.map((id) => this.taggable(caller, id));
    for (const resource of resources) {
      const kept = resource.tags.filter(
        (tag) =>
          tags.length > 0 &&
          !tags.some(
            (removal) =>
              removal.key === tag.key && (removal.value === undefined || removal.value === tag.value),
          ),
      );
      resource.tags.splice(0, resource.tags.length, ...kept);
    }
  }

  describeTags(caller: Ec2Caller): TagDescription[] {
    const descriptions: TagDescription[] = [];
    const resources: Array<{ id: string; type: TagDescription['resourceType']; tags: Tag[]; seq: number }> = [
      ...this.describeServices(caller, []).map((service) => ({
        id: service.id,
        type: 'vpc-endpoint-service' as const,
        tags: service.tags,
        seq: service.seq,
      })),
      ...this.describeEndpoints(caller, []).map((endpoint) => ({
        id: endpoint.id,
        type: 'vpc-endpoint' as const,
        tags: endpoint.tags,
        seq: endpoint.seq,
      })),
    ].sort((a, b) => a.seq - b.seq);
    for (const resource of resources) {
      for (const tag of resource.tags) {
        descriptions.push({
          resourceId: resource.id,
          resourceType: resource.type,
          key: tag.key,
          value: tag.value,
        });
      }
    }
    return descriptions;
  }

  // ---- consumer: endpoints -----------------------------------------------------------

  createEndpoint(caller: Ec2Caller, input: CreateEndpointInput): Endpoint {
    if (input.clientToken !== undefined) {
      const earlier = [...this.endpoints.values()].find(
        (endpoint) => endpoint.clientToken === input.clientToken && endpoint.account === caller.account,
      );
      if (earlier !== undefined) return earlier;
    }
    if (!VPC_ID.test(input.vpcId)) {
      throw new Ec2Error('InvalidVpcId.Malformed', `Invalid id: "${input.vpcId}" (expecting "vpc-...")`);
    }
    for (const subnetId of input.subnetIds) {
      if (!SUBNET_ID.test(subnetId)) {
        throw new Ec2Error('InvalidSubnetID.Malformed', `Invalid id: "${subnetId}" (expecting "subnet-...")`);
      }
    }
    for (const groupId of input.securityGroupIds) {
      if (!SECURITY_GROUP_ID.test(groupId)) {
        throw new Ec2Error(
          'InvalidSecurityGroupId.Malformed',
          `Invalid id: "${groupId}" (expecting "sg-...")`,
        );
      }
    }
    const serviceRegion = input.serviceRegion ?? caller.region;
    if (!REGION.test(serviceRegion)) {
      throw ec2Errors.invalidParameterValue('ServiceRegion', serviceRegion, 'Expecting a region name.');
    }
    const nameMatch = SERVICE_NAME.exec(input.serviceName);
    const service = nameMatch === null ? undefined : this.services.get(nameMatch[2] ?? '');
    if (
      service === undefined ||
      service.name !== input.serviceName ||
      !this.visibleService(caller, service, serviceRegion)
    ) {
      throw ec2Errors.serviceNameNotFound(input.serviceName);
    }
    // AWS's default endpoint type is Gateway, which no endpoint service offers.
    const type = input.type ?? 'Gateway';
    if (type !== service.type) {
      throw new Ec2Error(
        'InvalidParameter',
        `Endpoint type (${type}) does not match available service types ([${service.type}]).`,
      );
    }
    const ipAddressType = this.endpointIpAddressType(input.ipAddressType, service);
    validateTags(input.tags);
    const id = resourceId('vpce');
    const endpoint: Endpoint = {
      id,
      account: caller.account,
      region: caller.region,
      type,
      serviceId: service.id,
      serviceName: service.name,
      serviceRegion: service.region,
      vpcId: input.vpcId,
      subnetIds: unique(input.subnetIds),
      securityGroupIds: unique(input.securityGroupIds),
      networkInterfaceIds: unique(input.subnetIds).map(() => resourceId('eni')),
      ipAddressType,
      state: service.acceptanceRequired ? 'pendingAcceptance' : 'pending',
      createdAt: this.now(),
      tags: [],
      connectionId: resourceId('vpce-con'),
      dnsEntries: [
        {
          dnsName: `${id}-${resourceId('x').slice(2, 10)}.${service.id}.${service.region}.vpce.amazonaws.com`,
          hostedZoneId: HOSTED_ZONE_ID,
        },
      ],
      seq: this.nextSeq(),
    };
    if (input.clientToken !== undefined) endpoint.clientToken = input.clientToken;
    mergeTags(endpoint.tags, input.tags, id);
    this.endpoints.set(id, endpoint);
    this.options.onStateChange?.(endpoint, undefined);
    this.fire('Connect', endpoint, service);
    if (!service.acceptanceRequired) {
      this.startAcceptance(endpoint, service);
      this.fire('Accept', endpoint, service);
    }
    return endpoint;
  }

  private endpointIpAddressType(
    requested: string | undefined,
    service: EndpointService,
  ): EndpointIpAddressType {
    const supported = service.supportedIpAddressTypes;
    if (requested === undefined) return supported.includes('ipv4') ? 'ipv4' : 'ipv6';
    if (!includesValue(ENDPOINT_IP_ADDRESS_TYPES, requested)) {
      throw ec2Errors.invalidParameterValue('IpAddressType', requested, 'Expecting ipv4, dualstack or ipv6.');
    }
    const needs: ServiceIpAddressType[] = requested === 'dualstack' ? ['ipv4', 'ipv6'] : [requested];
    if (!needs.every((type) => supported.includes(type))) {
      throw new Ec2Error(
        'InvalidParameter',
        `The endpoint service ${service.id} does not support IP address type ${requested}`,
      );
    }
    return requested;
  }

  describeEndpoints(caller: Ec2Caller, ids: readonly string[]): Endpoint[] {
    if (ids.length > 0) return unique(ids).map((id) => this.ownEndpoint(caller, id));
    return [...this.endpoints.values()].filter(
      (endpoint) => endpoint.account === caller.account && endpoint.region === caller.region,
    );
  }

  deleteEndpoints(caller: Ec2Caller, ids: readonly string[]): UnsuccessfulItem[] {
    const unsuccessful: UnsuccessfulItem[] = [];
    for (const id of unique(ids)) {
      const endpoint = attempt(() => this.ownEndpoint(caller, id));
      if (endpoint instanceof Ec2Error) {
        unsuccessful.push(unsuccessfulOf(id, endpoint));
        continue;
      }
      if (endpoint.state === 'deleted') {
        unsuccessful.push(unsuccessfulOf(id, ec2Errors.endpointNotFound(id)));
        continue;
      }
      if (endpoint.state === 'deleting') continue;
      this.setState(endpoint, 'deleting');
      const service = this.services.get(endpoint.serviceId);
      if (service !== undefined) this.fire('Delete', endpoint, service);
      this.scheduleDeleted(endpoint);
    }
    return unsuccessful;
  }

  // ---- state kept across restarts (--data) -------------------------------------------

  /** Everything the model holds, as plain JSON. */
  snapshot(): Ec2Snapshot {
    return {
      seq: this.seq,
      services: [...this.services.values()].map((service) => ({
        ...service,
        createdAt: service.createdAt.toISOString(),
      })),
      endpoints: [...this.endpoints.values()].map((endpoint) => ({
        ...endpoint,
        createdAt: endpoint.createdAt.toISOString(),
      })),
      notifications: [...this.notifications.values()],
      notificationTokens: [...this.notificationTokens],
    };
  }

  /**
   * Takes over a snapshot, replacing whatever the model held. Transitions that were
   * under way (pending -> available, deleting -> deleted) start again with their full
   * delay, as if the cloud had only now seen the accept or the delete.
   */
  restore(snapshot: Ec2Snapshot): void {
    this.services.clear();
    this.endpoints.clear();
    this.notifications.clear();
    this.notificationTokens.clear();
    for (const service of snapshot.services) {
      this.services.set(service.id, { ...service, createdAt: new Date(service.createdAt) });
    }
    for (const saved of snapshot.endpoints) {
      const endpoint: Endpoint = { ...saved, createdAt: new Date(saved.createdAt) };
      this.endpoints.set(endpoint.id, endpoint);
      if (endpoint.state === 'pending') this.scheduleAvailable(endpoint, endpoint.serviceId);
      if (endpoint.state === 'deleting') this.scheduleDeleted(endpoint);
    }
    for (const notification of snapshot.notifications) this.notifications.set(notification.id, notification);
    for (const [key, id] of snapshot.notificationTokens) this.notificationTokens.set(key, id);
    this.seq = snapshot.seq;
  }

  /**
   * Services the caller could connect to: its own and those whose permissions
   * allow it, in the given service regions (the caller's region by default).
   * Every name asked for must be among them, else `InvalidServiceName`.
   */
  describeEndpointServices(
    caller: Ec2Caller,
    names: readonly string[],
    regions: readonly string[],
  ): EndpointService[] {
    const serviceRegions = regions.length > 0 ? this.regions(regions, 'ServiceRegion') : [caller.region];
    const visible = [...this.services.values()].filter((service) =>
      serviceRegions.some((region) => this.visibleService(caller, service, region)),
    );
    if (names.length === 0) return visible;
    return unique(names).map((name) => {
      const service = visible.find((candidate) => candidate.name === name);
      if (service === undefined) throw ec2Errors.serviceNameNotFound(name);
      return service;
    });
  }
}

/** An id a batch action could not act on, in the shape of EC2's `Unsuccessful` items. */
function unsuccessfulOf(id: string, error: Ec2Error): UnsuccessfulItem {
  return { resourceId: id, code: error.code, message: error.message };
}

/** The lookup's result, or the EC2 error it raised; any other error propagates. */
function attempt<T>(lookup: () => T): T | Ec2Error {
  try {
    return lookup();
  } catch (error) {
    if (error instanceof Ec2Error) return error;
    throw error;
  }
}
