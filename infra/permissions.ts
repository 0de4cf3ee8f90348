/**
 * What each of the gate's functions may do: the one list. The CDK stack builds every
 * function's role from it, and `plgate local` authorises every call a function makes
 * against the same statements, so a permission the code needs and the stack lacks fails
 * locally exactly as it would on AWS.
 *
 * Only what the handler code calls is here. What Lambda itself does with a function's
 * role (its log group, X-Ray, its dead-letter queue, reading the rules-table stream for
 * the event source mapping) is granted by the constructs that set those up.
 *
 * No CDK here: resources are functions of the stack's names and ARNs, which are tokens
 * in the stack and plain ARNs in the local cloud.
 */
import { ACTING_FUNCTIONS, MEMBER_LISTING_FUNCTIONS, spokeRoleArn } from '../functions/shared/fleet.ts';
import { INVITATION_KIND, MANAGED_TAG, VERSION_ITEM } from '../functions/shared/tables.ts';

/** The gate's functions, one entry each in {@link FUNCTION_PERMISSIONS}. */
export const GATE_FUNCTIONS = ['ingest', 'decide', 'sweep', 'ruleChange', 'operator', 'register'] as const;
export type GateFunctionName = (typeof GATE_FUNCTIONS)[number];

/** The stack's resources the statements name. */
export interface GateResources {
  partition: string;
  account: string;
  region: string;
  rulesTableArn: string;
  ledgerTableArn: string;
  decisionsTopicArn: string;
  ingestTopicArn: string;
  gateBusArn: string;
  /** The customer managed key that encrypts the gate's topics. */
  topicKeyArn: string;
}

export interface PermissionOptions {
  /** Decide and sweep read the consumer account's organization (config `organizationsLookup`). */
  organizationsLookup: boolean;
  /** A fleet's hub: the functions that act in members may assume their spoke roles (fleet-permissions.ts). */
  fleet?: FleetMembers;
}

/** One member account and region that a listed spoke stack (not the StackSet) runs in. */
export interface MemberRegion {
  account: string;
  region: string;
}

/** A fleet's members as the hub's policies name them. */
export interface FleetMembers {
  partition: string;
  /** `fleet.spokeRoleName`: the prefix of every spoke resource's name. */
  spokeRoleName: string;
  /** Listed members, one entry per account and region. */
  listed: readonly MemberRegion[];
  /** With organizational units: the organization and the units whose accounts are members. */
  organization?: { id: string; units: readonly string[]; regions: readonly string[] };
}

export type Conditions = Record<string, Record<string, string | string[]>>;

/** One Allow statement of a function's role. */
export interface GateStatement {
  sid: string;
  actions: readonly string[];
  resources: readonly string[];
  conditions?: Conditions;
}

/** One statement of a resource policy (e.g. a topic policy), for a service principal. */
export interface ResourceStatement extends GateStatement {
  servicePrincipal: string;
}

export const CONNECTION_ACTIONS = ['ec2:AcceptVpcEndpointConnections', 'ec2:RejectVpcEndpointConnections'];
export const ENROLLMENT_ACTIONS = [
  'ec2:ModifyVpcEndpointServiceConfiguration',
  'ec2:CreateVpcEndpointConnectionNotification',
  'ec2:ModifyVpcEndpointConnectionNotification',
];
const TABLE_READ = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
];
const TABLE_WRITE = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];
/** Publishing to a topic encrypted with a customer managed key takes a data key from it. */
const TOPIC_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey*'];

/** Only endpoint services that carry the gate's tag. */
export const MANAGED_SERVICE_CONDITION: Conditions = {
  StringEquals: { [`aws:ResourceTag/${MANAGED_TAG.key}`]: MANAGED_TAG.value },
};

/** `arn:PARTITION:ec2:REGION:ACCOUNT:vpc-endpoint-service/*`: this account's services in this region. */
export const endpointServicesArn = (r: Pick<GateResources, 'partition' | 'account' | 'region'>): string =>
  `arn:${r.partition}:ec2:${r.region}:${r.account}:vpc-endpoint-service/*`;

/** A table's indexes: the ledger's history queries use byService and byAccount. */
export const indexesOf = (tableArn: string): string => `${tableArn}/index/*`;

/*
 * EC2, scoped the way the Service Authorization Reference allows:
 * - Accept/Reject authorize one resource type, `vpc-endpoint-service` (ours, scoped to
 *   this account, region and the managed tag). The consumer's endpoint is not a resource
 *   of these actions: a grant on `vpc-endpoint/*` in every account would only widen the
 *   policy (the local cloud's IAM evaluator, reading the Service Authorization Reference,
 *   refuses to evaluate that resource for them).
 * - Enrollment acts on our service, scoped by the same tag.
 * - Describe* support no resource-level permissions and take `*`.
 */
