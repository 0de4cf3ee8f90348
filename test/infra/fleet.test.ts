import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetOfStackOutputs } from '../../cli/fleet-settings.ts';
import {
  ENV,
  FLEET_STACK_OUTPUTS,
  FLEET_VARIABLES,
  readFleetSettings,
} from '../../functions/shared/config.ts';
import { PROVIDER_API_CALLS } from '../../functions/shared/events.ts';
import {
  ACTING_FUNCTIONS,
  type ActingFunction,
  hubRoleName,
  MEMBER_LISTING_FUNCTIONS,
} from '../../functions/shared/fleet.ts';
import { METRIC, METRICS_NAMESPACE } from '../../functions/shared/metrics.ts';
import { GateConfigError, parseGateConfig } from '../../infra/config.ts';
import { PrivateLinkGateSpoke } from '../../infra/constructs/spoke.ts';
import { SPOKE_ROLE_DESCRIBE_ACTIONS, SPOKE_ROLE_MANAGED_ACTIONS } from '../../infra/fleet-permissions.ts';
import { buildGateApp, type GateApp } from '../../infra/gate-app.ts';
import { PrivateLinkGate } from '../../infra/index.ts';
import { NO_BUNDLING, render, type Statement, sharedGate, statementsOf, type TemplateJson } from './synth.ts';

const HUB = { account: '999999999999', region: 'us-east-1' };
const ORG = 'o-abcdef1234';
const UNIT = 'ou-ab12-cd34ef56';
const FLEET_CONFIG = {
  stackName: 'GateHub',
  fleet: {
    members: [
      { account: '111111111111', regions: ['us-east-1', 'eu-west-1'] },
      { account: '222222222222', regions: ['us-west-2'] },
    ],
    organizationalUnits: [UNIT],
    regions: ['us-east-1', 'eu-west-1'],
    organizationId: ORG,
  },
};
const SPOKE_ID = 'GateHub-spoke-111111111111-eu-west-1';

/** Stack of one's defaults need no external id: the hub's default is derived from its account and name. */
const EXTERNAL_ID = `privatelink-gate:${HUB.account}:GateHub`;

let gate: GateApp;
let assembly: CloudAssembly;
let outdir: string;
let hub: TemplateJson;
let spoke: TemplateJson;
let stackSetBody: TemplateJson;
/** The same hub deployed from a StackSets delegated administrator's account. */
let delegated: GateApp;
let delegatedHub: TemplateJson;
let delegatedHubPath: string;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'plgate-fleet-'));
  gate = buildGateApp({
    outdir,
    nag: false,
    env: HUB,
    config: parseGateConfig(FLEET_CONFIG),
    context: NO_BUNDLING,
    builtinCloudFormationValidation: false,
  });
  assembly = gate.app.synth();
  hub = assembly.getStackByName('GateHub').template;
  spoke = assembly.getStackByName(SPOKE_ID).template;
  const [stackSet] = Object.values(hub.Resources).filter((r) => r.Type === 'AWS::CloudFormation::StackSet');
  stackSetBody = JSON.parse(String(stackSet?.Properties?.TemplateBody));
  delegated = buildGateApp({
    outdir: join(outdir, 'delegated-admin'),
    nag: false,
    env: HUB,
    config: parseGateConfig({
      ...FLEET_CONFIG,
      fleet: { ...FLEET_CONFIG.fleet, stackSetCallAs: 'DELEGATED_ADMIN' },
    }),
    context: NO_BUNDLING,
    builtinCloudFormationValidation: false,
  });
  const delegatedStack = delegated.app.synth().getStackByName('GateHub');
  delegatedHub = delegatedStack.template;
  delegatedHubPath = delegatedStack.templateFullPath;
}, 180_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const resourcesOf = (template: TemplateJson, type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
const one = (template: TemplateJson, type: string) => {
  const found = resourcesOf(template, type);
  expect(found, type).toHaveLength(1);
  return found[0]?.[1].Properties ?? {};
};
const roleArn = (name: string) => `arn:<AWS::Partition>:iam::${HUB.account}:role/${name}`;
const actingRoleArns = ACTING_FUNCTIONS.map((fn) => roleArn(hubRoleName('GateHub', fn)));
const renderedStatements = (document: unknown): Statement[] =>
  statementsOf(document).map((statement) => JSON.parse(renderDeep(statement)));
/** A statement with every Fn::Join rendered to a plain string, for comparing whole statements. */
function renderDeep(value: unknown): string {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node !== 'object' || node === null) return node;
    if ('Fn::Join' in node || 'Ref' in node || 'Fn::GetAtt' in node) return render(node);
    return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, walk(child)]));
  };
  return JSON.stringify(walk(value));
}

