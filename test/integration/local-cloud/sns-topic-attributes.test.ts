/**
 * SNS topic attributes on the local cloud: Set/GetTopicAttributes with SNS's errors, and the
 * Policy attribute as the topic's resource policy, judged by the local IAM for other
 * accounts and for the functions' roles alike. The AWS CLI (an independent client) walks the
 * attributes and one error; the SDK does the rest (each CLI run is a Python process).
 */
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  PublishCommand,
  SetTopicAttributesCommand,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../local/cloud.ts';
import { AwsCliError, runAws } from '../../support/aws-cli.ts';
import {
  awsError,
  CONSUMER_A,
  CONSUMER_B,
  PROVIDER_ACCOUNT,
  PROVIDER_KEY,
  snsFor,
  startTestCloud,
} from '../../support/local-cloud.ts';

let cloud: LocalCloud & { logs: string[] };
const as = (accessKeyId: string) => ({ endpoint: cloud.endpoint, accessKeyId });
// Each AWS CLI run is a Python process; on a loaded machine several take well over 30 s.
const CLI_TIMEOUT_MS = 180_000;

beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(async () => {
  await cloud?.stop();
});

async function createTopic(name: string): Promise<string> {
  const created = (await runAws(as(PROVIDER_KEY), ['sns', 'create-topic', '--name', name])) as {
    TopicArn: string;
  };
  return created.TopicArn;
}

const setAttribute = (key: string, topicArn: string, name: string, value: string) =>
  runAws(as(key), [
    'sns',
    'set-topic-attributes',
    '--topic-arn',
    topicArn,
    '--attribute-name',
    name,
    '--attribute-value',
    value,
  ]);

const attributesOf = async (key: string, topicArn: string): Promise<Record<string, string>> =>
  (
    (await runAws(as(key), ['sns', 'get-topic-attributes', '--topic-arn', topicArn])) as {
      Attributes: Record<string, string>;
    }
  ).Attributes;

/** The same calls through the SDK. */
async function sdkTopic(name: string): Promise<string> {
  const created = await snsFor(cloud, PROVIDER_KEY).send(new CreateTopicCommand({ Name: name }));
  if (created.TopicArn === undefined) throw new Error('no topic ARN');
  return created.TopicArn;
}
const sdkSet = (key: string, topicArn: string, name: string, value: string) =>
  snsFor(cloud, key).send(
    new SetTopicAttributesCommand({ TopicArn: topicArn, AttributeName: name, AttributeValue: value }),
  );
const sdkAttributes = async (key: string, topicArn: string): Promise<Record<string, string>> =>
  (await snsFor(cloud, key).send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).Attributes ?? {};
/** An SDK call's error as `Name: message`. */
const sdkError = async (call: Promise<unknown>): Promise<string> => {
  const error = await awsError(call);
  return `${error.name}: ${error.message}`;
};

async function cliError(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AwsCliError);
  return error instanceof AwsCliError ? error.stderr : '';
}

const consumerMayPublish = (
  topicArn: string,
  effect: 'Allow' | 'Deny' = 'Allow',
  principal = `arn:aws:iam::${CONSUMER_A}:root`,
) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Consumer',
        Effect: effect,
        Principal: { AWS: principal },
        Action: 'sns:Publish',
        Resource: topicArn,
      },
    ],
  });

