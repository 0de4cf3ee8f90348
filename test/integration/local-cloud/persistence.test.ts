/**
 * `--data DIR` keeps everything across a restart: endpoint services, permissions,
 * endpoints and their connections, connection notifications, tags, topics and the
 * counter that orders resources; one cloud per directory.
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
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import { CreateTopicCommand, ListTopicsCommand } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE } from '../../../local/data-lock.ts';
import { STATE_FILE, StateFileError } from '../../../local/state-file.ts';
import { runAws } from '../../support/aws-cli.ts';
import {
  CONSUMER_A,
  ec2For,
  NLB_ARN,
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
  const waiting = await endpoint('waiting');
  const accepted = await endpoint('accepted');
  const deleted = await endpoint('deleted');
  await provider.send(
    new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [accepted] }),
  );
  await consumer.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [deleted] }));
  return {
    serviceId,
    topicArn: topic.TopicArn ?? '',
    notificationId: notification.ConnectionNotification?.ConnectionNotificationId ?? '',
    waiting,
    accepted,
    deleted,
  };
}

describe('--data keeps the local cloud across a restart', () => {
  it('keeps services, permissions, endpoints, connections, notifications, tags and topics', async () => {
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
      const cli = (await runAws({ endpoint: second.endpoint, accessKeyId: PROVIDER_KEY }, [
        'ec2',
        'describe-vpc-endpoint-connections',
        '--filters',
        'Name=vpc-endpoint-state,Values=pendingAcceptance',
      ])) as { VpcEndpointConnections: Array<{ VpcEndpointId: string; ServiceId: string }> };
      expect(cli.VpcEndpointConnections).toMatchObject([
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

  it('refuses a state file it cannot read, naming it, rather than starting empty', async () => {
    writeFileSync(join(dataDir, STATE_FILE), '{ not json');
    const error = await startTestCloud({ dataDir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateFileError);
    expect(String(error)).toContain(join(dataDir, STATE_FILE));
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });
});