describe('the spoke (one listed member region)', () => {
  it('is a stack per listed member region, in its account and region, deployed after the hub', () => {
    const spokes = assembly.stacks.filter((stack) => stack.id.startsWith('GateHub-spoke-'));
    expect(
      spokes.map((stack) => [stack.id, stack.environment.account, stack.environment.region]).sort(),
    ).toEqual([
      ['GateHub-spoke-111111111111-eu-west-1', '111111111111', 'eu-west-1'],
      ['GateHub-spoke-111111111111-us-east-1', '111111111111', 'us-east-1'],
      ['GateHub-spoke-222222222222-us-west-2', '222222222222', 'us-west-2'],
    ]);
    for (const stack of spokes) expect(stack.dependencies.map((d) => d.id)).toContain('GateHub');
  });

  it('holds no code and no asset: a topic, its policy and subscription, a rule and its role, the spoke role', () => {
    const types = Object.values(spoke.Resources)
      .map((resource) => resource.Type)
      .filter((type) => type !== 'AWS::CDK::Metadata')
      .sort();
    expect(types).toEqual([
      'AWS::Events::Rule',
      'AWS::IAM::Policy',
      'AWS::IAM::Policy',
      'AWS::IAM::Role',
      'AWS::IAM::Role',
      'AWS::SNS::Subscription',
      'AWS::SNS::Topic',
      'AWS::SNS::TopicPolicy',
    ]);
    const artifact = assembly.getStackByName(SPOKE_ID);
    const assetManifest = JSON.parse(readFileSync(join(outdir, `${SPOKE_ID}.assets.json`), 'utf8')) as {
      files: Record<string, unknown>;
      dockerImages: Record<string, unknown>;
    };
    // The one file is the template itself; no Lambda code, no image.
    expect(Object.keys(assetManifest.files)).toHaveLength(1);
    expect(assetManifest.dockerImages).toEqual({});
    expect(artifact.assets).toEqual([]);
  });

  it('lets only EC2 publish to its topic, for this member account, and delivers it to the hub queue', () => {
    const topicPolicy = renderedStatements(one(spoke, 'AWS::SNS::TopicPolicy').PolicyDocument);
    const allows = topicPolicy.filter((statement) => statement.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: 'vpce.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: {
          StringEquals: { 'aws:SourceAccount': '111111111111' },
          ArnLike: {
            'aws:SourceArn': 'arn:<AWS::Partition>:ec2:eu-west-1:111111111111:vpc-endpoint-service/*',
          },
        },
      }),
    ]);
    expect(one(spoke, 'AWS::SNS::Topic').TopicName).toBe('plgate-spoke-ingest');
    const subscription = one(spoke, 'AWS::SNS::Subscription');
    expect(subscription.Protocol).toBe('sqs');
    expect(render(subscription.Endpoint)).toBe(
      `arn:<AWS::Partition>:sqs:${HUB.region}:${HUB.account}:GateHub-fleet-ingest`,
    );
    expect(subscription.RawMessageDelivery).toBeUndefined();
  });

  it("forwards the provider's calls (the hub's own CloudTrail pattern) to the hub's bus with a role that may only put there", () => {
    const busArn = `arn:<AWS::Partition>:events:${HUB.region}:${HUB.account}:event-bus/${gateBusName()}`;
    const rule = one(spoke, 'AWS::Events::Rule');
    expect(rule.EventBusName).toBeUndefined();
    expect(rule.EventPattern).toEqual({
      source: ['aws.ec2'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['ec2.amazonaws.com'], eventName: PROVIDER_API_CALLS },
    });
    const hubRule = Object.values(hub.Resources).find(
      (r) =>
        r.Type === 'AWS::Events::Rule' &&
        r.Properties?.EventBusName === undefined &&
        r.Properties?.EventPattern,
    );
    expect(rule.EventPattern).toEqual(hubRule?.Properties?.EventPattern);
    const [target] = rule.Targets as { Arn: unknown; RoleArn: unknown }[];
    expect(render(target?.Arn)).toBe(busArn);
    const forwarder = Object.entries(spoke.Resources).find(
      ([, r]) => r.Type === 'AWS::IAM::Role' && String(r.Properties?.RoleName).includes('-fwd-'),
    );
    expect(forwarder?.[1].Properties?.RoleName).toBe('plgate-spoke-fwd-eu-west-1');
    const forwarderPolicy = resourcesOf(spoke, 'AWS::IAM::Policy').find(
      ([, policy]) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([{ Ref: forwarder?.[0] }]),
    );
    expect(renderedStatements(forwarderPolicy?.[1].Properties?.PolicyDocument)).toEqual([
      { Action: 'events:PutEvents', Effect: 'Allow', Resource: busArn },
    ]);
  });

  it("trusts exactly the hub's acting functions' roles with the external id", () => {
    const [roleId, role] = resourcesOf(spoke, 'AWS::IAM::Role').find(
      ([, r]) => r.Properties?.RoleName === 'plgate-spoke-eu-west-1',
    ) ?? ['', undefined];
    expect(role).toBeDefined();
    expect(renderedStatements(role?.Properties?.AssumeRolePolicyDocument)).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { AWS: `arn:<AWS::Partition>:iam::${HUB.account}:root` },
        Condition: {
          ArnEquals: { 'aws:PrincipalArn': actingRoleArns },
          StringEquals: { 'sts:ExternalId': EXTERNAL_ID },
        },
      },
    ]);
    // The hub's roles carry exactly those names.
    const hubRoleNames = resourcesOf(hub, 'AWS::IAM::Role')
      .map(([, r]) => r.Properties?.RoleName)
      .filter((name) => name !== undefined)
      .sort();
    expect(hubRoleNames).toEqual(ACTING_FUNCTIONS.map((fn) => hubRoleName('GateHub', fn)).sort());

    const policy = resourcesOf(spoke, 'AWS::IAM::Policy').find(
      ([, p]) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]),
    );
    expect(renderedStatements(policy?.[1].Properties?.PolicyDocument)).toEqual([
      {
        Sid: 'DescribeEndpointServices',
        Effect: 'Allow',
        Action: SPOKE_ROLE_DESCRIBE_ACTIONS,
        Resource: '*',
      },
      {
        Sid: 'ManageTaggedEndpointServices',
        Effect: 'Allow',
        Action: SPOKE_ROLE_MANAGED_ACTIONS,
        Resource: 'arn:<AWS::Partition>:ec2:eu-west-1:111111111111:vpc-endpoint-service/*',
        Condition: { StringEquals: { 'aws:ResourceTag/privatelink-gate:managed': 'true' } },
      },
    ]);
  });
});

