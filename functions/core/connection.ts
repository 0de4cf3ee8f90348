import { parseIsoTimestamp } from './iso8601.ts';

/**
 * One endpoint connection as the gate sees it: the provider's view of a consumer's
 * interface endpoint on one of its endpoint services. Parsed from EC2's
 * `VpcEndpointConnection` shape in exactly one place (`parseConnection`).
 */
export const CONNECTION_STATES = [
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
export type ConnectionState = (typeof CONNECTION_STATES)[number];

export const IP_ADDRESS_TYPES = ['ipv4', 'dualstack', 'ipv6'] as const;
export type IpAddressType = (typeof IP_ADDRESS_TYPES)[number];

export interface Connection {
  serviceId: string;
  endpointId: string;
  /** The consumer's AWS account id (VpcEndpointOwner). */
  account: string;
  state: ConnectionState;
  createdAt: Date;
  /** The consumer endpoint's region (cross-region PrivateLink); undefined when EC2 does not say. */
  region?: string;
  ipAddressType?: IpAddressType;
  /** Connection tags; keys are case-sensitive. */
  tags: Record<string, string>;
  connectionId?: string;
  loadBalancerArns: string[];
}

/** An EC2 connection the gate cannot read; names the field and the value it got. */
export class ConnectionParseError extends Error {
  override name = 'ConnectionParseError';
  constructor(
    readonly field: string,
    readonly reason: string,
    readonly value: unknown,
    options?: ErrorOptions,
  ) {
    super(`${field}: ${reason}, got ${describeValue(value)}`, options);
  }
}

const STATE_BY_LOWERCASE: ReadonlyMap<string, ConnectionState> = new Map(
  CONNECTION_STATES.map((state) => [state.toLowerCase(), state]),
);

/**
 * The one place connection states are compared: the API says `pendingAcceptance`, the
 * SDK's enum says `PendingAcceptance`; both (any casing) become `pendingAcceptance`.
 */
export function normalizeState(state: string): ConnectionState {
  const normalized = typeof state === 'string' ? STATE_BY_LOWERCASE.get(state.toLowerCase()) : undefined;
  if (normalized === undefined) {
    throw new ConnectionParseError(
      'VpcEndpointState',
      `must be one of ${CONNECTION_STATES.join(', ')}`,
      state,
    );
  }
  return normalized;
}

const SERVICE_ID = /^vpce-svc-[0-9a-f]{8,17}$/;
const ENDPOINT_ID = /^vpce-[0-9a-f]{8,17}$/;
const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * Parses one EC2 `VpcEndpointConnection`, as the SDK returns it (CreationTimestamp a
 * Date) or as the AWS CLI prints it (an ISO string); states in either casing; Tags as
 * `[{Key, Value}]`. Fields the gate does not use are ignored, so new AWS fields never
 * break it. Throws ConnectionParseError naming the field and the value.
 */
export function parseConnection(raw: unknown): Connection {
  if (!isRecord(raw)) throw new ConnectionParseError('VpcEndpointConnection', 'must be an object', raw);
  const serviceId = requiredId(raw, 'ServiceId', SERVICE_ID, 'an endpoint service id (vpce-svc-…)');
  const endpointId = requiredId(raw, 'VpcEndpointId', ENDPOINT_ID, 'an endpoint id (vpce-…)');
  const account = requiredId(raw, 'VpcEndpointOwner', ACCOUNT_ID, 'a 12-digit account id');
  const rawState = raw.VpcEndpointState;
  if (typeof rawState !== 'string') {
    throw new ConnectionParseError('VpcEndpointState', 'must be a connection state', rawState);
  }
  const connection: Connection = {
    serviceId,
    endpointId,
    account,
    state: normalizeState(rawState),
    createdAt: parseCreatedAt(raw.CreationTimestamp),
    tags: parseTags(raw.Tags),
    loadBalancerArns: [
      ...stringList(raw, 'NetworkLoadBalancerArns'),
      ...stringList(raw, 'GatewayLoadBalancerArns'),
    ],
  };
  const region = raw.VpcEndpointRegion;
  if (region !== undefined && region !== null) {
    if (typeof region !== 'string' || !REGION.test(region)) {
      throw new ConnectionParseError('VpcEndpointRegion', 'must be an AWS region such as us-east-1', region);
    }
    connection.region = region;
  }
  const ipAddressType = raw.IpAddressType;
  if (ipAddressType !== undefined && ipAddressType !== null) {
    const normalized = typeof ipAddressType === 'string' ? ipAddressType.toLowerCase() : undefined;
    const known = IP_ADDRESS_TYPES.find((type) => type === normalized);
    if (known === undefined) {
      throw new ConnectionParseError(
        'IpAddressType',
        `must be one of ${IP_ADDRESS_TYPES.join(', ')}`,
        ipAddressType,
      );
    }
    connection.ipAddressType = known;
  }
  const connectionId = raw.VpcEndpointConnectionId;
  if (connectionId !== undefined && connectionId !== null) {
    if (typeof connectionId !== 'string') {
      throw new ConnectionParseError('VpcEndpointConnectionId', 'must be a string', connectionId);
    }
    connection.connectionId = connectionId;
  }
  return connection;
}

function requiredId(raw: Record<string, unknown>, field: string, pattern: RegExp, what: string): string {
  const value = raw[field];
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new ConnectionParseError(
      field,
      value === undefined ? `is required (${what})` : `must be ${what}`,
      value,
    );
  }
  return value;
}

function parseCreatedAt(value: unknown): Date {
  if (value instanceof Date && Number.isFinite(value.getTime())) return new Date(value.getTime());
  if (typeof value === 'string') {
    const ms = parseIsoTimestamp(value);
    if (ms !== undefined) return new Date(ms);
  }
  throw new ConnectionParseError(
    'CreationTimestamp',
    value === undefined ? 'is required' : 'must be a Date or an ISO-8601 timestamp with a zone',
    value,
  );
}

function parseTags(value: unknown): Record<string, string> {
  const tags: Record<string, string> = {};
  if (value === undefined || value === null) return tags;
  if (!Array.isArray(value)) throw new ConnectionParseError('Tags', 'must be a list of {Key, Value}', value);
  value.forEach((tag: unknown, index) => {
    if (!isRecord(tag) || typeof tag.Key !== 'string' || tag.Key === '') {
      throw new ConnectionParseError(
        `Tags[${index}].Key`,
        'must be a non-empty string',
        isRecord(tag) ? tag.Key : tag,
      );
    }
    const tagValue = tag.Value ?? '';
    if (typeof tagValue !== 'string') {
      throw new ConnectionParseError(`Tags[${index}].Value`, 'must be a string', tagValue);
    }
    Object.defineProperty(tags, tag.Key, {
      value: tagValue,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
  return tags;
}

function stringList(raw: Record<string, unknown>, field: string): string[] {
  const value = raw[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ConnectionParseError(field, 'must be a list of strings', value);
  return value.map((item: unknown, index) => {
    if (typeof item !== 'string')
      throw new ConnectionParseError(`${field}[${index}]`, 'must be a string', item);
    return item;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value instanceof Date)
    return `Date(${Number.isFinite(value.getTime()) ? value.toISOString() : 'invalid'})`;
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}
