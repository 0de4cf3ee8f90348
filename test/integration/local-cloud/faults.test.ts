/**
 * Each fault the local cloud injects, observed through the real SDK the way the gate
 * would see it, and only on the gate's own credentials.
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateVpcEndpointCommand,
  CreateVpcEndpointConnectionNotificationCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeVpcEndpointConnectionsCommand,
  EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../local/cloud.ts';
import type { FaultRates } from '../../../local/faults.ts';
import { roleArnOf } from '../../../local/identity.ts';
import { awsError, ec2For, NLB_ARN, startTestCloud } from '../../support/local-cloud.ts';
import { type LocalGateWorld, startLocalGate } from '../../support/local-gate.ts';

let cloud: (LocalCloud & { logs: string[] }) | undefined;
const clients: { destroy(): void }[] = [];

let world: LocalGateWorld | undefined;

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await cloud?.stop();
  cloud = undefined;
  await world?.stop();
  world = undefined;
});

async function faultyCloud(rates: FaultRates) {
  cloud = await startTestCloud({ faults: { rates, seed: 1 } });
  return cloud;
}

/**
 * A client signing as a function does, with a session of its execution role (a role that
 * may do anything here), without retries so the first answer shows.
 */
function asGate<T extends { destroy(): void }>(
  Client: new (config: object) => T,
  c: LocalCloud,
  maxAttempts = 1,
): T {
  const role = {
    name: 'DecideRole',
    account: c.account,
    statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  };
  if (c.iam.roles.byName(role.name) === undefined) c.iam.roles.define(role);
  const client = new Client({
    endpoint: c.endpoint,
    region: c.region,
    credentials: c.iam.roles.issueSession(roleArnOf(role)),
    maxAttempts,
  });
  clients.push(client);
  return client;
}

const describeConnections = new DescribeVpcEndpointConnectionsCommand({});

describe('EC2 faults', () => {
  it('ec2.throttle=1: the gate gets RequestLimitExceeded (503); a person does not', async () => {
    const c = await faultyCloud({ 'ec2.throttle': 1 });
    const error = await awsError(asGate(EC2Client, c).send(describeConnections));
    expect(error.name).toBe('RequestLimitExceeded');
    expect(error.$metadata?.httpStatusCode).toBe(503);
    const admin = ec2For(c);
    clients.push(admin);
    await expect(admin.send(describeConnections)).resolves.toBeDefined();
    expect(c.faults?.injected['ec2.throttle']).toBe(1);
  });

  it('ec2.error=1: InternalError (500) or Unavailable (503)', async () => {
    const c = await faultyCloud({ 'ec2.error': 1 });
    const names = new Set<string>();
    for (let i = 0; i < 8; i += 1)
      names.add((await awsError(asGate(EC2Client, c).send(describeConnections))).name);
    expect([...names].sort()).toEqual(['InternalError', 'Unavailable']);
  });

  it('ec2.reset=1: the connection is reset, before or after EC2 acted', async () => {
    const c = await faultyCloud({ 'ec2.reset': 1 });
    const error = await awsError(asGate(EC2Client, c).send(describeConnections));
    expect(`${error.name} ${error.message} ${String((error as { code?: string }).code)}`).toMatch(
      /ECONNRESET|socket hang up|EPIPE|closed/i,
    );
  });

  it('ec2.slow=1: slow, but answered', async () => {
    const c = await faultyCloud({ 'ec2.slow': 1 });
    await expect(asGate(EC2Client, c).send(describeConnections)).resolves.toHaveProperty(
      'VpcEndpointConnections',
    );
    expect(c.faults?.injected['ec2.slow']).toBe(1);
  });

  it('with the SDK retrying, a call gets through a 30% fault rate', async () => {
    const c = await faultyCloud({ 'ec2.throttle': 0.3, 'ec2.error': 0.3 });
    const gate = asGate(EC2Client, c, 8);
    for (let i = 0; i < 4; i += 1) await expect(gate.send(describeConnections)).resolves.toBeDefined();
    expect(c.faults?.total).toBeGreaterThan(0);
  });
});

describe('DynamoDB, SNS and EventBridge faults', () => {
  it('dynamodb.error=1: ThrottlingException or a 500', async () => {
    const c = await faultyCloud({ 'dynamodb.error': 1 });
    const names = new Set<string>();
    for (let i = 0; i < 8; i += 1)
      names.add((await awsError(asGate(DynamoDBClient, c).send(new ListTablesCommand({})))).name);
    expect([...names].sort()).toEqual(['InternalServerError', 'ThrottlingException']);
  });

  it('sns.error=1 and events.error=1: the publish and the put fail with a 500', async () => {
    const c = await faultyCloud({ 'sns.error': 1, 'events.error': 1 });
    const topicArn = c.sns.createTopic('decisions');
    const sns = await awsError(
      asGate(SNSClient, c).send(new PublishCommand({ TopicArn: topicArn, Message: 'x' })),
    );
    expect(sns.$metadata?.httpStatusCode).toBe(500);
    const events = await awsError(
      asGate(EventBridgeClient, c).send(
        new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] }),
      ),
    );
    expect(events.name).toBe('InternalException');
    expect(c.sns.messages()).toHaveLength(0);
  });
});