/** The hub bus's name, a literal CDK chose at synth. */
function gateBusName(): string {
  const [bus] = Object.values(hub.Resources).filter((r) => r.Type === 'AWS::Events::EventBus');
  return String(bus?.Properties?.Name);
}

describe('the StackSet (organizational units)', () => {
  it('deploys the spoke to every account of the units in the fleet regions, automatically and service-managed', () => {
    const stackSet = one(hub, 'AWS::CloudFormation::StackSet');
    expect(stackSet).toMatchObject({
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      StackInstancesGroup: [
        { DeploymentTargets: { OrganizationalUnitIds: [UNIT] }, Regions: ['us-east-1', 'eu-west-1'] },
      ],
    });
  });

  it('is created as the management account (no CallAs: CloudFormation takes SELF) unless the config says otherwise', () => {
    expect(one(hub, 'AWS::CloudFormation::StackSet')).not.toHaveProperty('CallAs');
  });

  it('is created as a delegated administrator with stackSetCallAs DELEGATED_ADMIN, and nothing else of the hub changes', () => {
    expect(one(delegatedHub, 'AWS::CloudFormation::StackSet')).toHaveProperty('CallAs', 'DELEGATED_ADMIN');
    // The listing grant already names the units with any account (the management account's id,
    // which an Organizations ARN holds, is not known to a delegated administrator's hub).
    const withoutCallAs = structuredClone(delegatedHub);
    for (const resource of Object.values(withoutCallAs.Resources))
      if (resource.Type === 'AWS::CloudFormation::StackSet') delete resource.Properties?.CallAs;
    expect(withoutCallAs).toEqual(hub);
  });

  it("carries the spoke construct's template, environment-agnostic, with no parameter, asset or bootstrap check", () => {
    expect(Object.keys(stackSetBody).sort()).toEqual(['Description', 'Resources']);
    const types = (template: TemplateJson) =>
      Object.values(template.Resources)
        .map((r) => r.Type)
        .filter((type) => type !== 'AWS::CDK::Metadata')
        .sort();
    expect(types(stackSetBody)).toEqual(types(spoke));
    const body = JSON.stringify(stackSetBody);
    expect(body).not.toMatch(/Lambda|Asset|BootstrapVersion|cdk-bootstrap/);
    const role = Object.values(stackSetBody.Resources).find(
      (r) => r.Type === 'AWS::IAM::Role' && !render(r.Properties?.RoleName).includes('-fwd-'),
    );
    expect(render(role?.Properties?.RoleName)).toBe('plgate-spoke-<AWS::Region>');
    expect(body).toContain(EXTERNAL_ID);
  });
});

