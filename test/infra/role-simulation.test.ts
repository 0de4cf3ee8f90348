/**
 * The synthesized roles, judged by an IAM simulator: for each function, every call its
 * handlers made in a run of the deployed gate on the local cloud (its event source mappings
 * among them) is allowed by that function's role
 * policy in the CloudFormation template, and calls beyond its job are denied.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AcceptVpcEndpointConnectionsCommand, CreateTagsCommand } from '@aws-sdk/client-ec2';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_STACK_NAME, operatorFunctionName } from '../../functions/shared/config.ts';
import { MANAGED_TAG } from '../../functions/shared/tables.ts';
import { GATE_FUNCTIONS, type GateFunctionName, type GateResources } from '../../infra/permissions.ts';
import type { AccessRequest, AllowedCall } from '../../local/iam/authorizer.ts';
import { runAws } from '../support/aws-cli.ts';
import { gateRole } from '../support/gate-role.ts';
import {
  createEndpoint,
  createService,
  ENFORCING_DEFAULTS,
  type LocalGateWorld,
  settle,
  startLocalGate,
} from '../support/local-gate.ts';
import { inviteAndRegister } from '../support/registration.ts';
import {
  logicalIdOf,
  registerApiOf,
  roleStatements,
  type Statement,
  type SynthesizedGate,
  sharedGate,
} from './synth.ts';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

let synthesized: SynthesizedGate;
let world: LocalGateWorld;
let calls: AllowedCall[];
let resources: GateResources;
const policies = new Map<GateFunctionName, Statement[]>();

/** Replaces the template's references to the gate's resources by the local cloud's ARNs. */
function resolver(gate: SynthesizedGate, r: GateResources): (value: unknown) => unknown {
  const { stack } = gate;
  const refs: Record<string, string> = {
    'AWS::Partition': r.partition,
    'AWS::Region': r.region,
    'AWS::AccountId': r.account,
    [logicalIdOf(stack.gate.notifications.decisionsTopic)]: r.decisionsTopicArn,
    [logicalIdOf(stack.gate.notifications.ingestTopic)]: r.ingestTopicArn,
  };
  const arns: Record<string, string> = {
    [logicalIdOf(stack.gate.tables.rules)]: r.rulesTableArn,
    [logicalIdOf(stack.gate.tables.ledger)]: r.ledgerTableArn,
    [logicalIdOf(stack.gate.bus)]: r.gateBusArn,
    [logicalIdOf(stack.gate.notifications.key)]: r.topicKeyArn,
  };
  // Any other resource of the template (the decide queue its mapping reads): as the deployed stack made it.
  for (const resource of Object.values(world.gate.stack.resources)) {
    refs[resource.logicalId] ??= resource.physicalId;
    const arn = resource.attributes.Arn;
    if (typeof arn === 'string') arns[resource.logicalId] ??= arn;
  }
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (typeof value !== 'object' || value === null) return value;
    if ('Ref' in value && typeof value.Ref === 'string')
      return refs[value.Ref] ?? `arn:aws:unresolved:::${value.Ref}`;
    if ('Fn::GetAtt' in value && Array.isArray(value['Fn::GetAtt'])) {
      const [id, attribute] = value['Fn::GetAtt'];
      if (attribute === 'Arn' && typeof id === 'string' && arns[id] !== undefined) return arns[id];
      const deployed =
        typeof id === 'string' ? world.gate.stack.resources[id]?.attributes[String(attribute)] : undefined;
      return typeof deployed === 'string'
        ? deployed
        : `arn:aws:unresolved:::${value['Fn::GetAtt'].join('.')}`;
    }
    if ('Fn::Join' in value && Array.isArray(value['Fn::Join'])) {
      const [separator, parts] = value['Fn::Join'];
      return (Array.isArray(parts) ? parts : []).map((part) => String(resolve(part))).join(String(separator));
    }
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, resolve(child)]));
  };
  return resolve;
}

