/** The gate's EventBridge contract: source and detail types on the gate's bus. */
export const EVENT_SOURCE = 'privatelink-gate';
export const DETAIL_TYPE = {
  connectionEvent: 'Connection Event',
  connectionDecision: 'Connection Decision',
  sweepRequested: 'Sweep Requested',
} as const;

export const TRIGGERS = ['notification', 'sweep', 'rule-change', 'manual', 'cloudtrail', 'register'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** Detail of a `Connection Event`: a trigger, never a fact. The decider re-reads EC2. */
export interface ConnectionEventDetail {
  serviceId: string;
  endpointId?: string;
  trigger: Trigger;
  /** The raw notification or CloudTrail event, for the record only. */
  raw?: unknown;
  /** Fleets: the member account and region the service lives in (the spoke topic's). */
  serviceAccount?: string;
  serviceRegion?: string;
}

/** Detail of `Sweep Requested`: a continuation of a sweep that ran out of time, or a sweep of chosen services. */
export interface SweepRequestedDetail {
  serviceIds?: string[];
  /** Services already done in this sweep run. */
  cursor?: { serviceId: string; nextToken?: string };
  reason: 'continuation' | 'rule-change' | 'manual';
}

/** The provider's own EC2 calls that tell the gate something changed (CloudTrail, default bus). */
export const PROVIDER_API_CALLS = [
  'CreateVpcEndpointServiceConfiguration',
  'CreateTags',
  'AcceptVpcEndpointConnections',
  'RejectVpcEndpointConnections',
  'ModifyVpcEndpointServiceConfiguration',
];
export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