describe('the hub', () => {
  it("admits only members' spoke topics to its ingest queue: listed by ARN, the units' by organization", () => {
    const queues = resourcesOf(hub, 'AWS::SQS::Queue').filter(
      ([, q]) => q.Properties?.QueueName === 'GateHub-fleet-ingest',
    );
    expect(queues).toHaveLength(1);
    const queueId = queues[0]?.[0];
    const [, policy] =
      resourcesOf(hub, 'AWS::SQS::QueuePolicy').find(
        ([, p]) => JSON.stringify(p.Properties?.Queues) === JSON.stringify([{ Ref: queueId }]),
      ) ?? [];
    const allows = renderedStatements(policy?.Properties?.PolicyDocument).filter((s) => s.Effect === 'Allow');
    const topic = (account: string, region: string) =>
      `arn:<AWS::Partition>:sns:${region}:${account}:plgate-spoke-ingest`;
    expect(allows).toEqual([
      expect.objectContaining({
        Sid: 'ListedMemberSpokeTopics',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: {
          ArnEquals: {
            'aws:SourceArn': [
              topic('111111111111', 'us-east-1'),
              topic('111111111111', 'eu-west-1'),
              topic('222222222222', 'us-west-2'),
            ],
          },
        },
      }),
      expect.objectContaining({
        Sid: 'OrganizationSpokeTopics',
        Principal: { Service: 'sns.amazonaws.com' },
        Condition: {
          ArnLike: { 'aws:SourceArn': 'arn:<AWS::Partition>:sns:*:*:plgate-spoke-ingest' },
          StringEquals: { 'aws:SourceOrgID': ORG },
        },
      }),
    ]);
    // The queue feeds ingest.
    Template.fromJSON(hub).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it("admits members' forwarding roles to its bus, and sends their calls to ingest", () => {
    const policies = resourcesOf(hub, 'AWS::Events::EventBusPolicy').map(([, p]) =>
      JSON.parse(renderDeep(p.Properties?.Statement)),
    );
    expect(policies).toEqual([
      expect.objectContaining({
        Action: 'events:PutEvents',
        Principal: {
          AWS: ['arn:<AWS::Partition>:iam::111111111111:root', 'arn:<AWS::Partition>:iam::222222222222:root'],
        },
        Condition: {
          ArnEquals: {
            'aws:PrincipalArn': [
              'arn:<AWS::Partition>:iam::111111111111:role/plgate-spoke-fwd-us-east-1',
              'arn:<AWS::Partition>:iam::111111111111:role/plgate-spoke-fwd-eu-west-1',
              'arn:<AWS::Partition>:iam::222222222222:role/plgate-spoke-fwd-us-west-2',
            ],
          },
        },
      }),
      expect.objectContaining({
        Principal: { AWS: '*' },
        Condition: {
          StringEquals: { 'aws:PrincipalOrgID': ORG },
          'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': [`${ORG}/*/${UNIT}/*`] },
          ArnLike: { 'aws:PrincipalArn': 'arn:<AWS::Partition>:iam::*:role/plgate-spoke-fwd-*' },
        },
      }),
    ]);
    Template.fromJSON(hub).hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.objectLike({ Ref: Match.stringLikeRegexp('^GateBus') }),
      EventPattern: Match.objectLike({ source: ['aws.ec2'] }),
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestFunction'), 'Arn'] } }),
      ],
    });
  });

  /** The statements of the policies attached to a hub function's role (named for the fleet). */
  const hubRoleStatements = (fn: ActingFunction) => {
    const [roleId] =
      resourcesOf(hub, 'AWS::IAM::Role').find(
        ([, r]) => r.Properties?.RoleName === hubRoleName('GateHub', fn),
      ) ?? [];
    return resourcesOf(hub, 'AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap(([, p]) => renderedStatements(p.Properties?.PolicyDocument));
  };

  it('lets the acting functions assume spoke roles only, with the external id and members in their environment', () => {
    for (const fn of ACTING_FUNCTIONS) {
      const statements = hubRoleStatements(fn);
      const assume = statements.filter((s) => JSON.stringify(s.Action).includes('sts:'));
      expect(assume, fn).toEqual([
        {
          Sid: 'AssumeListedSpokeRoles',
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Resource: [
            'arn:<AWS::Partition>:iam::111111111111:role/plgate-spoke-us-east-1',
            'arn:<AWS::Partition>:iam::111111111111:role/plgate-spoke-eu-west-1',
            'arn:<AWS::Partition>:iam::222222222222:role/plgate-spoke-us-west-2',
          ],
        },
        {
          Sid: 'AssumeOrganizationSpokeRoles',
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Resource: 'arn:<AWS::Partition>:iam::*:role/plgate-spoke-*',
          Condition: { StringEquals: { 'aws:ResourceOrgID': ORG } },
        },
      ]);
    }
    const ruleChange = Object.values(hub.Resources).find(
      (r) =>
        r.Type === 'AWS::Lambda::Function' &&
        String(r.Properties?.Description).includes('rules-table stream'),
    );
    expect(JSON.stringify(ruleChange?.Properties?.Environment)).not.toContain(ENV.fleetExternalId);
    Template.fromJSON(hub).hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('re-read connections'),
      Environment: {
        Variables: Match.objectLike({
          [ENV.fleetExternalId]: EXTERNAL_ID,
          [ENV.fleetSpokeRoleName]: 'plgate-spoke',
          [ENV.fleetMembers]: '111111111111:us-east-1,111111111111:eu-west-1,222222222222:us-west-2',
          [ENV.fleetOrganizationalUnits]: UNIT,
          [ENV.fleetRegions]: 'us-east-1,eu-west-1',
        }),
      },
    });
  });

  it("lets the functions that list members walk the organization's units and their accounts, and no other function", () => {
    const listing = new Set<string>(MEMBER_LISTING_FUNCTIONS);
    for (const fn of ACTING_FUNCTIONS) {
      const statements = hubRoleStatements(fn);
      const organizations = statements.filter((s) => JSON.stringify(s.Action).includes('organizations:'));
      expect(organizations, fn).toEqual(
        listing.has(fn)
          ? [
              {
                Sid: 'ListOrganizationUnitMembers',
                Effect: 'Allow',
                Action: ['organizations:ListAccountsForParent', 'organizations:ListChildren'],
                Resource: `arn:<AWS::Partition>:organizations::*:ou/${ORG}/ou-*`,
              },
            ]
          : [],
      );
    }
    const everyPolicy = JSON.stringify(resourcesOf(hub, 'AWS::IAM::Policy'));
    expect(everyPolicy.match(/organizations:ListChildren/g)).toHaveLength(MEMBER_LISTING_FUNCTIONS.length);
  });

  it('alarms on unhealthy members, in the namespace the gate publishes to', () => {
    Template.fromJSON(hub).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.unhealthyMembers,
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^NotificationsOpsTopic') }],
    });
  });

  it('refuses a fleet whose hub account and region are not known at synth, naming them', () => {
    expect(() =>
      buildGateApp({
        outdir: join(outdir, 'agnostic'),
        nag: false,
        env: {},
        config: parseGateConfig(FLEET_CONFIG),
        context: NO_BUNDLING,
      }),
    ).toThrow(
      new GateConfigError(
        "config.fleet: the hub stack's account and region must be known at synth (members' spokes name its queue, bus and roles): give the stack an env, or run cdk with credentials so it sets CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION; got account unknown, region unknown",
      ),
    );
  });
});

