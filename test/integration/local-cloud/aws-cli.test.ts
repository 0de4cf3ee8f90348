/**
 * The AWS CLI, an independent client written in Python, walks the main
 * lifecycle against the local cloud: if it parses our answers, other clients will.
 */
import {
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../local/cloud.ts';
import { AwsCliError, awsCliVersion, runAws } from '../../support/aws-cli.ts';
import {
  CONSUMER_A,
  CONSUMER_B,
  ec2For,
  NLB_ARN,
  PROVIDER_ACCOUNT,
  STRANGER,
  startTestCloud,
} from '../../support/local-cloud.ts';

const version = awsCliVersion();

if (version === undefined) {
  if (process.env.CI === 'true') {
    it('needs the AWS CLI on PATH', () => {
      throw new Error(
        'the aws CLI is not installed: install it (pip install awscli) to run the local-cloud CLI tests',
      );
    });
  } else {
    console.warn(
      '\n*** aws CLI not found on PATH: the AWS CLI lifecycle tests are SKIPPED (they fail when CI=true) ***\n',
    );
  }
}

/** Reads a path of keys out of the CLI's parsed JSON, failing loudly when it is not there. */
function field(value: unknown, ...path: Array<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null)
      throw new Error(`no ${path.join('.')} in ${JSON.stringify(value)}`);
    current = new Map(Object.entries(current)).get(String(key));
  }
  return current;
}

function list(value: unknown, ...path: Array<string | number>): unknown[] {
  const found = field(value, ...path);
  if (!Array.isArray(found)) throw new Error(`${path.join('.')} is not a list in ${JSON.stringify(value)}`);
  return found;
}

