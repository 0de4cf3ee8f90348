import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_FUNCTION_NAME } from '../../functions/shared/config.ts';
import { COMMAND_MAX, operatorCommand } from '../../infra/constructs/operator-buttons.ts';
import { FULL_CONFIG, logicalIdOf, type SynthesizedGate, synthesizeGate } from './synth.ts';

let plain: SynthesizedGate;
let full: SynthesizedGate;

beforeAll(() => {
  plain = synthesizeGate({});
  full = synthesizeGate(FULL_CONFIG);
}, 300_000);
afterAll(() => {
  plain?.dispose();
  full?.dispose();
});

describe('the operator function and its Slack buttons', () => {
  it('has the operator function, by the name the buttons invoke, in every stack', () => {
    plain.template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: OPERATOR_FUNCTION_NAME });
    plain.template.resourceCountIs('AWS::Chatbot::CustomAction', 0);
  });

  it('attaches Approve, Deny and Explain to held notices, invoking the operator function with the endpoint id', () => {
    full.template.resourceCountIs('AWS::Chatbot::CustomAction', 3);
    for (const [action, text] of [
      ['approve', 'Approve'],
      ['deny', 'Deny'],
      ['explain', 'Explain'],
    ]) {
      const commandText = operatorCommand(OPERATOR_FUNCTION_NAME, action ?? '');
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
    const operator = logicalIdOf(full.stack.operator.function);
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
});