describe("the hub's outputs: its fleet, for `plgate … --stack` (cli/fleet-settings.ts)", () => {
  const outputsOf = (template: TemplateJson): Record<string, string> =>
    Object.fromEntries(
      Object.entries(template.Outputs ?? {}).map(([key, output]) => [key, output.Value as string]),
    );
  const fleetOutputKeys = (template: TemplateJson) =>
    Object.keys(template.Outputs ?? {}).filter((key) => key.startsWith('Fleet'));

  it("say the fleet as the acting functions' FLEET_* do, and read back as the same settings", () => {
    const outputs = outputsOf(hub);
    expect(outputs).toMatchObject({
      [FLEET_STACK_OUTPUTS.fleetExternalId]: EXTERNAL_ID,
      [FLEET_STACK_OUTPUTS.fleetSpokeRoleName]: 'plgate-spoke',
      [FLEET_STACK_OUTPUTS.fleetMembers]:
        '111111111111:us-east-1,111111111111:eu-west-1,222222222222:us-west-2',
      [FLEET_STACK_OUTPUTS.fleetOrganizationalUnits]: UNIT,
      [FLEET_STACK_OUTPUTS.fleetRegions]: 'us-east-1,eu-west-1',
    });
    expect(fleetOutputKeys(hub).sort()).toEqual(Object.values(FLEET_STACK_OUTPUTS).sort());
    const environments = Object.values(hub.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map(
        (r) => (r.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables,
      )
      .filter((variables) => variables?.[ENV.fleetExternalId] !== undefined);
    expect(environments).toHaveLength(ACTING_FUNCTIONS.length);
    for (const variables of environments) {
      for (const variable of FLEET_VARIABLES)
        expect(outputs[FLEET_STACK_OUTPUTS[variable]], variable).toBe(variables?.[ENV[variable]]);
      expect(fleetOfStackOutputs(outputs)).toEqual(readFleetSettings(variables));
    }
  });

  it('leave out what is empty (CloudFormation refuses an empty output): no members in a fleet of units alone, no units in one of listed members', () => {
    const synthHub = (name: string, fleet: Record<string, unknown>): TemplateJson => {
      const built = buildGateApp({
        outdir: join(outdir, name),
        nag: false,
        env: HUB,
        config: parseGateConfig({ stackName: name, registerApi: false, fleet }),
        context: NO_BUNDLING,
        builtinCloudFormationValidation: false,
      });
      return built.app.synth().getStackByName(name).template;
    };
    const units = synthHub('UnitsHub', {
      organizationalUnits: [UNIT],
      regions: ['us-east-1'],
      organizationId: ORG,
    });
    expect(fleetOutputKeys(units).sort()).toEqual(
      [
        'FleetExternalId',
        'FleetIngestQueueArn',
        'FleetOrganizationalUnits',
        'FleetRegions',
        'FleetSpokeRoleName',
      ].sort(),
    );
    expect(fleetOfStackOutputs(outputsOf(units))).toMatchObject({ members: [], organizationalUnits: [UNIT] });
    const listed = synthHub('ListedHub', { members: [{ account: '111111111111', regions: ['us-east-1'] }] });
    expect(fleetOutputKeys(listed).sort()).toEqual(
      ['FleetExternalId', 'FleetIngestQueueArn', 'FleetMembers', 'FleetSpokeRoleName'].sort(),
    );
    for (const template of [units, listed])
      for (const [key, value] of Object.entries(outputsOf(template))) expect(value, key).not.toBe('');
  });

  it('a stack of one has none', () => {
    const one = sharedGate();
    try {
      expect(fleetOutputKeys(one.json)).toEqual([]);
      expect(fleetOfStackOutputs(outputsOf(one.json))).toBeUndefined();
    } finally {
      one.dispose();
    }
  });
});

describe('opt-in regions', () => {
  it('refuses a hub in an opt-in region with members in another opt-in region, naming them', () => {
    expect(() =>
      buildGateApp({
        outdir: join(outdir, 'opt-in'),
        nag: false,
        env: { account: HUB.account, region: 'af-south-1' },
        config: parseGateConfig({
          stackName: 'GateHub',
          registerApi: false,
          fleet: { members: [{ account: '111111111111', regions: ['us-east-1', 'me-south-1'] }] },
        }),
        context: NO_BUNDLING,
      }),
    ).toThrow(
      'SNS cannot deliver from one opt-in region to another, and the hub is in af-south-1: move the hub, or leave out member region(s) me-south-1',
    );
  });
});

describe('constructs for your own app', () => {
  it('exports the hub and the spoke', () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, 'Mine', { env: HUB });
    const gateConstruct = new PrivateLinkGate(stack, 'Gate', {
      config: parseGateConfig({ registerApi: false }),
    });
    const spokeConstruct = new PrivateLinkGateSpoke(
      new Stack(app, 'MySpoke', { env: { account: '111111111111', region: 'eu-west-1' } }),
      'Spoke',
      {
        hub: {
          account: HUB.account,
          region: HUB.region,
          ingestQueueArn: `arn:aws:sqs:${HUB.region}:${HUB.account}:q`,
          busArn: `arn:aws:events:${HUB.region}:${HUB.account}:event-bus/b`,
          actingRoleArns: [`arn:aws:iam::${HUB.account}:role/r`],
          externalId: 'x-1',
        },
      },
    );
    expect(gateConstruct.fleet).toBeUndefined();
    expect(spokeConstruct.role).toBeDefined();
  });
});