async function allowedByTemplate(fn: GateFunctionName, request: AccessRequest): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${fn}/${fn}`,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount },
        contextVariables: request.context ?? {},
      },
      identityPolicies: [
        { name: 'template', policy: { Version: '2012-10-17', Statement: policies.get(fn) } },
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(request.resourcePolicy === undefined ? {} : { resourcePolicy: request.resourcePolicy }),
    },
    {},
  );
  return result.resultType === 'error' ? `error ${JSON.stringify(result.errors)}` : result.overallResult;
}

beforeAll(async () => {
  synthesized = sharedGate({});
  // The gate deployed from the same app: the template's references resolve to what it made.
  world = await startLocalGate();
  const { config } = world.gate;
  const keyStatement = gateRole(world, 'rule-change').role.statements.find(
    (s) => s.Sid === 'EncryptDecisions',
  );
  resources = {
    partition: 'aws',
    region: REGION,
    account: ACCOUNT,
    rulesTableArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${config.rulesTable}`,
    ledgerTableArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${config.ledgerTable}`,
    decisionsTopicArn: config.decisionsTopicArn,
    ingestTopicArn: config.ingestTopicArn,
    gateBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${config.gateBusName}`,
    topicKeyArn: String(keyStatement?.Resource),
  };
  const resolve = resolver(synthesized, resources);
  const functions = {
    ingest: synthesized.stack.gate.ingest,
    decide: synthesized.stack.gate.decide,
    sweep: synthesized.stack.gate.sweep,
    ruleChange: synthesized.stack.gate.ruleChange,
    operator: synthesized.stack.gate.operator,
    register: registerApiOf(synthesized.stack).function,
  };
  for (const name of GATE_FUNCTIONS) {
    const statements = roleStatements(synthesized.json, logicalIdOf(functions[name].role));
    policies.set(
      name,
      statements.map((statement) => resolve(statement) as Statement),
    );
  }

  // A run of the gate: enroll, accept, reject, hold, a rule edit, a human's accept, a registration.
  await world.rules.putItems([
    ENFORCING_DEFAULTS,
    { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: ['111111111111'] } },
    { kind: 'rule', id: 'blocked', effect: 'reject', match: { accounts: ['666666666666'] } },
  ]);
  await settle(world);
  const serviceId = await createService(world.provider, { managed: false });
  await world.provider.send(
    new CreateTagsCommand({
      Resources: [serviceId],
      Tags: [{ Key: MANAGED_TAG.key, Value: MANAGED_TAG.value }],
    }),
  );
  await settle(world);
  await createEndpoint(world, '111111111111', serviceId);
  await createEndpoint(world, '666666666666', serviceId);
  const held = await createEndpoint(world, '333333333333', serviceId);
  await settle(world);
  // The Slack button's function: an operator denies a request that was held.
  const deniedByOperator = await createEndpoint(world, '444444444444', serviceId);
  await settle(world);
  await runAws({ endpoint: world.cloud.endpoint, accessKeyId: 'provider' }, [
    'lambda',
    'invoke',
    '--function-name',
    operatorFunctionName(DEFAULT_STACK_NAME),
    '--payload',
    JSON.stringify({ action: 'deny', endpointId: deniedByOperator, reason: 'role simulation' }),
    join(mkdtempSync(join(tmpdir(), 'plgate-roles-')), 'answer.json'),
  ]);
  await world.provider.send(
    new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [held] }),
  );
  const registered = await inviteAndRegister(world, serviceId, '555555555555');
  expect(registered.status, JSON.stringify(registered.body)).toBe(200);
  await world.rules.putItems([
    { kind: 'rule', id: 'bad', effect: 'accept', match: { accounts: 'not a list' } },
  ]);
  await settle(world);
  await world.gate.sweepNow();
  await settle(world);
  calls = world.cloud.iam.allowedCalls();
}, 600_000);

afterAll(async () => {
  await world?.stop();
  synthesized?.dispose();
});

const roleNames = (): Record<GateFunctionName, { name: string }> => ({
  ingest: gateRole(world, 'ingest').role,
  decide: gateRole(world, 'decide').role,
  sweep: gateRole(world, 'sweep').role,
  ruleChange: gateRole(world, 'rule-change').role,
  operator: gateRole(world, 'operator').role,
  register: gateRole(world, 'register').role,
});