const describe = (sid: string, actions: string[]): GateStatement => ({ sid, actions, resources: ['*'] });

const actOnConnections = (r: GateResources): GateStatement[] => [
  {
    sid: 'ActOnManagedServices',
    actions: CONNECTION_ACTIONS,
    resources: [endpointServicesArn(r)],
    conditions: MANAGED_SERVICE_CONDITION,
  },
];

const enrollment = (r: GateResources): GateStatement[] => [
  {
    sid: 'EnrollManagedServices',
    actions: ENROLLMENT_ACTIONS,
    resources: [endpointServicesArn(r)],
    conditions: MANAGED_SERVICE_CONDITION,
  },
  describe('DescribeNotifications', ['ec2:DescribeVpcEndpointConnectionNotifications']),
];

const readConnections = (): GateStatement =>
  describe('DescribeConnections', [
    'ec2:DescribeVpcEndpointConnections',
    'ec2:DescribeVpcEndpointServiceConfigurations',
  ]);

const readRules = (r: GateResources): GateStatement => ({
  sid: 'ReadRules',
  actions: TABLE_READ,
  resources: [r.rulesTableArn],
});

const writeRules = (r: GateResources): GateStatement => ({
  sid: 'WriteOperatorDecisions',
  actions: TABLE_WRITE,
  resources: [r.rulesTableArn],
});

const publishDecisions = (r: GateResources): GateStatement[] => [
  { sid: 'PublishDecisions', actions: ['sns:Publish'], resources: [r.decisionsTopicArn] },
  { sid: 'EncryptDecisions', actions: TOPIC_KEY_ACTIONS, resources: [r.topicKeyArn] },
];

const putGateEvents = (r: GateResources): GateStatement => ({
  sid: 'PutGateEvents',
  actions: ['events:PutEvents'],
  resources: [r.gateBusArn],
});

const readOrganization = (): GateStatement =>
  describe('ReadOrganization', [
    'organizations:DescribeOrganization',
    'organizations:DescribeAccount',
    'organizations:ListParents',
  ]);

/** What deciding takes: decide, and sweep which decides what no event decided. */
const deciding = (r: GateResources, options: PermissionOptions): GateStatement[] => [
  readConnections(),
  ...actOnConnections(r),
  readRules(r),
  {
    sid: 'KeepLedger',
    actions: [...TABLE_READ, ...TABLE_WRITE],
    resources: [r.ledgerTableArn, indexesOf(r.ledgerTableArn)],
  },
  ...publishDecisions(r),
  putGateEvents(r),
  ...(options.organizationsLookup ? [readOrganization()] : []),
];

/** Each function's statements; a new function is one more entry. */
export const FUNCTION_PERMISSIONS: Record<
  GateFunctionName,
  (resources: GateResources, options: PermissionOptions) => GateStatement[]
> = {
  decide: deciding,
  // The sweep also removes operators' decisions (rules-table items) whose endpoint is gone.
  sweep: (r, options) => [
    ...deciding(r, options),
    ...enrollment(r),
    {
      sid: 'RemoveOperatorDecisions',
      actions: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
      resources: [r.rulesTableArn],
    },
  ],
  // The Slack buttons and plgate approve/deny: an operator's decision is a rules-table item,
  // then the same decision run as decide's.
  operator: (r, options) => [...deciding(r, options), writeRules(r)],
  // Ingest forwards notifications, enrolls a service the moment it is tagged, and records a
  // human's accept or reject: it re-reads those connections, stamps the rules version on
  // the ledger entry and sends the notice. It never accepts or rejects.
  ingest: (r) => [
    readConnections(),
    ...enrollment(r),
    readRules(r),
    { sid: 'RecordManualActions', actions: [...TABLE_READ, ...TABLE_WRITE], resources: [r.ledgerTableArn] },
    ...publishDecisions(r),
    putGateEvents(r),
  ],
  ruleChange: (r) => [
    {
      sid: 'ValidateAndVersionRules',
      actions: [...TABLE_READ, ...TABLE_WRITE],
      resources: [r.rulesTableArn],
    },
    { sid: 'RecordRuleProblems', actions: TABLE_WRITE, resources: [r.ledgerTableArn] },
    ...publishDecisions(r),
    putGateEvents(r),
  ],
  // Register admits an invited consumer: it adds the account to a managed service's allowed
  // principals, redeems the invitation, writes the account's accept rule and bumps the rules
  // version, and records and announces the registration. It is behind a public URL, so its
  // rules-table writes are held to those three kinds of item by their partition key.
  register: (r) => [
    {
      sid: 'AllowPrincipalsOnManagedServices',
      actions: ['ec2:ModifyVpcEndpointServicePermissions'],
      resources: [endpointServicesArn(r)],
      conditions: MANAGED_SERVICE_CONDITION,
    },
    describe('DescribeServices', ['ec2:DescribeVpcEndpointServiceConfigurations']),
    {
      sid: 'InvitationsRulesAndVersion',
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
      resources: [r.rulesTableArn],
      conditions: {
        'ForAllValues:StringEquals': {
          'dynamodb:LeadingKeys': [INVITATION_KIND, 'rule', VERSION_ITEM.kind],
        },
      },
    },
    { sid: 'AppendLedger', actions: ['dynamodb:PutItem'], resources: [r.ledgerTableArn] },
    ...publishDecisions(r),
  ],
};