describe('compliance', () => {
  it('reports no cdk-nag finding and no CDK warning on the hub and its spokes, from either account', () => {
    for (const app of [gate.app, delegated.app]) {
      const report = new AwsSolutionsChecks().validateScope(app);
      const findings = report.violations.map(
        (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      );
      expect(findings).toEqual([]);
    }
    for (const stack of [gate.stack, ...gate.spokes, delegated.stack]) {
      expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue()), stack.stackName).toEqual([]);
      expect(Annotations.fromStack(stack).findError('*', Match.anyValue()), stack.stackName).toEqual([]);
    }
  });

  const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!cfnLint && process.env.CI !== 'true')(
    'passes cfn-lint: the hub (as the management account and as a delegated administrator), a spoke, and the StackSet template',
    () => {
      const stackSetPath = join(outdir, 'stackset-body.json');
      writeFileSync(stackSetPath, JSON.stringify(stackSetBody));
      const paths = [
        assembly.getStackByName('GateHub').templateFullPath,
        delegatedHubPath,
        assembly.getStackByName(SPOKE_ID).templateFullPath,
        stackSetPath,
      ];
      const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...paths], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      expect(run.error).toBeUndefined();
      const matches: { Level?: string; Rule?: { Id?: string }; Message?: string }[] = JSON.parse(
        run.stdout === '' ? '[]' : run.stdout,
      );
      // W3005: CDK's DependsOn a function's role policy repeats an implicit dependency (compliance.test.ts).
      const problems = matches
        .filter((m) => m.Level === 'Error' || m.Rule?.Id !== 'W3005')
        .map((m) => `${m.Level} ${m.Rule?.Id}: ${m.Message}`);
      expect(problems).toEqual([]);
    },
    120_000,
  );
});

