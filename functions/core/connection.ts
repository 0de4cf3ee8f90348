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
