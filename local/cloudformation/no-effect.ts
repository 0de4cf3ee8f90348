/**
 * Resource types the local cloud accepts without effect: nothing on one machine would
 * act on them (alarms, dashboards, log groups, keys, Chatbot, CDK metadata). They get a
 * physical id and the attributes other resources read from them, and `plgate local`
 * lists them at start.
 */
import { createHash } from 'node:crypto';
import type { StackIdentity } from '../service.ts';

type Attributes = (
  stack: StackIdentity,
  physicalId: string,
  properties: Record<string, unknown>,
) => Record<string, unknown>;

const uuidOf = (seed: string): string => {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

interface NoEffectType {
  /** The physical id CloudFormation would give it (a name or an id). */
  physicalId(
    stack: StackIdentity,
    logicalId: string,
    generatedName: () => string,
    properties: Record<string, unknown>,
  ): string;
  attributes: Attributes;
}

const named =
  (property: string, maxLength?: number) =>
  (
    _stack: StackIdentity,
    _logicalId: string,
    generatedName: (maxLength?: number) => string,
    properties: Record<string, unknown>,
  ): string => {
    const given = properties[property];
    return typeof given === 'string' && given !== '' ? given : generatedName(maxLength);
  };

export const NO_EFFECT_TYPES: Record<string, NoEffectType> = {
  'AWS::CDK::Metadata': { physicalId: (s, id) => `${s.name}-${id}`, attributes: () => ({}) },
  'AWS::CloudWatch::Alarm': {
    physicalId: named('AlarmName', 255),
    attributes: (s, id) => ({ Arn: `arn:aws:cloudwatch:${s.region}:${s.account}:alarm:${id}` }),
  },
  'AWS::CloudWatch::Dashboard': { physicalId: named('DashboardName', 255), attributes: () => ({}) },
  'AWS::Logs::LogGroup': {
    physicalId: named('LogGroupName', 512),
    attributes: (s, id) => ({ Arn: `arn:aws:logs:${s.region}:${s.account}:log-group:${id}:*` }),
  },
  'AWS::KMS::Key': {
    physicalId: (s, id) => uuidOf(`${s.id}/${id}`),
    attributes: (s, id) => ({ Arn: `arn:aws:kms:${s.region}:${s.account}:key/${id}`, KeyId: id }),
  },
  'AWS::KMS::Alias': { physicalId: named('AliasName', 256), attributes: () => ({}) },
  'AWS::Chatbot::SlackChannelConfiguration': {
    physicalId: (s, id) => `arn:aws:chatbot::${s.account}:chat-configuration/slack-channel/${id}`,
    attributes: (_s, id) => ({ Arn: id }),
  },
  'AWS::Chatbot::MicrosoftTeamsChannelConfiguration': {
    physicalId: (s, id) => `arn:aws:chatbot::${s.account}:chat-configuration/microsoft-teams-channel/${id}`,
    attributes: (_s, id) => ({ Arn: id }),
  },
};
