import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_STACK_NAME,
  OPERATOR_FUNCTION_NAME_MAX,
  operatorFunctionName,
} from '../../functions/shared/config.ts';
import { COMMAND_MAX, OPERATOR_BUTTONS, operatorCommand } from '../../infra/constructs/operator-buttons.ts';
import { FULL_CONFIG, logicalIdOf, type SynthesizedGate, sharedGate } from './synth.ts';

let plain: SynthesizedGate;
let full: SynthesizedGate;
/** Production and staging side by side: one account, one region, two stack names. */
const ACCOUNT_REGION = { account: '111122223333', region: 'eu-west-1' };
let production: SynthesizedGate;
let staging: SynthesizedGate;

// Waits for the run's one `cdk synth` when another file started it (test/support/synth-cache.ts).
beforeAll(() => {
  plain = sharedGate({});
  full = sharedGate(FULL_CONFIG);
  production = sharedGate({ ...FULL_CONFIG, stackName: 'PrivateLinkGate' }, { env: ACCOUNT_REGION });
  staging = sharedGate({ ...FULL_CONFIG, stackName: 'PrivateLinkGate-staging' }, { env: ACCOUNT_REGION });
}, 600_000);
afterAll(() => {
  for (const gate of [plain, full, production, staging]) gate?.dispose();
});

const functionNames = (gate: SynthesizedGate): string[] =>
  Object.values(gate.json.Resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((r) => r.Properties?.FunctionName)
    .filter((name): name is string => typeof name === 'string');

const commandTexts = (gate: SynthesizedGate): string[] =>
  Object.values(gate.json.Resources)
    .filter((r) => r.Type === 'AWS::Chatbot::CustomAction')
    .map((r) => (r.Properties?.Definition as { CommandText?: string } | undefined)?.CommandText ?? '');

describe('the operator function and its Slack buttons', () => {
  it('has the operator function, by the name the buttons invoke, in every stack', () => {
    expect(functionNames(plain)).toEqual([operatorFunctionName(DEFAULT_STACK_NAME)]);
    expect(functionNames(plain)).toEqual(['PrivateLinkGate-op']);
    expect(functionNames(full)).toEqual(['GateFull-op']);
    plain.template.resourceCountIs('AWS::Chatbot::CustomAction', 0);
  });

  it('attaches Approve, Deny and Explain to held notices, invoking the operator function with the endpoint id', () => {
    full.template.resourceCountIs('AWS::Chatbot::CustomAction', 3);
    for (const [action, text] of [
      ['approve', 'Approve'],
      ['deny', 'Deny'],
      ['explain', 'Explain'],
    ]) {
      const commandText = operatorCommand('GateFull-op', action ?? '');
      expect(commandText.length).toBeLessThanOrEqual(COMMAND_MAX);
      full.template.hasResourceProperties('AWS::Chatbot::CustomAction', {
        Definition: { CommandText: commandText },
        Attachments: [
          {
            ButtonText: text,
            NotificationType: 'Custom',
            Variables: {
              id: 'event.metadata.additionalContext.endpointId',
              outcome: 'event.metadata.additionalContext.outcome',
            },
            Criteria: Match.arrayWith([
              { VariableName: 'outcome', Operator: 'EQUALS', Value: 'held' },
              { VariableName: 'id', Operator: 'HAS_VALUE' },
            ]),
          },
        ],
      });
    }
  });

  it("lets the channel's role invoke the operator function and, by its guardrail, nothing else that writes", () => {
    const operator = logicalIdOf(full.stack.gate.operator.function);
    const policies = full.template.findResources('AWS::IAM::ManagedPolicy', {
      Properties: {
        PolicyDocument: {
          Statement: [
            {
              Action: 'lambda:InvokeFunction',
              Effect: 'Allow',
              Resource: { 'Fn::GetAtt': [operator, 'Arn'] },
            },
          ],
        },
      },
    });
    const [invokeId, ...others] = Object.keys(policies);
    expect(others).toEqual([]);
    const channels = Object.values(full.json.Resources).filter(
      (r) => r.Type === 'AWS::Chatbot::SlackChannelConfiguration',
    );
    expect(channels).toHaveLength(1);
    const guardrails = JSON.stringify(channels[0]?.Properties?.GuardrailPolicies);
    expect(guardrails).toContain('ReadOnlyAccess');
    expect(guardrails).toContain(invokeId);
    expect(JSON.parse(guardrails ?? '[]')).toHaveLength(2);
    // The channel role holds the invoke policy, and no inline statement that writes anything.
    const roleRef = channels[0]?.Properties?.IamRoleArn as { 'Fn::GetAtt': [string, string] };
    const role = full.json.Resources[roleRef['Fn::GetAtt'][0]];
    expect(JSON.stringify(role?.Properties?.ManagedPolicyArns)).toContain(invokeId);
    const inline = Object.values(full.json.Resources).filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(r.Properties?.Roles ?? []).includes(roleRef['Fn::GetAtt'][0]),
    );
    expect(inline).toEqual([]);
  });

  it('names the operator function after the stack: two stacks in one account and region do not collide', () => {
    const [productionName] = functionNames(production);
    const [stagingName] = functionNames(staging);
    expect(productionName).toBe('PrivateLinkGate-op');
    expect(stagingName).toBe(operatorFunctionName('PrivateLinkGate-staging'));
    expect(stagingName).not.toBe(productionName);
    // Each stack's buttons invoke its own function, and nothing names another stack's.
    for (const [gate, name, other] of [
      [production, productionName, stagingName],
      [staging, stagingName, productionName],
    ] as const) {
      expect(commandTexts(gate).sort()).toEqual(
        OPERATOR_BUTTONS.map(({ action }) => operatorCommand(name ?? '', action)).sort(),
      );
      expect(JSON.stringify(gate.json)).not.toContain(`--function-name ${other} `);
      gate.template.resourceCountIs('AWS::Chatbot::CustomAction', 3);
    }
    // The custom actions are account-wide names too.
    const actionNames = (gate: SynthesizedGate) =>
      Object.values(gate.template.findResources('AWS::Chatbot::CustomAction')).map(
        (r) => (r as { Properties: { ActionName: string } }).Properties.ActionName,
      );
    expect(actionNames(production).filter((n) => actionNames(staging).includes(n))).toEqual([]);
  });

  it("keeps every operator function name within Lambda's 64 characters and every button within Chatbot's 100", () => {
    const longest = `A${'b'.repeat(127)}`;
    const names = ['G', 'PrivateLinkGate', 'PrivateLinkGate-st', longest, `${longest.slice(0, 127)}c`].map(
      operatorFunctionName,
    );
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(Math.min(64, OPERATOR_FUNCTION_NAME_MAX));
      expect(name).toMatch(/^[A-Za-z0-9-]+$/);
      for (const { action } of OPERATOR_BUTTONS)
        expect(operatorCommand(name, action).length).toBeLessThanOrEqual(COMMAND_MAX);
    }
  });
});
