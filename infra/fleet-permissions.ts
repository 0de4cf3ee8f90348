/**
 * What crosses accounts in a fleet, as policy statements (no CDK, like permissions.ts): the
 * spoke role's permissions and trust, the hub's ingest-queue and bus policies, and the hub
 * functions' right to assume spoke roles. The stacks are built from these, and the local
 * cloud can judge the same statements.
 */
import {
  OPT_IN_REGIONS,
  spokeForwarderRoleName,
  spokeTopicArn,
  spokeTopicName,
} from '../functions/shared/fleet.ts';
import type { FleetConfig } from './config.ts';
import {
  CONNECTION_ACTIONS,
  type Conditions,
  ENROLLMENT_ACTIONS,
  endpointServicesArn,
  type FleetMembers,
  type GateStatement,
  MANAGED_SERVICE_CONDITION,
} from './permissions.ts';

export { assumeSpokeRoleStatements, type FleetMembers, type MemberRegion } from './permissions.ts';

/** The members a fleet's config names, as the hub's policies name them. */
export function fleetMembersOf(fleet: FleetConfig, partition: string): FleetMembers {
  return {
    partition,
    spokeRoleName: fleet.spokeRoleName,
    listed: fleet.members.flatMap(({ account, regions }) => regions.map((region) => ({ account, region }))),
    ...(fleet.organizationalUnits.length > 0 && fleet.organizationId !== undefined
      ? {
          organization: {
            id: fleet.organizationId,
            units: fleet.organizationalUnits,
            regions: fleet.regions ?? [],
          },
        }
      : {}),
  };
}

/**
 * SNS's principals for delivering from the members' regions: `sns.amazonaws.com`, and the
 * regional principal of each opt-in region, which SNS uses across regions from there.
 */
export function snsPrincipals(fleet: FleetMembers): string[] {
  const regions = [...fleet.listed.map((member) => member.region), ...(fleet.organization?.regions ?? [])];
  const optIn = [...new Set(regions.filter((region) => OPT_IN_REGIONS.has(region)))].sort();
  return ['sns.amazonaws.com', ...optIn.map((region) => `sns.${region}.amazonaws.com`)];
}

/** A statement of a resource policy: who may call (accounts, services, or anyone the conditions admit). */
export interface PrincipalStatement extends GateStatement {
  principal: { services: readonly string[] } | { accounts: readonly string[] } | '*';
}

/** What the spoke role may do in its member's account and region, and nothing else. */
export const SPOKE_ROLE_DESCRIBE_ACTIONS = [
  'ec2:DescribeVpcEndpointConnections',
  'ec2:DescribeVpcEndpointServiceConfigurations',
  'ec2:DescribeVpcEndpointServicePermissions',
  'ec2:DescribeVpcEndpointConnectionNotifications',
];
export const SPOKE_ROLE_MANAGED_ACTIONS = [
  ...CONNECTION_ACTIONS,
  'ec2:ModifyVpcEndpointServicePermissions',
  ...ENROLLMENT_ACTIONS,
];

/**
 * The spoke role's statements. EC2's Describe actions support no resource-level permissions
 * and no `aws:ResourceTag` condition, so they take `*` (they read, in this account and region
 * only); every action that changes something is held to services tagged
 * `privatelink-gate:managed=true` in this account and region.
 */
export function spokeRoleStatements(r: {
  partition: string;
  account: string;
  region: string;
}): GateStatement[] {
  return [
    { sid: 'DescribeEndpointServices', actions: SPOKE_ROLE_DESCRIBE_ACTIONS, resources: ['*'] },
    {
      sid: 'ManageTaggedEndpointServices',
      actions: SPOKE_ROLE_MANAGED_ACTIONS,
      resources: [endpointServicesArn(r)],
      conditions: MANAGED_SERVICE_CONDITION,
    },
  ];
}

