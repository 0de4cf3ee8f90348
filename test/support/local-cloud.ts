/**
 * A local cloud per test file, and real AWS SDK clients pointed at it as the
 * provider (access key `test`) or as a consumer (a 12-digit access key id).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from '../../local/cloud.ts';

export const PROVIDER_KEY = 'test';
export const PROVIDER_ACCOUNT = '000000000000';
export const CONSUMER_A = '111111111111';
export const CONSUMER_B = '222222222222';
export const STRANGER = '333333333333';

export const NLB_ARN =
  'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/gate-nlb/0123456789abcdef';

/** Starts a cloud on a free port with fast state transitions; log lines are collected, not printed. */
export async function startTestCloud(
  options: LocalCloudOptions = {},
): Promise<LocalCloud & { logs: string[] }> {
  const logs: string[] = [];
  const cloud = await startLocalCloud({
    port: 0,
    acceptDelayMs: 20,
    deleteDelayMs: 20,
    retryDelayMs: 5,
    // One environment per function: a test world's requests come a few at a time, and each
    // environment more is a cold start (a fifth of these tests' CPU). The tests of
    // concurrency (the chaos run, reserved concurrency) ask for more.
    environmentsPerFunction: 1,
    log: (line) => logs.push(line),
    ...options,
  });
  return Object.assign(cloud, { logs });
}

interface ClientOptions {
  region?: string;
}

const config = (cloud: LocalCloud, accessKeyId: string, options: ClientOptions = {}) => ({
  endpoint: cloud.endpoint,
  region: options.region ?? 'us-east-1',
  credentials: { accessKeyId, secretAccessKey: 'local-secret' },
  maxAttempts: 1,
});

export const ec2For = (cloud: LocalCloud, accessKeyId = PROVIDER_KEY, options?: ClientOptions) =>
  new EC2Client(config(cloud, accessKeyId, options));
export const snsFor = (cloud: LocalCloud, accessKeyId = PROVIDER_KEY, options?: ClientOptions) =>
  new SNSClient(config(cloud, accessKeyId, options));
export const dynamoFor = (cloud: LocalCloud, accessKeyId = PROVIDER_KEY, options?: ClientOptions) =>
  new DynamoDBClient(config(cloud, accessKeyId, options));
export const eventsFor = (cloud: LocalCloud, accessKeyId = PROVIDER_KEY, options?: ClientOptions) =>
  new EventBridgeClient(config(cloud, accessKeyId, options));

/** The error an SDK call rejects with, for asserting on its name (the AWS error code). */
export async function awsError(
  call: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`expected an Error, got ${String(error)}`);
  }
  throw new Error('expected the call to fail, it succeeded');
}
