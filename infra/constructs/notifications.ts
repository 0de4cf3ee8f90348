import { Arn, ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { GateStackConfig } from '../config.ts';
import { ingestTopicPolicy } from '../permissions.ts';

export interface GateNotificationsProps {
  config: GateStackConfig;
}

/**
 * The gate's three topics, all encrypted with one customer managed key:
 * - ingest: EC2 connection notifications (`vpce.amazonaws.com`) for the ingest function;
 * - decisions: what the gate decided, for people (e-mail, Slack) and systems (SQS, Lambda);
 * - ops: CloudWatch alarms.
 */
export class GateNotifications extends Construct {
  readonly key: kms.Key;
  readonly ingestTopic: sns.Topic;
  readonly decisionsTopic: sns.Topic;
  readonly opsTopic: sns.Topic;
  readonly slackChannel?: chatbot.SlackChannelConfiguration;

  constructor(scope: Construct, id: string, { config }: GateNotificationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const thisAccount = { StringEquals: { 'aws:SourceAccount': stack.account } };

    this.key = new kms.Key(this, 'TopicKey', {
      description: `privatelink-gate ${config.stackName}: encrypts the ingest, decisions and ops topics`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // AWS services that publish to our encrypted topics need the key; our functions get it
    // through their IAM grants. Subscribers (e-mail, Chatbot, SQS, Lambda) receive plaintext
    // from SNS and need nothing here.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EndpointServiceNotifications',
        principals: [new iam.ServicePrincipal('vpce.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: thisAccount,
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: thisAccount,
      }),
    );

    this.ingestTopic = new sns.Topic(this, 'IngestTopic', {
      displayName: 'privatelink-gate connection notifications',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const statement of ingestTopicPolicy({
      partition: stack.partition,
      account: stack.account,
      region: stack.region,
      ingestTopicArn: this.ingestTopic.topicArn,
    })) {
      this.ingestTopic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: statement.sid,
          principals: [new iam.ServicePrincipal(statement.servicePrincipal)],
          actions: [...statement.actions],
          resources: [...statement.resources],
          ...(statement.conditions === undefined ? {} : { conditions: statement.conditions }),
        }),
      );
    }

    this.decisionsTopic = new sns.Topic(this, 'DecisionsTopic', {
      displayName: 'privatelink-gate decisions',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.opsTopic = new sns.Topic(this, 'OpsTopic', {
      displayName: 'privatelink-gate alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    // A topic policy of our own (enforceSSL) replaces SNS's default one, which is what lets
    // CloudWatch alarms publish; say it again, for this account's alarms only.
    this.opsTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.opsTopic.topicArn],
        conditions: {
          ...thisAccount,
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );

    for (const address of config.emailSubscriptions) {
      this.decisionsTopic.addSubscription(new subscriptions.EmailSubscription(address));
    }
    if (config.alarmEmail !== undefined) {
      this.opsTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    }
    config.extraSubscriberArns.forEach((arn, index) => {
      this.decisionsTopic.addSubscription(subscriberFor(this, `Subscriber${index}`, arn));
    });

    if (config.slack !== undefined) {
      this.slackChannel = new chatbot.SlackChannelConfiguration(this, 'Slack', {
        slackChannelConfigurationName: `${config.stackName}-decisions`.slice(0, 128),
        slackWorkspaceId: config.slack.workspaceId,
        slackChannelId: config.slack.channelId,
        notificationTopics: [this.decisionsTopic, this.opsTopic],
        // Whatever a channel member runs through Chatbot can only read.
        guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
      });
    }
  }
}

/**
 * An SQS queue or Lambda function given by ARN. Same-account Lambdas get the invoke
 * permission from CDK; a queue's owner must allow `sns:SendMessage` from the decisions
 * topic in the queue policy (infra/README.md).
 */
function subscriberFor(scope: Construct, id: string, arn: string): sns.ITopicSubscription {
  const service = Arn.split(arn, ArnFormat.COLON_RESOURCE_NAME).service;
  if (service === 'sqs') return new subscriptions.SqsSubscription(sqs.Queue.fromQueueArn(scope, id, arn));
  const fn = lambda.Function.fromFunctionArn(scope, id, arn);
  Validations.of(fn).acknowledge({
    id: 'UnclearLambdaEnvironment',
    reason:
      'CDK adds the invoke permission when the function is in the deploying account; for a function in another account (or an offline synth that does not know the account) its owner grants sns.amazonaws.com, as infra/README.md says.',
  });
  return new subscriptions.LambdaSubscription(fn);
}
