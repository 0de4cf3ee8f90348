import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '../../infra/gate-stack.ts';
import {
  asList,
  logicalIdOf,
  registerApiOf,
  render,
  type Statement,
  type SynthesizedGate,
  sharedGate,
} from './synth.ts';

let gate: SynthesizedGate;
/** A stack with `registerApi: false`: no public endpoint at all. */
let closed: SynthesizedGate;

beforeAll(() => {
  gate = sharedGate({});
  closed = sharedGate({ registerApi: false });
}, 600_000);
afterAll(() => {
  gate?.dispose();
  closed?.dispose();
});

const registerStatements = (): Statement[] => {
  const roleId = logicalIdOf(registerApiOf(gate.stack).function.role);
  return Object.values(gate.json.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((p) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap(
      (p) => (p.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [],
    );
};

describe('register API', () => {
  it('routes POST /register to the register function on a throttled, logged stage', () => {
    gate.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    gate.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /register' });
    gate.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
    gate.template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Description: Match.stringLikeRegexp('redeem an invitation'),
    });
  });

  it('gives the register URL as the stack output plgate invite --stack reads', () => {
    const outputs = gate.template.findOutputs(STACK_OUTPUTS.registerUrl);
    expect(render(Object.values(outputs)[0]?.Value)).toMatch(/execute-api.*\/register$/);
  });

  it('may modify permissions only of managed services, and write only invitations, rules, the version and the ledger', () => {
    const statements = registerStatements();
    const byAction = (action: string) => statements.filter((s) => asList(s.Action).includes(action));

    const modify = byAction('ec2:ModifyVpcEndpointServicePermissions');
    expect(modify).toHaveLength(1);
    expect(render(modify[0]?.Resource)).toMatch(/vpc-endpoint-service\/\*$/);
    expect(modify[0]?.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/privatelink-gate:managed': 'true' },
    });

    const rulesTable = logicalIdOf(gate.stack.gate.tables.rules);
    const ledgerTable = logicalIdOf(gate.stack.gate.tables.ledger);
    const writes = statements.filter((s) =>
      asList(s.Action).some((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a)),
    );
    for (const statement of writes) {
      const resource = JSON.stringify(statement.Resource);
      if (resource.includes(rulesTable)) {
        expect(statement.Condition).toEqual({
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['invitation', 'rule', 'meta'] },
        });
      } else {
        expect(resource).toContain(ledgerTable);
        expect(asList(statement.Action)).toEqual(['dynamodb:PutItem']);
      }
    }
    expect(statements.flatMap((s) => asList(s.Action)).filter((a) => a.includes('Delete'))).toEqual([]);
    expect(statements.flatMap((s) => asList(s.Action))).not.toContain('ec2:AcceptVpcEndpointConnections');
  });

  it('is left out with registerApi: false: no HTTP API, no register function or role, no RegisterUrl output', () => {
    expect(closed.stack.gate.register).toBeUndefined();
    for (const type of ['AWS::ApiGatewayV2::Api', 'AWS::ApiGatewayV2::Route', 'AWS::ApiGatewayV2::Stage'])
      closed.template.resourceCountIs(type, 0);
    gate.template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    const functions = Object.values(closed.json.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.map((r) => String(r.Properties?.Description))).not.toContainEqual(
      expect.stringContaining('redeem an invitation'),
    );
    expect(functions).toHaveLength(
      Object.values(gate.json.Resources).filter((r) => r.Type === 'AWS::Lambda::Function').length - 1,
    );
    // Nothing grants what only registering needs.
    expect(JSON.stringify(closed.json)).not.toContain('ec2:ModifyVpcEndpointServicePermissions');
    expect(Object.keys(closed.json.Outputs ?? {})).not.toContain(STACK_OUTPUTS.registerUrl);
    const kept = Object.values(STACK_OUTPUTS).filter((key) => key !== STACK_OUTPUTS.registerUrl);
    for (const key of kept) expect(Object.keys(closed.json.Outputs ?? {})).toContain(key);
  });
});
