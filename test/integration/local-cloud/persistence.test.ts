/**
 * `--data DIR` keeps everything across a restart: endpoint services, permissions,
 * endpoints and their connections, connection notifications, tags, topics with their
 * policies and attributes, subscriptions, buses and the counter that orders resources;
 * one cloud per directory. A version-1 state file still loads.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointConnectionNotificationCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DeleteVpcEndpointsCommand,
  DescribeTagsCommand,
  DescribeVpcEndpointConnectionNotificationsCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  DescribeVpcEndpointsCommand,
  ModifyVpcEndpointConnectionNotificationCommand,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import { CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateTopicCommand,
  ListTopicsCommand,
  PublishCommand,
  SetTopicAttributesCommand,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE } from '../../../local/data-lock.ts';
import { STATE_FILE, STATE_VERSION, StateFileError } from '../../../local/state-file.ts';
import { runAws } from '../../support/aws-cli.ts';
import {
  awsError,
  CONSUMER_A,
  CONSUMER_B,
  ec2For,
  eventsFor,
  NLB_ARN,
  PROVIDER_ACCOUNT,
  PROVIDER_KEY,
  snsFor,
  startTestCloud,
} from '../../support/local-cloud.ts';

const MANAGED = { Key: 'privatelink-gate:managed', Value: 'true' };

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'plgate-persist-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

/** A topic policy that lets CONSUMER_A publish, besides the owner. */
const publishPolicy = (topicArn: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'ConsumerPublishes',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${CONSUMER_A}:root` },
      Action: 'sns:Publish',
      Resource: topicArn,
    },
  ],
});

/** A provider's service with a consumer's endpoints on it, in every interesting state. */
async function buildWorld(cloud: Awaited<ReturnType<typeof startTestCloud>>) {
  const provider = ec2For(cloud);
  const consumer = ec2For(cloud, CONSUMER_A);
  const created = await provider.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      AcceptanceRequired: true,
      NetworkLoadBalancerArns: [NLB_ARN],
      TagSpecifications: [
        { ResourceType: 'vpc-endpoint-service', Tags: [MANAGED, { Key: 'team', Value: 'net' }] },
      ],
    }),
  );
  const serviceId = created.ServiceConfiguration?.ServiceId ?? '';
  const serviceName = created.ServiceConfiguration?.ServiceName ?? '';
  await provider.send(
    new ModifyVpcEndpointServicePermissionsCommand({
      ServiceId: serviceId,
      AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER_A}:root`],
    }),
  );
  const topic = await snsFor(cloud).send(new CreateTopicCommand({ Name: 'ingest' }));
  const notification = await provider.send(
    new CreateVpcEndpointConnectionNotificationCommand({
      ServiceId: serviceId,
      ConnectionNotificationArn: topic.TopicArn,
      ConnectionEvents: ['Connect', 'Accept', 'Reject', 'Delete'],
    }),
  );
  const endpoint = async (name: string) => {
    const made = await consumer.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: 'vpc-0123456789abcdef0',
        ServiceName: serviceName,
        SubnetIds: ['subnet-0123456789abcdef0'],
        TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [{ Key: 'name', Value: name }] }],
      }),
    );
    return made.VpcEndpoint?.VpcEndpointId ?? '';
  };
  // The topic's policy lets one consumer account publish; an e-mail waits for confirmation; a bus of its own.
  const alerts = await snsFor(cloud).send(new CreateTopicCommand({ Name: 'alerts' }));
  const alertsArn = alerts.TopicArn ?? '';
  await snsFor(cloud).send(
    new SetTopicAttributesCommand({
      TopicArn: alertsArn,
      AttributeName: 'Policy',
      AttributeValue: JSON.stringify(publishPolicy(alertsArn)),
    }),
  );
  await snsFor(cloud).send(
    new SetTopicAttributesCommand({
      TopicArn: alertsArn,
      AttributeName: 'DisplayName',
      AttributeValue: 'Alerts',
    }),
  );
  await snsFor(cloud).send(
    new SubscribeCommand({ TopicArn: alertsArn, Protocol: 'email', Endpoint: 'ops@example.com' }),
  );
  await eventsFor(cloud).send(new CreateEventBusCommand({ Name: 'orders' }));
  const waiting = await endpoint('waiting');
  const accepted = await endpoint('accepted');
  const deleted = await endpoint('deleted');
  await provider.send(
    new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [accepted] }),
  );
  await consumer.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [deleted] }));
  return {
    serviceId,
    alertsArn,
    topicArn: topic.TopicArn ?? '',
    notificationId: notification.ConnectionNotification?.ConnectionNotificationId ?? '',
    waiting,
    accepted,
    deleted,
  };
}