/** A service with a connection notification to `topic`, and `count` endpoints asking to connect. */
async function notifyingService(c: LocalCloud, count: number): Promise<string> {
  const provider = ec2For(c);
  clients.push(provider);
  const topicArn = c.sns.createTopic('ingest');
  const created = await provider.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      AcceptanceRequired: true,
      NetworkLoadBalancerArns: [NLB_ARN],
    }),
  );
  const serviceId = created.ServiceConfiguration?.ServiceId ?? '';
  await provider.send(
    new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: serviceId, AddAllowedPrincipals: ['*'] }),
  );
  await provider.send(
    new CreateVpcEndpointConnectionNotificationCommand({
      ServiceId: serviceId,
      ConnectionNotificationArn: topicArn,
      ConnectionEvents: ['Connect', 'Accept', 'Reject', 'Delete'],
    }),
  );
  const consumer = ec2For(c, '111111111111');
  clients.push(consumer);
  for (let i = 0; i < count; i += 1) {
    await consumer.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: 'vpc-0123456789abcdef0',
        SubnetIds: ['subnet-0123456789abcdef0'],
        ServiceName: `com.amazonaws.vpce.${c.region}.${serviceId}`,
      }),
    );
  }
  return topicArn;
}

const endpointsIn = (c: LocalCloud, topicArn: string): string[] =>
  c.sns
    .messages()
    .filter((m) => m.topicArn === topicArn)
    .map((m) => String((JSON.parse(m.message) as { VpcEndpointId: string }).VpcEndpointId));

describe('connection notification faults', () => {
  it('notify.drop=1: no notification arrives', async () => {
    const c = await faultyCloud({ 'notify.drop': 1 });
    const topic = await notifyingService(c, 3);
    await c.settle();
    expect(endpointsIn(c, topic)).toEqual([]);
    expect(c.faults?.injected['notify.drop']).toBe(3);
  });

  it('notify.duplicate=1: every notification arrives twice', async () => {
    const c = await faultyCloud({ 'notify.duplicate': 1 });
    const topic = await notifyingService(c, 2);
    await c.settle();
    const [a, b] = [...new Set(endpointsIn(c, topic))];
    expect(endpointsIn(c, topic)).toEqual([a, a, b, b]);
  });

  it('notify.delay=1: every notification is held back on a timer, and arrives', async () => {
    const c = await faultyCloud({ 'notify.delay': 1 });
    const topic = await notifyingService(c, 3);
    await c.settle();
    expect(endpointsIn(c, topic)).toHaveLength(3);
    expect(c.faults?.injected['notify.delay']).toBe(3);
  });

  it('notify.reorder=0.5: a held notification is overtaken by the next one', async () => {
    const c = await faultyCloud({ 'notify.reorder': 0.5 });
    const provider = ec2For(c);
    clients.push(provider);
    const topic = await notifyingService(c, 12);
    await c.settle();
    const arrived = endpointsIn(c, topic);
    const { VpcEndpointConnections = [] } = await provider.send(describeConnections);
    const created = [...VpcEndpointConnections]
      .sort((x, y) => (x.CreationTimestamp?.getTime() ?? 0) - (y.CreationTimestamp?.getTime() ?? 0))
      .map((x) => x.VpcEndpointId);
    expect([...arrived].sort()).toEqual([...created].sort());
    expect(arrived).not.toEqual(created);
  });
});

describe('Lambda crashes', () => {
  it("lambda.crash=1: the deployed ingest function's invocation dies, is retried, then given up", async () => {
    world = await startLocalGate(undefined, { faults: { rates: { 'lambda.crash': 1 }, seed: 1 } });
    const c = world.cloud;
    const vpce = new SNSClient({
      endpoint: c.endpoint,
      region: c.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    clients.push(vpce);
    await vpce.send(new PublishCommand({ TopicArn: world.gate.config.ingestTopicArn, Message: '{}' }));
    await c.settle();
    const ingest = world.gate.functionNames.ingest;
    // SNS invokes asynchronously: the first attempt and Lambda's two retries all die.
    expect(c.logs.filter((line) => line.startsWith(`${ingest}: LambdaCrashError:`))).toHaveLength(3);
    expect(
      c.logs.some((line) => line.includes(`of ${ingest} failed (Runtime.ExitError), retry 2 of 2`)),
    ).toBe(true);
    expect(c.faults?.injected['lambda.crash']).toBeGreaterThanOrEqual(3);
  }, 120_000);
});
