/** The fleet's cross-account statements as plain data: who may deliver, forward and assume. */
import { describe, expect, it } from 'vitest';
import {
  assumeSpokeRoleStatements,
  type FleetMembers,
  fleetBusPolicy,
  fleetIngestQueuePolicy,
  snsPrincipals,
  spokeRoleStatements,
  spokeTrustConditions,
} from '../../infra/fleet-permissions.ts';
import { gatePermissions, listUnitMembersStatements } from '../../infra/permissions.ts';

const QUEUE = 'arn:aws:sqs:us-east-1:999999999999:GateHub-fleet-ingest';
const listed: FleetMembers = {
  partition: 'aws',
  spokeRoleName: 'plgate-spoke',
  listed: [
    { account: '111111111111', region: 'us-east-1' },
    { account: '111111111111', region: 'af-south-1' },
  ],
};

const RESOURCES = {
  partition: 'aws',
  account: '999999999999',
  region: 'us-east-1',
  rulesTableArn: 'arn:aws:dynamodb:us-east-1:999999999999:table/rules',
  ledgerTableArn: 'arn:aws:dynamodb:us-east-1:999999999999:table/ledger',
  decisionsTopicArn: 'arn:aws:sns:us-east-1:999999999999:decisions',
  ingestTopicArn: 'arn:aws:sns:us-east-1:999999999999:ingest',
  gateBusArn: 'arn:aws:events:us-east-1:999999999999:event-bus/gate',
  topicKeyArn: 'arn:aws:kms:us-east-1:999999999999:key/k',
};

describe('fleet statements', () => {
  it('admit opt-in member regions through their regional SNS principal', () => {
    expect(snsPrincipals(listed)).toEqual(['sns.amazonaws.com', 'sns.af-south-1.amazonaws.com']);
    expect(
      snsPrincipals({
        ...listed,
        listed: [],
        organization: { id: 'o-abcdef1234', units: [], regions: ['me-south-1'] },
      }),
    ).toEqual(['sns.amazonaws.com', 'sns.me-south-1.amazonaws.com']);
    const [statement] = fleetIngestQueuePolicy(listed, QUEUE);
    expect(statement?.principal).toEqual({ services: ['sns.amazonaws.com', 'sns.af-south-1.amazonaws.com'] });
    expect(statement?.conditions).toEqual({
      ArnEquals: {
        'aws:SourceArn': [
          'arn:aws:sns:us-east-1:111111111111:plgate-spoke-ingest',
          'arn:aws:sns:af-south-1:111111111111:plgate-spoke-ingest',
        ],
      },
    });
  });

  it('name nothing for organizations when there are none, and nothing listed when none are', () => {
    expect(fleetIngestQueuePolicy(listed, QUEUE).map((s) => s.sid)).toEqual(['ListedMemberSpokeTopics']);
    expect(
      fleetBusPolicy(listed, 'arn:aws:events:us-east-1:999999999999:event-bus/b').map((s) => s.sid),
    ).toEqual(['ListedMemberForwarders']);
    expect(assumeSpokeRoleStatements(listed).map((s) => s.sid)).toEqual(['AssumeListedSpokeRoles']);
    const unitsOnly: FleetMembers = {
      ...listed,
      listed: [],
      organization: { id: 'o-abcdef1234', units: ['ou-ab12-cd34ef56'], regions: ['us-east-1'] },
    };
    expect(fleetIngestQueuePolicy(unitsOnly, QUEUE).map((s) => s.sid)).toEqual(['OrganizationSpokeTopics']);
    expect(assumeSpokeRoleStatements(unitsOnly).map((s) => s.sid)).toEqual(['AssumeOrganizationSpokeRoles']);
  });

  it('give the spoke role describes everywhere in its region and changes on tagged services only', () => {
    const [describe_, manage] = spokeRoleStatements({
      partition: 'aws',
      account: '111111111111',
      region: 'eu-west-1',
    });
    expect(describe_?.actions.every((action) => action.startsWith('ec2:Describe'))).toBe(true);
    expect(describe_?.resources).toEqual(['*']);
    expect(manage?.actions.some((action) => action.startsWith('ec2:Describe'))).toBe(false);
    expect(manage?.resources).toEqual(['arn:aws:ec2:eu-west-1:111111111111:vpc-endpoint-service/*']);
    expect(manage?.conditions).toEqual({
      StringEquals: { 'aws:ResourceTag/privatelink-gate:managed': 'true' },
    });
    expect(spokeTrustConditions(['arn:aws:iam::999999999999:role/GateHub-decide'], 'x-1')).toEqual({
      ArnEquals: { 'aws:PrincipalArn': ['arn:aws:iam::999999999999:role/GateHub-decide'] },
      StringEquals: { 'sts:ExternalId': 'x-1' },
    });
  });

  it("trust the config's operators too, by pattern, in the one condition (two would both have to hold)", () => {
    const sso =
      'arn:aws:iam::999999999999:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_PlatformOps_*';
    expect(spokeTrustConditions(['arn:aws:iam::999999999999:role/GateHub-decide'], 'x-1', [sso])).toEqual({
      ArnLike: { 'aws:PrincipalArn': ['arn:aws:iam::999999999999:role/GateHub-decide', sso] },
      StringEquals: { 'sts:ExternalId': 'x-1' },
    });
  });

  it('let exactly the acting functions assume spoke roles, in the one list the stack and the local cloud share', () => {
    const resources = RESOURCES;
    const assumes = (statements: { actions: readonly string[] }[]) =>
      statements.some((statement) => statement.actions.includes('sts:AssumeRole'));
    const fleet = gatePermissions(resources, { organizationsLookup: false, fleet: listed });
    expect(
      Object.entries(fleet)
        .filter(([, statements]) => assumes(statements))
        .map(([name]) => name)
        .sort(),
    ).toEqual(['decide', 'ingest', 'operator', 'register', 'sweep']);
    const alone = gatePermissions(resources, { organizationsLookup: false });
    expect(Object.values(alone).some(assumes)).toBe(false);
  });

  it("let the functions that list members walk the organization's units, by the units' ARNs, only when there are units", () => {
    const lists = (statements: { actions: readonly string[] }[]) =>
      statements.some((statement) => statement.actions.some((a) => a.startsWith('organizations:')));
    const units: FleetMembers = {
      ...listed,
      organization: { id: 'o-abcdef1234', units: ['ou-ab12-cd34ef56'], regions: ['us-east-1'] },
    };
    const withUnits = gatePermissions(RESOURCES, { organizationsLookup: false, fleet: units });
    expect(
      Object.entries(withUnits)
        .filter(([, statements]) => lists(statements))
        .map(([name]) => name)
        .sort(),
    ).toEqual(['decide', 'ingest', 'operator', 'sweep']);
    expect(withUnits.sweep.filter((s) => s.sid === 'ListOrganizationUnitMembers')).toEqual([
      {
        sid: 'ListOrganizationUnitMembers',
        actions: ['organizations:ListAccountsForParent', 'organizations:ListChildren'],
        resources: ['arn:aws:organizations::*:ou/o-abcdef1234/ou-*'],
      },
    ]);
    expect(listUnitMembersStatements(units).flatMap((s) => s.resources)).not.toContain('*');
    const listedOnly = gatePermissions(RESOURCES, { organizationsLookup: false, fleet: listed });
    expect(Object.values(listedOnly).some(lists)).toBe(false);
  });
});