describe('--data keeps the local cloud across a restart', () => {
  it('keeps services, permissions, endpoints, connections, notifications, tags, topics, subscriptions and buses', async () => {
    const first = await startTestCloud({ dataDir });
    const world = await buildWorld(first);
    await first.stop();
    expect(existsSync(join(dataDir, STATE_FILE))).toBe(true);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    const second = await startTestCloud({ dataDir });
    try {
      const provider = ec2For(second);
      const services = await provider.send(new DescribeVpcEndpointServiceConfigurationsCommand({}));
      expect(services.ServiceConfigurations?.map((service) => service.ServiceId)).toEqual([world.serviceId]);
      expect(services.ServiceConfigurations?.[0]?.Tags).toEqual([MANAGED, { Key: 'team', Value: 'net' }]);
      const permissions = await provider.send(
        new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: world.serviceId }),
      );
      expect(permissions.AllowedPrincipals?.map((principal) => principal.Principal)).toEqual([
        `arn:aws:iam::${CONSUMER_A}:root`,
      ]);
      const notifications = await provider.send(new DescribeVpcEndpointConnectionNotificationsCommand({}));
      expect(notifications.ConnectionNotificationSet).toMatchObject([
        {
          ConnectionNotificationId: world.notificationId,
          ServiceId: world.serviceId,
          ConnectionNotificationArn: world.topicArn,
        },
      ]);
      const topics = await snsFor(second).send(new ListTopicsCommand({}));
      expect(topics.Topics?.map((topic) => topic.TopicArn)).toContain(world.topicArn);
      // The topic's policy and attributes, its subscription and the bus, read back with the AWS CLI.
      const cli = { endpoint: second.endpoint, accessKeyId: PROVIDER_KEY };
      const attributes = (await runAws(cli, [
        'sns',
        'get-topic-attributes',
        '--topic-arn',
        world.alertsArn,
      ])) as {
        Attributes: Record<string, string>;
      };
      expect(JSON.parse(attributes.Attributes.Policy ?? '{}')).toEqual(publishPolicy(world.alertsArn));
      expect(attributes.Attributes.DisplayName).toBe('Alerts');
      const subscriptions = (await runAws(cli, [
        'sns',
        'list-subscriptions-by-topic',
        '--topic-arn',
        world.alertsArn,
      ])) as { Subscriptions: Array<{ Protocol: string; Endpoint: string; SubscriptionArn: string }> };
      expect(subscriptions.Subscriptions).toEqual([
        expect.objectContaining({
          Protocol: 'email',
          Endpoint: 'ops@example.com',
          SubscriptionArn: 'PendingConfirmation',
        }),
      ]);
      const buses = (await runAws(cli, ['events', 'list-event-buses'])) as {
        EventBuses: Array<{ Name: string }>;
      };
      expect(buses.EventBuses.map((bus) => bus.Name)).toEqual(['default', 'orders']);
      // The kept policy still decides: the consumer it names may publish, another may not.
      const message = { TopicArn: world.alertsArn, Message: 'after the restart' };
      await expect(snsFor(second, CONSUMER_A).send(new PublishCommand(message))).resolves.toBeDefined();
      expect((await awsError(snsFor(second, CONSUMER_B).send(new PublishCommand(message)))).name).toBe(
        'AuthorizationErrorException',
      );
      // What was under way carries on: pending becomes available, deleting becomes deleted.
      await second.settle();
      const connections = await provider.send(new DescribeVpcEndpointConnectionsCommand({}));
      const states = Object.fromEntries(
        (connections.VpcEndpointConnections ?? []).map((c) => [c.VpcEndpointId, c.VpcEndpointState]),
      );
      expect(states).toEqual({
        [world.waiting]: 'pendingAcceptance',
        [world.accepted]: 'available',
        [world.deleted]: 'deleted',
      });
      const consumerView = await ec2For(second, CONSUMER_A).send(new DescribeVpcEndpointsCommand({}));
      expect(consumerView.VpcEndpoints?.find((e) => e.VpcEndpointId === world.waiting)?.Tags).toEqual([
        { Key: 'name', Value: 'waiting' },
      ]);
      const tags = await provider.send(new DescribeTagsCommand({}));
      expect(tags.Tags?.map((tag) => [tag.ResourceId, tag.Key])).toEqual([
        [world.serviceId, MANAGED.Key],
        [world.serviceId, 'team'],
      ]);
      // The AWS CLI, an independent client, sees the same.
      const pendingByCli = (await runAws(cli, [
        'ec2',
        'describe-vpc-endpoint-connections',
        '--filters',
        'Name=vpc-endpoint-state,Values=pendingAcceptance',
      ])) as { VpcEndpointConnections: Array<{ VpcEndpointId: string; ServiceId: string }> };
      expect(pendingByCli.VpcEndpointConnections).toMatchObject([
        { VpcEndpointId: world.waiting, ServiceId: world.serviceId },
      ]);
      // The order of resources carries on: a new service comes after the kept one.
      const later = await provider.send(
        new CreateVpcEndpointServiceConfigurationCommand({ NetworkLoadBalancerArns: [NLB_ARN] }),
      );
      const paged = await provider.send(
        new DescribeVpcEndpointServiceConfigurationsCommand({ MaxResults: 5 }),
      );
      expect(paged.ServiceConfigurations?.map((service) => service.ServiceId)).toEqual([
        world.serviceId,
        later.ServiceConfiguration?.ServiceId,
      ]);
    } finally {
      await second.stop();
    }
  }, 180_000);

  it('keeps a notification as it was last modified', async () => {
    const first = await startTestCloud({ dataDir });
    const topics = snsFor(first);
    const service = await ec2For(first).send(
      new CreateVpcEndpointServiceConfigurationCommand({ NetworkLoadBalancerArns: [NLB_ARN] }),
    );
    const before = await topics.send(new CreateTopicCommand({ Name: 'before' }));
    const after = await topics.send(new CreateTopicCommand({ Name: 'after' }));
    const created = await ec2For(first).send(
      new CreateVpcEndpointConnectionNotificationCommand({
        ServiceId: service.ServiceConfiguration?.ServiceId,
        ConnectionNotificationArn: before.TopicArn,
        ConnectionEvents: ['Connect'],
      }),
    );
    const notificationId = created.ConnectionNotification?.ConnectionNotificationId ?? '';
    const modified = await ec2For(first).send(
      new ModifyVpcEndpointConnectionNotificationCommand({
        ConnectionNotificationId: notificationId,
        ConnectionNotificationArn: after.TopicArn,
        ConnectionEvents: ['Connect', 'Reject'],
      }),
    );
    expect(modified.ReturnValue).toBe(true);
    await first.stop();

    const second = await startTestCloud({ dataDir });
    try {
      const described = await ec2For(second).send(
        new DescribeVpcEndpointConnectionNotificationsCommand({ ConnectionNotificationId: notificationId }),
      );
      expect(described.ConnectionNotificationSet).toMatchObject([
        { ConnectionNotificationArn: after.TopicArn, ConnectionEvents: ['Connect', 'Reject'] },
      ]);
    } finally {
      await second.stop();
    }
  });

  it('writes state while it runs, not only at shutdown (a crash loses at most the last moments)', async () => {
    const cloud = await startTestCloud({ dataDir, saveDelayMs: 10 });
    try {
      await snsFor(cloud).send(new CreateTopicCommand({ Name: 'written-early' }));
      const path = join(dataDir, STATE_FILE);
      await expect
        .poll(() => (existsSync(path) ? readFileSync(path, 'utf8') : ''), { timeout: 10_000 })
        .toContain('written-early');
    } finally {
      await cloud.stop();
    }
  });

  it('refuses a second cloud on the same directory, and takes over a lock left by a dead process', async () => {
    const first = await startTestCloud({ dataDir });
    try {
      await expect(startTestCloud({ dataDir })).rejects.toThrow(DataDirLockedError);
      await expect(startTestCloud({ dataDir })).rejects.toThrow(
        `in use by another plgate local (pid ${process.pid})`,
      );
    } finally {
      await first.stop();
    }
    // A pid that cannot be running (beyond the kernel's pid range).
    writeFileSync(join(dataDir, LOCK_FILE), '4194305\n');
    const second = await startTestCloud({ dataDir });
    try {
      expect(readFileSync(join(dataDir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
      expect(second.logs.join('\n')).toContain('took over');
    } finally {
      await second.stop();
    }
  });

  it('loads a version-1 state file (topics without settings, no subscriptions or buses)', async () => {
    const topicArn = `arn:aws:sns:us-east-1:${PROVIDER_ACCOUNT}:from-version-1`;
    const empty = { seq: 7, services: [], endpoints: [], notifications: [], notificationTokens: [] };
    writeFileSync(
      join(dataDir, STATE_FILE),
      JSON.stringify({ format: 'plgate-local-state', version: 1, ec2: empty, sns: { topics: [topicArn] } }),
    );
    const cloud = await startTestCloud({ dataDir });
    try {
      const topics = await snsFor(cloud).send(new ListTopicsCommand({}));
      expect(topics.Topics?.map((topic) => topic.TopicArn)).toEqual([topicArn]);
      const attributes = (await runAws({ endpoint: cloud.endpoint, accessKeyId: PROVIDER_KEY }, [
        'sns',
        'get-topic-attributes',
        '--topic-arn',
        topicArn,
      ])) as { Attributes: Record<string, string> };
      expect(attributes.Attributes.Owner).toBe(PROVIDER_ACCOUNT);
      await eventsFor(cloud).send(new CreateEventBusCommand({ Name: 'after-upgrade' }));
    } finally {
      await cloud.stop();
    }
    // Saved again in the current version, with what the upgraded cloud added.
    const saved = JSON.parse(readFileSync(join(dataDir, STATE_FILE), 'utf8'));
    expect(saved.version).toBe(STATE_VERSION);
    expect(saved.sns.topics).toEqual([{ arn: topicArn }]);
    // Buses are kept per account and region (a bus saved as `account/name` before is read as the provider region's).
    expect(saved.events.buses).toEqual([`${PROVIDER_ACCOUNT}/us-east-1/after-upgrade`]);
  }, 180_000);

  it('refuses a state file of an unknown version, naming the versions it reads', async () => {
    const unknown = STATE_VERSION + 1;
    writeFileSync(
      join(dataDir, STATE_FILE),
      JSON.stringify({ format: 'plgate-local-state', version: unknown }),
    );
    const error = await startTestCloud({ dataDir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateFileError);
    expect(String(error)).toContain(`version ${unknown} is not 1, 2 or ${STATE_VERSION}`);
  });

  it('refuses a state file it cannot read, naming it, rather than starting empty', async () => {
    writeFileSync(join(dataDir, STATE_FILE), '{ not json');
    const error = await startTestCloud({ dataDir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateFileError);
    expect(String(error)).toContain(join(dataDir, STATE_FILE));
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });
});