describe.runIf(version !== undefined)(`AWS CLI (${version ?? 'missing'}) against plgate local`, () => {
  let cloud: LocalCloud;
  const as = (accessKeyId: string) => ({ endpoint: cloud.endpoint, accessKeyId });
  const provider = () => as('test');

  beforeAll(async () => {
    cloud = await startTestCloud();
  });
  afterAll(async () => {
    await cloud.stop();
  });

  it('walks a connection request from service to deletion', async () => {
    const created = await runAws(provider(), [
      'ec2',
      'create-vpc-endpoint-service-configuration',
      '--acceptance-required',
      '--network-load-balancer-arns',
      NLB_ARN,
      '--tag-specifications',
      'ResourceType=vpc-endpoint-service,Tags=[{Key=privatelink-gate:managed,Value=true}]',
    ]);
    const serviceId = String(field(created, 'ServiceConfiguration', 'ServiceId'));
    const serviceName = String(field(created, 'ServiceConfiguration', 'ServiceName'));
    expect(serviceId).toMatch(/^vpce-svc-[0-9a-f]{17}$/);

    const [managed, topic] = await Promise.all([
      runAws(provider(), [
        'ec2',
        'describe-vpc-endpoint-service-configurations',
        '--filters',
        'Name=tag:privatelink-gate:managed,Values=true',
      ]),
      runAws(provider(), ['sns', 'create-topic', '--name', 'ingest']),
    ]);
    expect(list(managed, 'ServiceConfigurations').map((service) => field(service, 'ServiceId'))).toEqual([
      serviceId,
    ]);
    const topicArn = String(field(topic, 'TopicArn'));
    expect(topicArn).toBe(`arn:aws:sns:us-east-1:${PROVIDER_ACCOUNT}:ingest`);
    const [notification, permissions] = await Promise.all([
      runAws(provider(), [
        'ec2',
        'create-vpc-endpoint-connection-notification',
        '--service-id',
        serviceId,
        '--connection-notification-arn',
        topicArn,
        '--connection-events',
        'Connect',
        'Accept',
        'Reject',
        'Delete',
      ]),
      runAws(provider(), [
        'ec2',
        'modify-vpc-endpoint-service-permissions',
        '--service-id',
        serviceId,
        '--add-allowed-principals',
        `arn:aws:iam::${CONSUMER_A}:root`,
        `arn:aws:iam::${CONSUMER_B}:root`,
      ]),
    ]);
    expect(field(notification, 'ConnectionNotification', 'ConnectionNotificationState')).toBe('Enabled');
    expect(field(permissions, 'ReturnValue')).toBe(true);

    const createEndpoint = (account: string, tags: string) =>
      runAws(as(account), [
        'ec2',
        'create-vpc-endpoint',
        '--vpc-endpoint-type',
        'Interface',
        '--vpc-id',
        'vpc-0a1b2c3d4e5f60718',
        '--service-name',
        serviceName,
        '--subnet-ids',
        'subnet-0a1b2c3d4e5f60718',
        '--tag-specifications',
        `ResourceType=vpc-endpoint,Tags=[${tags}]`,
      ]);
    const [first, refused] = await Promise.all([
      createEndpoint(CONSUMER_A, '{Key=env,Value=prod}'),
      createEndpoint(STRANGER, '{Key=env,Value=dev}').then(
        () => undefined,
        (error: unknown) => error,
      ),
    ]);
    const second = await createEndpoint(CONSUMER_B, '{Key=env,Value=test}');
    const endpointA = String(field(first, 'VpcEndpoint', 'VpcEndpointId'));
    const endpointB = String(field(second, 'VpcEndpoint', 'VpcEndpointId'));
    expect(field(first, 'VpcEndpoint', 'State')).toBe('pendingAcceptance');
    expect(refused).toBeInstanceOf(AwsCliError);
    expect(refused instanceof AwsCliError ? refused.stderr : '').toContain('InvalidServiceName');

    const waiting = await runAws(provider(), [
      'ec2',
      'describe-vpc-endpoint-connections',
      '--filters',
      `Name=service-id,Values=${serviceId}`,
      'Name=vpc-endpoint-state,Values=pendingAcceptance',
    ]);
    const connections = list(waiting, 'VpcEndpointConnections');
    expect(
      connections.map((connection) => [
        field(connection, 'VpcEndpointId'),
        field(connection, 'VpcEndpointOwner'),
      ]),
    ).toEqual([
      [endpointA, CONSUMER_A],
      [endpointB, CONSUMER_B],
    ]);
    expect(field(connections[0], 'Tags')).toEqual([{ Key: 'env', Value: 'prod' }]);
    expect(String(field(connections[0], 'CreationTimestamp'))).toMatch(/^\d{4}-\d\d-\d\dT/);

    const accepted = await runAws(provider(), [
      'ec2',
      'accept-vpc-endpoint-connections',
      '--service-id',
      serviceId,
      '--vpc-endpoint-ids',
      endpointA,
      'vpce-0123456789abcdef0',
    ]);
    expect(list(accepted, 'Unsuccessful').map((item) => field(item, 'Error', 'Code'))).toEqual([
      'InvalidVpcEndpointId.NotFound',
    ]);
    const rejected = await runAws(provider(), [
      'ec2',
      'reject-vpc-endpoint-connections',
      '--service-id',
      serviceId,
      '--vpc-endpoint-ids',
      endpointB,
    ]);
    expect(list(rejected, 'Unsuccessful')).toEqual([]);
    await cloud.idle();
    const decided = await runAws(provider(), [
      'ec2',
      'describe-vpc-endpoint-connections',
      '--filters',
      `Name=service-id,Values=${serviceId}`,
    ]);
    expect(
      list(decided, 'VpcEndpointConnections').map((connection) => [
        field(connection, 'VpcEndpointId'),
        field(connection, 'VpcEndpointState'),
      ]),
    ).toEqual([
      [endpointA, 'available'],
      [endpointB, 'rejected'],
    ]);

    const deleted = await runAws(as(CONSUMER_A), [
      'ec2',
      'delete-vpc-endpoints',
      '--vpc-endpoint-ids',
      endpointA,
    ]);
    expect(list(deleted, 'Unsuccessful')).toEqual([]);
    await cloud.idle();
    const mine = await runAws(as(CONSUMER_A), [
      'ec2',
      'describe-vpc-endpoints',
      '--vpc-endpoint-ids',
      endpointA,
    ]);
    expect(field(mine, 'VpcEndpoints', 0, 'State')).toBe('deleted');

    const notified = cloud.sns
      .messages()
      .filter((message) => message.topicArn === topicArn)
      .map((message) => {
        const body: unknown = JSON.parse(message.message);
        return [field(body, 'ConnectionEvent'), field(body, 'VpcEndpointId')];
      });
    expect(notified).toEqual([
      ['Connect', endpointA],
      ['Connect', endpointB],
      ['Accept', endpointA],
      ['Reject', endpointB],
      ['Delete', endpointA],
    ]);
  }, 120_000);

  it('pages connections with and without --max-results', async () => {
    const ec2 = ec2For(cloud);
    const service = await ec2.send(
      new CreateVpcEndpointServiceConfigurationCommand({ NetworkLoadBalancerArns: [NLB_ARN] }),
    );
    const serviceId = service.ServiceConfiguration?.ServiceId ?? '';
    await ec2.send(
      new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: serviceId, AddAllowedPrincipals: ['*'] }),
    );
    const created: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const endpoint = await ec2For(cloud, CONSUMER_A).send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Interface',
          VpcId: 'vpc-0a1b2c3d4e5f60718',
          ServiceName: service.ServiceConfiguration?.ServiceName,
        }),
      );
      created.push(endpoint.VpcEndpoint?.VpcEndpointId ?? '');
    }
    const filter = ['--filters', `Name=service-id,Values=${serviceId}`];
    const ids = (page: unknown) =>
      list(page, 'VpcEndpointConnections').map((connection) => field(connection, 'VpcEndpointId'));
    const [all, firstPage] = await Promise.all([
      runAws(provider(), ['ec2', 'describe-vpc-endpoint-connections', ...filter]),
      runAws(provider(), ['ec2', 'describe-vpc-endpoint-connections', ...filter, '--max-results', '5']),
    ]);
    expect(ids(all)).toEqual(created);
    expect(ids(firstPage)).toEqual(created.slice(0, 5));
    const nextToken = String(field(firstPage, 'NextToken'));
    const secondPage = await runAws(provider(), [
      'ec2',
      'describe-vpc-endpoint-connections',
      ...filter,
      '--max-results',
      '5',
      '--next-token',
      nextToken,
    ]);
    expect(ids(secondPage)).toEqual(created.slice(5));
    expect(field(secondPage, 'NextToken')).toBeUndefined();
    const tooSmall = await runAws(provider(), [
      'ec2',
      'describe-vpc-endpoint-connections',
      '--max-results',
      '2',
    ]).catch((error: unknown) => error);
    expect(tooSmall instanceof AwsCliError ? tooSmall.stderr : '').toContain('InvalidParameterValue');
  });
});