describe('the synthesized roles allow what the handlers call', () => {
  it.each(GATE_FUNCTIONS)(
    '%s: every call it made on the local cloud is allowed by its role in the template',
    async (fn) => {
      const made = calls.filter((call) => call.role === roleNames()[fn].name);
      expect(made.length, `${fn} made no call in the run`).toBeGreaterThan(0);
      const verdicts = new Map<string, string>();
      for (const call of made) {
        const key = `${call.action} ${call.resource}`;
        if (!verdicts.has(key)) verdicts.set(key, await allowedByTemplate(fn, call));
      }
      const denied = [...verdicts].filter(([, verdict]) => verdict !== 'Allowed');
      expect(denied).toEqual([]);
    },
  );

  it('the run covered every kind of call the gate makes', () => {
    const actions = new Set(calls.map((call) => call.action));
    for (const action of [
      'ec2:AcceptVpcEndpointConnections',
      'ec2:RejectVpcEndpointConnections',
      'ec2:DescribeVpcEndpointConnections',
      // Enrollment: the service already requires acceptance, so only the notification is added.
      'ec2:CreateVpcEndpointConnectionNotification',
      'dynamodb:UpdateItem',
      'sns:Publish',
      'kms:GenerateDataKey',
      'events:PutEvents',
      // Register: the invited account joins the allowed principals.
      'ec2:ModifyVpcEndpointServicePermissions',
    ]) {
      expect(actions, action).toContain(action);
    }
  });
});

describe('the synthesized roles deny what is beyond each function', () => {
  const service = `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc-endpoint-service/vpce-svc-0123456789abcdef0`;
  const managed = { [`aws:ResourceTag/${MANAGED_TAG.key}`]: MANAGED_TAG.value };
  const on = (action: string, resource: string, context: Record<string, string> = {}): AccessRequest => ({
    action,
    resource,
    resourceAccount: ACCOUNT,
    context,
  });
  const risky = (): Record<GateFunctionName, AccessRequest[]> => {
    const shared = [
      on('ec2:ModifyVpcEndpointServicePermissions', service, managed),
      on('ec2:DeleteVpcEndpointServiceConfigurations', service, managed),
      on('ec2:CreateVpcEndpoint', `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc-endpoint/*`),
      on('ec2:CreateTags', service, managed),
      on('dynamodb:DeleteTable', resources.rulesTableArn),
      on('dynamodb:DeleteTable', resources.ledgerTableArn),
      on('sns:Publish', resources.ingestTopicArn),
      on('sns:DeleteTopic', resources.decisionsTopicArn),
      on('events:PutEvents', `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`),
      on('kms:ScheduleKeyDeletion', resources.topicKeyArn),
      on('iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/anything`),
    ];
    const actOnUntagged = on('ec2:AcceptVpcEndpointConnections', service);
    return {
      decide: [
        ...shared,
        actOnUntagged,
        on('dynamodb:PutItem', resources.rulesTableArn),
        on('ec2:ModifyVpcEndpointServiceConfiguration', service, managed),
      ],
      sweep: [
        ...shared,
        actOnUntagged,
        on('dynamodb:PutItem', resources.rulesTableArn),
        on('ec2:ModifyVpcEndpointServiceConfiguration', service),
      ],
      operator: [...shared, actOnUntagged, on('ec2:ModifyVpcEndpointServiceConfiguration', service, managed)],
      ingest: [
        ...shared,
        on('ec2:AcceptVpcEndpointConnections', service, managed),
        on('ec2:RejectVpcEndpointConnections', service, managed),
        on('dynamodb:PutItem', resources.rulesTableArn),
      ],
      ruleChange: [
        ...shared,
        on('ec2:AcceptVpcEndpointConnections', service, managed),
        on('ec2:DescribeVpcEndpointConnections', '*'),
        on('dynamodb:GetItem', resources.ledgerTableArn),
      ],
      // Its own grant is the allowed principals of managed services, nothing else of EC2's.
      register: [
        ...shared.filter((request) => request.action !== 'ec2:ModifyVpcEndpointServicePermissions'),
        on('ec2:ModifyVpcEndpointServicePermissions', service),
        on('ec2:AcceptVpcEndpointConnections', service, managed),
        on('dynamodb:PutItem', resources.rulesTableArn, { 'dynamodb:LeadingKeys': 'defaults' }),
        on('dynamodb:DeleteItem', resources.rulesTableArn, { 'dynamodb:LeadingKeys': 'rule' }),
        on('dynamodb:Scan', resources.rulesTableArn),
        on('dynamodb:UpdateItem', resources.ledgerTableArn),
      ],
    };
  };

  it.each(GATE_FUNCTIONS)('%s', async (fn) => {
    const allowed: string[] = [];
    for (const request of risky()[fn]) {
      if ((await allowedByTemplate(fn, request)) === 'Allowed')
        allowed.push(`${request.action} ${request.resource}`);
    }
    expect(allowed).toEqual([]);
  });
});
