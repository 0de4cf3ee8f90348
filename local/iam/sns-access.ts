/**
 * What an SNS Query request asks IAM for: `sns:<Action>` on the topic it names (or `*`
 * for ListTopics), judged with the topic's policy; publishing to a KMS-encrypted topic
 * also takes a data key from the topic's key, with the publisher's own permissions.
 */
import type { Caller } from '../identity.ts';
import type { QueryParams } from '../query-params.ts';
import { parseTopicArn, type SnsTopics } from '../sns/topics.ts';
import type { AccessRequest } from './authorizer.ts';
import { keyPolicyOf } from './kms.ts';

const topicArnOf = (params: QueryParams): string | undefined =>
  params.string('TopicArn') ?? params.string('TargetArn');

export function snsAccessRequests(topics: SnsTopics, caller: Caller, params: QueryParams): AccessRequest[] {
  const action = params.string('Action') ?? '';
  const iamAction = `sns:${action}`;
  if (action === 'CreateTopic') {
    const name = params.string('Name') ?? '';
    return [
      {
        action: iamAction,
        resource: `arn:aws:sns:${caller.region}:${caller.account}:${name}`,
        resourceAccount: caller.account,
      },
    ];
  }
  const arn = topicArnOf(params);
  const address = arn === undefined ? undefined : parseTopicArn(arn);
  if (arn === undefined || address === undefined) {
    return [{ action: iamAction, resource: '*', resourceAccount: caller.account }];
  }
  const { policy } = topics.settingsOf(arn);
  return [
    {
      action: iamAction,
      resource: arn,
      resourceAccount: address.account,
      ...(policy === undefined ? { ownerAccountAllowed: true } : { resourcePolicy: policy }),
    },
  ];
}

/** The KMS calls SNS makes for a publisher of an encrypted topic, as that publisher. */
export function snsKeyRequests(topics: SnsTopics, params: QueryParams): AccessRequest[] {
  if (params.string('Action') !== 'Publish') return [];
  const arn = topicArnOf(params);
  if (arn === undefined || !topics.exists(arn)) return [];
  const key = topics.settingsOf(arn).kmsMasterKeyId;
  const keyAccount =
    key === undefined ? undefined : /^arn:aws[a-z-]*:kms:[a-z0-9-]+:([0-9]{12}):key\//.exec(key)?.[1];
  if (key === undefined || keyAccount === undefined) return [];
  return ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({
    action,
    resource: key,
    resourceAccount: keyAccount,
    resourcePolicy: keyPolicyOf(keyAccount),
  }));
}