/** Every function's statements for one deployment (or one local cloud). */
export function gatePermissions(
  resources: GateResources,
  options: PermissionOptions,
): Record<GateFunctionName, GateStatement[]> {
  const acting: readonly string[] = ACTING_FUNCTIONS;
  const listing: readonly string[] = MEMBER_LISTING_FUNCTIONS;
  const entries = GATE_FUNCTIONS.map((name) => [
    name,
    [
      ...FUNCTION_PERMISSIONS[name](resources, options),
      ...(options.fleet && acting.includes(name) ? assumeSpokeRoleStatements(options.fleet) : []),
      ...(options.fleet && listing.includes(name) ? listUnitMembersStatements(options.fleet) : []),
    ],
  ]);
  return Object.fromEntries(entries) as Record<GateFunctionName, GateStatement[]>;
}

/**
 * The ingest topic's policy: EC2 (`vpce.amazonaws.com`) publishes connection notifications,
 * only about this account's own endpoint services (confused-deputy guard).
 */
export function ingestTopicPolicy(
  r: Pick<GateResources, 'partition' | 'account' | 'region' | 'ingestTopicArn'>,
): ResourceStatement[] {
  return [
    {
      sid: 'EndpointServiceNotifications',
      servicePrincipal: 'vpce.amazonaws.com',
      actions: ['sns:Publish'],
      resources: [r.ingestTopicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': r.account },
        ArnLike: { 'aws:SourceArn': endpointServicesArn(r) },
      },
    },
  ];
}

/** A statement as it reads in an IAM policy document. */
export function policyStatementJson(statement: GateStatement | ResourceStatement): Record<string, unknown> {
  return {
    Sid: statement.sid,
    Effect: 'Allow',
    ...('servicePrincipal' in statement ? { Principal: { Service: statement.servicePrincipal } } : {}),
    Action: [...statement.actions],
    Resource: [...statement.resources],
    ...(statement.conditions === undefined ? {} : { Condition: statement.conditions }),
  };
}

/** The hub's acting functions may assume members' spoke roles, and no other role. */
export function assumeSpokeRoleStatements(fleet: FleetMembers): GateStatement[] {
  const statements: GateStatement[] = [];
  if (fleet.listed.length > 0) {
    statements.push({
      sid: 'AssumeListedSpokeRoles',
      actions: ['sts:AssumeRole'],
      resources: fleet.listed.map(({ account, region }) =>
        spokeRoleArn(fleet.partition, account, region, fleet.spokeRoleName),
      ),
    });
  }
  if (fleet.organization) {
    statements.push({
      sid: 'AssumeOrganizationSpokeRoles',
      actions: ['sts:AssumeRole'],
      resources: [`arn:${fleet.partition}:iam::*:role/${fleet.spokeRoleName}-*`],
      conditions: { StringEquals: { 'aws:ResourceOrgID': fleet.organization.id } },
    });
  }
  return statements;
}

/**
 * The units' resources a member-listing function may walk: every unit of this organization (the
 * configured units' child units are not known at synth). The account in an Organizations ARN is
 * the management account's, which a delegated administrator's hub does not know; the
 * organization id, unique to it, holds the grant to this organization.
 */
export const organizationUnitsArn = (fleet: FleetMembers & { organization: { id: string } }): string =>
  `arn:${fleet.partition}:organizations::*:ou/${fleet.organization.id}/ou-*`;

/**
 * With organizational units, the functions that list the fleet's members walk them
 * (functions/aws/organization-members.ts): ListChildren for the child units and
 * ListAccountsForParent for their accounts. Both take a unit's ARN as their resource (the
 * Service Authorization Reference lists `organizationalunit` and `root` for them), so the grant
 * names this organization's units, not `*`.
 */
export function listUnitMembersStatements(fleet: FleetMembers): GateStatement[] {
  const { organization } = fleet;
  if (organization === undefined) return [];
  return [
    {
      sid: 'ListOrganizationUnitMembers',
      actions: ['organizations:ListAccountsForParent', 'organizations:ListChildren'],
      resources: [organizationUnitsArn({ ...fleet, organization })],
    },
  ];
}