/**
 * The spoke role's trust: the hub account, and within it exactly the hub's acting functions'
 * roles (by `aws:PrincipalArn`, which outlives a role being replaced, where a role ARN as the
 * principal would turn into a dangling unique id) and the operators the config names,
 * presenting the external id. Operators may be patterns (`*`), so with any, every ARN is
 * matched with `ArnLike` (one operator: two would both have to hold); an exact ARN matches itself.
 */
export function spokeTrustConditions(
  actingRoleArns: readonly string[],
  externalId: string,
  operators: readonly string[] = [],
): Conditions {
  return {
    ...(operators.length === 0
      ? { ArnEquals: { 'aws:PrincipalArn': [...actingRoleArns] } }
      : { ArnLike: { 'aws:PrincipalArn': [...actingRoleArns, ...operators] } }),
    StringEquals: { 'sts:ExternalId': externalId },
  };
}

/** The spoke topics of the listed members. */
export const listedSpokeTopicArns = (fleet: FleetMembers): string[] =>
  fleet.listed.map(({ account, region }) =>
    spokeTopicArn(fleet.partition, account, region, fleet.spokeRoleName),
  );

/**
 * The hub's ingest queue admits SNS deliveries from members' spoke topics only: listed
 * members' by their exact ARNs (`aws:SourceArn`, which SNS's documentation uses for SQS
 * deliveries); an organization's by the spoke topic's name in any of its accounts and regions,
 * and `aws:SourceOrgID` (IAM's global key for a service principal acting on behalf of a
 * resource in an organization). Not `aws:SourceOrgPaths`: the units are enforced by where the
 * StackSet deploys and by the hub, which acts only in members.
 */
export function fleetIngestQueuePolicy(fleet: FleetMembers, queueArn: string): PrincipalStatement[] {
  const statements: PrincipalStatement[] = [];
  const sns = { services: snsPrincipals(fleet) };
  if (fleet.listed.length > 0) {
    statements.push({
      sid: 'ListedMemberSpokeTopics',
      principal: sns,
      actions: ['sqs:SendMessage'],
      resources: [queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': listedSpokeTopicArns(fleet) } },
    });
  }
  if (fleet.organization) {
    statements.push({
      sid: 'OrganizationSpokeTopics',
      principal: sns,
      actions: ['sqs:SendMessage'],
      resources: [queueArn],
      conditions: {
        ArnLike: { 'aws:SourceArn': `arn:${fleet.partition}:sns:*:*:${spokeTopicName(fleet.spokeRoleName)}` },
        StringEquals: { 'aws:SourceOrgID': fleet.organization.id },
      },
    });
  }
  return statements;
}

/**
 * The hub's bus admits `PutEvents` from members' forwarding roles only: listed members' by
 * account and role ARN; the units' by organization path and role name.
 */
export function fleetBusPolicy(fleet: FleetMembers, busArn: string): PrincipalStatement[] {
  const statements: PrincipalStatement[] = [];
  if (fleet.listed.length > 0) {
    const forwarders = fleet.listed.map(
      ({ account, region }) =>
        `arn:${fleet.partition}:iam::${account}:role/${spokeForwarderRoleName(fleet.spokeRoleName, region)}`,
    );
    statements.push({
      sid: 'ListedMemberForwarders',
      principal: { accounts: [...new Set(fleet.listed.map((member) => member.account))].sort() },
      actions: ['events:PutEvents'],
      resources: [busArn],
      conditions: { ArnEquals: { 'aws:PrincipalArn': forwarders } },
    });
  }
  if (fleet.organization) {
    const { id, units } = fleet.organization;
    statements.push({
      sid: 'OrganizationForwarders',
      principal: '*',
      actions: ['events:PutEvents'],
      resources: [busArn],
      conditions: {
        StringEquals: { 'aws:PrincipalOrgID': id },
        'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': units.map((unit) => `${id}/*/${unit}/*`) },
        ArnLike: {
          'aws:PrincipalArn': `arn:${fleet.partition}:iam::*:role/${spokeForwarderRoleName(fleet.spokeRoleName, '*')}`,
        },
      },
    });
  }
  return statements;
}
