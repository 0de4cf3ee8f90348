/**
 * Approve, Deny and Explain buttons on the Slack thread of a held request: Chatbot custom
 * actions attached to the gate's custom notifications whose outcome is `held`, each running
 * `lambda invoke` on the operator function with the endpoint id taken from the notice
 * (functions/aws/notice-message.ts puts it in metadata.additionalContext). The channel's
 * role may invoke that one function and, through its guardrail, nothing else that mutates.
 */
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export const OPERATOR_BUTTONS = [
  { action: 'approve', text: 'Approve' },
  { action: 'deny', text: 'Deny' },
  { action: 'explain', text: 'Explain' },
] as const;

/** Chatbot allows a command of at most 100 characters, variables included. */
export const COMMAND_MAX = 100;

export function operatorCommand(functionName: string, action: string): string {
  return `lambda invoke --function-name ${functionName} --payload {"action":"${action}","endpointId":"$id"}`;
}

export interface OperatorButtonsProps {
  stackName: string;
  operator: lambda.IFunction;
  functionName: string;
  channel: chatbot.SlackChannelConfiguration;
}

export class OperatorButtons extends Construct {
  readonly actions: chatbot.CfnCustomAction[];

  constructor(scope: Construct, id: string, props: OperatorButtonsProps) {
    super(scope, id);
    this.actions = OPERATOR_BUTTONS.map(({ action, text }) => {
      const commandText = operatorCommand(props.functionName, action);
      if (commandText.length > COMMAND_MAX) {
        throw new Error(
          `the ${text} button's command is ${commandText.length} characters, more than Chatbot's ${COMMAND_MAX}`,
        );
      }
      return new chatbot.CfnCustomAction(this, text, {
        actionName: `${props.stackName}-${action}`.slice(0, 64),
        definition: { commandText },
        attachments: [
          {
            notificationType: 'Custom',
            buttonText: text,
            variables: {
              id: 'event.metadata.additionalContext.endpointId',
              outcome: 'event.metadata.additionalContext.outcome',
            },
            criteria: [
              { variableName: 'outcome', operator: 'EQUALS', value: 'held' },
              { variableName: 'id', operator: 'HAS_VALUE' },
            ],
          },
        ],
      });
    });

    // The buttons run with the channel's role: it may invoke the operator function, and its
    // guardrail (the ceiling on what any channel member can run) adds that one call to read-only.
    const invoke = new iam.ManagedPolicy(this, 'InvokeOperator', {
      description:
        'privatelink-gate: the chat channel may invoke the operator function, nothing else that writes',
      statements: [
        new iam.PolicyStatement({
          sid: 'InvokeOperator',
          actions: ['lambda:InvokeFunction'],
          resources: [props.operator.functionArn],
        }),
      ],
    });
    props.channel.role?.addManagedPolicy(invoke);
    const cfn = props.channel.node.defaultChild as chatbot.CfnSlackChannelConfiguration;
    cfn.guardrailPolicies = [
      iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess').managedPolicyArn,
      invoke.managedPolicyArn,
    ];
  }
}