describe('aws sns set-topic-attributes / get-topic-attributes', () => {
  it(
    'sets and reads back DisplayName and Policy; a new topic shows the default policy of its owner',
    async () => {
      const topicArn = await createTopic('attributes');
      const fresh = await attributesOf(PROVIDER_KEY, topicArn);
      expect(fresh).toMatchObject({ TopicArn: topicArn, Owner: PROVIDER_ACCOUNT, DisplayName: '' });
      expect(JSON.parse(fresh.Policy ?? '{}').Statement[0].Condition).toEqual({
        StringEquals: { 'AWS:SourceOwner': PROVIDER_ACCOUNT },
      });

      await setAttribute(PROVIDER_KEY, topicArn, 'DisplayName', 'Gate alerts');
      await setAttribute(PROVIDER_KEY, topicArn, 'Policy', consumerMayPublish(topicArn));
      const set = await attributesOf(PROVIDER_KEY, topicArn);
      expect(set.DisplayName).toBe('Gate alerts');
      expect(JSON.parse(set.Policy ?? '{}')).toEqual(JSON.parse(consumerMayPublish(topicArn)));
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "answers SNS's errors: an unknown attribute, an unknown topic, a policy that is not one",
    async () => {
      const topicArn = await sdkTopic('errors');
      // The CLI sees SNS's error code and message as SNS sends them.
      expect(await cliError(setAttribute(PROVIDER_KEY, topicArn, 'Colour', 'blue'))).toMatch(
        /InvalidParameter.*Invalid parameter: AttributeName/,
      );
      const missing = `arn:aws:sns:us-east-1:${PROVIDER_ACCOUNT}:no-such-topic`;
      expect(await sdkError(sdkSet(PROVIDER_KEY, missing, 'DisplayName', 'x'))).toMatch(
        /NotFound.*Topic does not exist/,
      );
      expect(await sdkError(sdkAttributes(PROVIDER_KEY, missing))).toMatch(/NotFound.*Topic does not exist/);
      expect(await sdkError(sdkSet(PROVIDER_KEY, topicArn, 'Policy', '{ not json'))).toMatch(
        /InvalidParameter.*Policy Error/,
      );
      expect(await sdkError(sdkSet(PROVIDER_KEY, topicArn, 'TracingConfig', 'Sometimes'))).toMatch(
        /InvalidParameter.*TracingConfig/,
      );
      // Only e-mail subscriptions are kept (pending confirmation): nothing else could be delivered.
      const subscribe = (protocol: string, endpoint: string) =>
        snsFor(cloud, PROVIDER_KEY).send(
          new SubscribeCommand({ TopicArn: topicArn, Protocol: protocol, Endpoint: endpoint }),
        );
      expect(await sdkError(subscribe('sqs', `arn:aws:sqs:us-east-1:${PROVIDER_ACCOUNT}:q`))).toMatch(
        /InvalidParameter.*Protocol/,
      );
      expect((await subscribe('email', 'ops@example.com')).SubscriptionArn).toBe('pending confirmation');
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "a consumer account cannot set or read the attributes of the provider's topic",
    async () => {
      const topicArn = await sdkTopic('providers-own');
      const refused = await sdkError(
        sdkSet(CONSUMER_A, topicArn, 'Policy', consumerMayPublish(topicArn, 'Allow', '*')),
      );
      expect(refused).toMatch(/AuthorizationError/);
      expect(refused).toContain(
        `User: arn:aws:iam::${CONSUMER_A}:root is not authorized to perform: sns:SetTopicAttributes on resource: ${topicArn}`,
      );
      expect(await sdkError(sdkAttributes(CONSUMER_A, topicArn))).toMatch(/AuthorizationError/);
      // Nothing changed: the default policy still holds.
      expect(JSON.parse((await sdkAttributes(PROVIDER_KEY, topicArn)).Policy ?? '{}').Id).toBe(
        '__default_policy_ID',
      );
    },
    CLI_TIMEOUT_MS,
  );
});

describe('the Policy attribute is the topic resource policy the local IAM judges', () => {
  it(
    'lets the account it names publish, and no other',
    async () => {
      const topicArn = await sdkTopic('shared');
      const message = new PublishCommand({ TopicArn: topicArn, Message: 'hello' });
      expect((await awsError(snsFor(cloud, CONSUMER_A).send(message))).name).toBe(
        'AuthorizationErrorException',
      );
      await sdkSet(PROVIDER_KEY, topicArn, 'Policy', consumerMayPublish(topicArn));
      await expect(snsFor(cloud, CONSUMER_A).send(message)).resolves.toMatchObject({
        MessageId: expect.any(String),
      });
      expect((await awsError(snsFor(cloud, CONSUMER_B).send(message))).name).toBe(
        'AuthorizationErrorException',
      );
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "an explicit deny in the topic's policy outranks a function role's allow",
    async () => {
      const topicArn = await sdkTopic('guarded');
      cloud.iam.roles.define({
        name: 'plgate-local-publisher',
        account: PROVIDER_ACCOUNT,
        accessKeyId: 'ASIAPLGATEPUBLISHER',
        statements: [{ Effect: 'Allow', Action: ['sns:Publish'], Resource: [topicArn] }],
      });
      const message = new PublishCommand({ TopicArn: topicArn, Message: 'from the role' });
      await expect(snsFor(cloud, 'ASIAPLGATEPUBLISHER').send(message)).resolves.toBeDefined();
      const role = `arn:aws:iam::${PROVIDER_ACCOUNT}:role/plgate-local-publisher`;
      await sdkSet(PROVIDER_KEY, topicArn, 'Policy', consumerMayPublish(topicArn, 'Deny', role));
      const denied = await awsError(snsFor(cloud, 'ASIAPLGATEPUBLISHER').send(message));
      expect(denied.name).toBe('AuthorizationErrorException');
      expect(denied.message).toContain('with an explicit deny in a policy');
    },
    CLI_TIMEOUT_MS,
  );
});