describe('operators (config fleet.operators)', () => {
  const operatorsConfig = (operators: string[]) =>
    parseGateConfig({
      stackName: 'GateHub',
      registerApi: false,
      fleet: { members: [{ account: '111111111111', regions: ['us-east-1'] }], operators },
    });

  it("are trusted by every spoke role beside the hub's functions, by pattern, with the external id", () => {
    const sso = `arn:aws:iam::${HUB.account}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_PlatformOps_*`;
    const gate = buildGateApp({
      outdir: join(outdir, 'operators'),
      nag: false,
      env: HUB,
      config: operatorsConfig([sso]),
      context: NO_BUNDLING,
    });
    const [spoke] = gate.spokes;
    if (spoke === undefined) throw new Error('no spoke stack');
    const roles = Template.fromStack(spoke).findResources('AWS::IAM::Role', {
      Properties: { RoleName: 'plgate-spoke-us-east-1' },
    });
    const [role] = Object.values(roles) as {
      Properties: { AssumeRolePolicyDocument: { Statement: { Condition: Record<string, unknown> }[] } };
    }[];
    const [trust] = role?.Properties.AssumeRolePolicyDocument.Statement ?? [];
    const arnLike = trust?.Condition.ArnLike as Record<string, unknown[]> | undefined;
    const principals = arnLike?.['aws:PrincipalArn'] ?? [];
    // The hub's acting functions (ingest, decide, sweep, operator; no register API here), then the operators.
    expect(principals).toHaveLength(5);
    expect(principals.at(-1)).toBe(sso);
    expect(trust?.Condition.StringEquals).toEqual({
      'sts:ExternalId': `privatelink-gate:${HUB.account}:GateHub`,
    });
    expect(trust?.Condition.ArnEquals).toBeUndefined();
  });

  it("refuses an operator outside the hub's account, naming it", () => {
    expect(() =>
      buildGateApp({
        outdir: join(outdir, 'operators-elsewhere'),
        nag: false,
        env: HUB,
        config: operatorsConfig(['arn:aws:iam::222222222222:role/Ops']),
        context: NO_BUNDLING,
      }),
    ).toThrow(
      new GateConfigError(
        `config.fleet.operators: arn:aws:iam::222222222222:role/Ops not in the hub's account ${HUB.account}: the spoke roles trust the hub account's principals only`,
      ),
    );
  });
});
