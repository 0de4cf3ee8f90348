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
  /**
   * Where the endpoint service lives: the provider account and region whose EC2 the
   * connection was read from (a fleet member's, or the gate's own). EC2's connection does not
   * say; the adapter that read it stamps it (`inPlace`). Undefined when not known.
   */
  serviceAccount?: string;
  serviceRegion?: string;
}

/** The provider account and region a connection was read in. */
export interface ServicePlace {
  account: string;
  region: string;
}

/** The connection, known to live in the given provider account and region. */
export function inPlace(connection: Connection, place: ServicePlace): Connection {
  return { ...connection, serviceAccount: place.account, serviceRegion: place.region };
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
 * break it. Throws ConnectionParseError naming the first field it cannot read and the value.
 */
export function parseConnection(raw: unknown): Connection {
  const read = readConnection(raw);
  if (read.problems.length > 0 || read.connection === undefined) {
    throw read.problems[0] ?? new ConnectionParseError('VpcEndpointConnection', 'cannot be read', raw);
  }
  return read.connection;
}

/**
 * Reads a connection as parseConnection does, but reports every field it cannot read, in
 * field order, for a person who wrote the connection by hand: one run shows them all.
 */
export function readConnection(raw: unknown): { connection?: Connection; problems: ConnectionParseError[] } {
  if (!isRecord(raw)) {
    return { problems: [new ConnectionParseError('VpcEndpointConnection', 'must be an object', raw)] };
  }
  const problems: ConnectionParseError[] = [];
  const field = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof ConnectionParseError)) throw error;
      problems.push(error);
      return undefined;
    }
  };
  const serviceId = field(() =>
    requiredId(raw, 'ServiceId', SERVICE_ID, 'an endpoint service id (vpce-svc-…)'),
  );
  const endpointId = field(() => requiredId(raw, 'VpcEndpointId', ENDPOINT_ID, 'an endpoint id (vpce-…)'));
  const account = field(() => requiredId(raw, 'VpcEndpointOwner', ACCOUNT_ID, 'a 12-digit account id'));
  const state = field(() => parseState(raw.VpcEndpointState));
  const createdAt = field(() => parseCreatedAt(raw.CreationTimestamp));
  const tags = parseTags(raw.Tags, problems);
  const networkLoadBalancers = field(() => stringList(raw, 'NetworkLoadBalancerArns'));
  const gatewayLoadBalancers = field(() => stringList(raw, 'GatewayLoadBalancerArns'));
  const region = field(() => parseRegion(raw.VpcEndpointRegion));
  const ipAddressType = field(() => parseIpAddressType(raw.IpAddressType));
  const connectionId = field(() => parseConnectionId(raw.VpcEndpointConnectionId));
  if (
    problems.length > 0 ||
    serviceId === undefined ||
    endpointId === undefined ||
    account === undefined ||
    state === undefined ||
    createdAt === undefined
  ) {
    return { problems };
  }
  const connection: Connection = {
    serviceId,
    endpointId,
    account,
    state,
    createdAt,
    tags,
    loadBalancerArns: [...(networkLoadBalancers ?? []), ...(gatewayLoadBalancers ?? [])],
  };
  if (region !== undefined) connection.region = region;
  if (ipAddressType !== undefined) connection.ipAddressType = ipAddressType;
  if (connectionId !== undefined) connection.connectionId = connectionId;
  return { connection, problems };
}

function parseState(rawState: unknown): ConnectionState {
  if (typeof rawState !== 'string') {
    throw new ConnectionParseError('VpcEndpointState', 'must be a connection state', rawState);
  }
  return normalizeState(rawState);
}

function parseRegion(region: unknown): string | undefined {
  if (region === undefined || region === null) return undefined;
  if (typeof region !== 'string' || !REGION.test(region)) {
    throw new ConnectionParseError('VpcEndpointRegion', 'must be an AWS region such as us-east-1', region);
  }
  return region;
}

function parseIpAddressType(ipAddressType: unknown): IpAddressType | undefined {
  if (ipAddressType === undefined || ipAddressType === null) return undefined;
  const normalized = typeof ipAddressType === 'string' ? ipAddressType.toLowerCase() : undefined;
  const known = IP_ADDRESS_TYPES.find((type) => type === normalized);
  if (known === undefined) {
    throw new ConnectionParseError(
      'IpAddressType',
      `must be one of ${IP_ADDRESS_TYPES.join(', ')}`,
      ipAddressType,
    );
  }
  return known;
}

function parseConnectionId(connectionId: unknown): string | undefined {
  if (connectionId === undefined || connectionId === null) return undefined;
  if (typeof connectionId !== 'string') {
    throw new ConnectionParseError('VpcEndpointConnectionId', 'must be a string', connectionId);
  }
  return connectionId;
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

/** The tags it can read; a problem for each one it cannot. */
function parseTags(value: unknown, problems: ConnectionParseError[]): Record<string, string> {
  const tags: Record<string, string> = {};
  if (value === undefined || value === null) return tags;
  if (!Array.isArray(value)) {
    problems.push(new ConnectionParseError('Tags', 'must be a list of {Key, Value}', value));
    return tags;
  }
  value.forEach((tag: unknown, index) => {
    if (!isRecord(tag) || typeof tag.Key !== 'string' || tag.Key === '') {
      problems.push(
        new ConnectionParseError(
          `Tags[${index}].Key`,
          'must be a non-empty string',
          isRecord(tag) ? tag.Key : tag,
        ),
      );
      return;
    }
    const tagValue = tag.Value ?? '';
    if (typeof tagValue !== 'string') {
      problems.push(new ConnectionParseError(`Tags[${index}].Value`, 'must be a string', tagValue));
      return;
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
