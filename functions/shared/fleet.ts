import { createHash } from 'node:crypto';

/**
 * The names a fleet's hub and spokes agree on. A spoke lives in another account, so the hub
 * cannot take its resources' names from CloudFormation: both sides compute them from these
 * functions, the stacks at synth and the hub's functions at run time.
 */

/** The spoke's prefix when the config names none (`fleet.spokeRoleName`). */
export const DEFAULT_SPOKE_ROLE_NAME = 'plgate-spoke';

/** The gate's functions that act in a member, through its spoke role. */
export const ACTING_FUNCTIONS = ['ingest', 'decide', 'sweep', 'operator', 'register'] as const;
export type ActingFunction = (typeof ACTING_FUNCTIONS)[number];

/**
 * The acting functions that list the fleet's members (to sweep them, or to find which member a
 * service lives in): every one that routes to a member's EC2. Register changes the hub's own
 * services' permissions only.
 */
export const MEMBER_LISTING_FUNCTIONS = [
  'ingest',
  'decide',
  'sweep',
  'operator',
] as const satisfies readonly ActingFunction[];

const IAM_NAME_MAX = 64;

/**
 * The spoke role of one member region: `<spokeRoleName>-<region>`. IAM names are global to an
 * account and a spoke is one per account and region, so the region is part of the name; each
 * region's role acts on that region's services only.
 */
export const spokeRoleName = (prefix: string, region: string): string => `${prefix}-${region}`;

/** The role the spoke's EventBridge rule forwards the provider's calls to the hub's bus with. */
export const spokeForwarderRoleName = (prefix: string, region: string): string => `${prefix}-fwd-${region}`;

/** The topic the member's endpoint services notify (one per account and region, so no region in it). */
export const spokeTopicName = (prefix: string): string => `${prefix}-ingest`;

export const spokeRoleArn = (partition: string, account: string, region: string, prefix: string): string =>
  `arn:${partition}:iam::${account}:role/${spokeRoleName(prefix, region)}`;

export const spokeTopicArn = (partition: string, account: string, region: string, prefix: string): string =>
  `arn:${partition}:sns:${region}:${account}:${spokeTopicName(prefix)}`;

/**
 * The fixed name of a hub function's role in a fleet, which members' spoke roles trust:
 * `<stackName>-<function>`, or for a long stack name its first 30 characters, a hyphen and 8
 * hex digits of its SHA-256, so it fits IAM's 64 characters.
 */
export function hubRoleName(stackName: string, fn: ActingFunction): string {
  const plain = `${stackName}-${fn}`;
  if (plain.length <= IAM_NAME_MAX) return plain;
  const digest = createHash('sha256').update(stackName).digest('hex').slice(0, 8);
  return `${stackName.slice(0, 30).replace(/-+$/, '')}-${digest}-${fn}`;
}

/** The hub's queue that every spoke topic delivers to. */
export const hubIngestQueueName = (stackName: string): string => `${stackName.slice(0, 60)}-fleet-ingest`;

/** The external id a hub's functions present and its spoke roles require, unless the config gives one. */
export const defaultExternalId = (hubAccount: string, stackName: string): string =>
  `privatelink-gate:${hubAccount}:${stackName}`;

/**
 * Regions an account must opt in to. SNS in one delivers to SQS in another region only
 * through the regional principal `sns.<region>.amazonaws.com`, and never from one opt-in
 * region to another.
 */
export const OPT_IN_REGIONS: ReadonlySet<string> = new Set([
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-west-1',
  'eu-central-2',
  'eu-south-1',
  'eu-south-2',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
]);
