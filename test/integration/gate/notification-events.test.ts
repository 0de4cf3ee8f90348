/**
 * Enrollment repairs a connection notification that misses events: the sweep calls
 * `ModifyVpcEndpointConnectionNotification` on the local cloud, and the AWS CLI, an
 * independent client, reads the result back and calls the same action itself.
 */
import {
  CreateVpcEndpointConnectionNotificationCommand,
  DescribeVpcEndpointConnectionNotificationsCommand,
} from '@aws-sdk/client-ec2';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsCliError, awsCliVersion, runAws } from '../../support/aws-cli.ts';
import { PROVIDER_KEY, snsFor } from '../../support/local-cloud.ts';
import {
  createService,
  ENFORCING_DEFAULTS,
  type LocalGateWorld,
  settle,
  startLocalGate,
} from '../../support/local-gate.ts';

const version = awsCliVersion();

if (version === undefined) {
  if (process.env.CI === 'true') {
    it('needs the AWS CLI on PATH', () => {
      throw new Error('the aws CLI is not installed: install it (pip install awscli) to run these tests');
    });
  } else {
    console.warn(
      '\n*** aws CLI not found on PATH: the notification repair tests are SKIPPED (they fail when CI=true) ***\n',
    );
  }
}

interface CliNotification {
  ConnectionNotificationId: string;
  ConnectionNotificationArn: string;
  ConnectionEvents: string[];
  ServiceId?: string;
}

describe.runIf(version !== undefined)('connection notification events on the local cloud', () => {
  let world: LocalGateWorld;
  const cli = () => ({ endpoint: world.cloud.endpoint, accessKeyId: PROVIDER_KEY });

  beforeAll(async () => {
    world = await startLocalGate();
    await world.rules.putItems([ENFORCING_DEFAULTS]);
    await settle(world);
  });
  afterAll(async () => {
    await world?.stop();
  });

  /** The service's notifications as the SDK reads them (the AWS CLI's own read is in the first test). */
  async function notificationsOf(serviceId: string): Promise<CliNotification[]> {
    const out = await world.provider.send(
      new DescribeVpcEndpointConnectionNotificationsCommand({
        Filters: [{ Name: 'service-id', Values: [serviceId] }],
      }),
    );
    return (out.ConnectionNotificationSet ?? []) as CliNotification[];
  }

  async function notificationsByCli(serviceId: string): Promise<CliNotification[]> {
    const out = (await runAws(cli(), [
      'ec2',
      'describe-vpc-endpoint-connection-notifications',
      '--filters',
      `Name=service-id,Values=${serviceId}`,
    ])) as { ConnectionNotificationSet: CliNotification[] };
    return out.ConnectionNotificationSet;
  }

  /** Who called ModifyVpcEndpointConnectionNotification on the notification, in order, by CloudTrail. */
  function modifiedBy(notificationId: string): string[] {
    return world.cloud.events
      .events('default')
      .map(
        (event) =>
          event.detail as {
            eventName?: string;
            requestParameters?: unknown;
            userIdentity?: { arn?: string };
          },
      )
      .filter(
        (detail) =>
          detail.eventName === 'ModifyVpcEndpointConnectionNotification' &&
          JSON.stringify(detail.requestParameters).includes(notificationId),
      )
      .map((detail) => detail.userIdentity?.arn ?? '');
  }

  /** A notification of Connect only to the ingest topic, made with the SDK: the setup, not the point. */
  async function notificationOn(serviceId: string): Promise<string> {
    const created = await world.provider.send(
      new CreateVpcEndpointConnectionNotificationCommand({
        ServiceId: serviceId,
        ConnectionNotificationArn: world.gate.config.ingestTopicArn,
        ConnectionEvents: ['Connect'],
      }),
    );
    return created.ConnectionNotification?.ConnectionNotificationId ?? '';
  }

  async function cliError(args: string[]): Promise<AwsCliError> {
    try {
      await runAws(cli(), args);
    } catch (error) {
      if (error instanceof AwsCliError) return error;
      throw error;
    }
    throw new Error(`aws ${args.join(' ')} succeeded`);
  }

  it('the sweep adds the events a managed service notification lacks, keeping its id', async () => {
    // Creating a managed service enrolls it (CloudTrail): one notification with every event.
    const serviceId = await createService(world.provider);
    await settle(world);
    const ingestTopicArn = world.gate.config.ingestTopicArn;
    const enrolled = await notificationsByCli(serviceId);
    expect(enrolled.map((n) => n.ConnectionNotificationArn)).toEqual([ingestTopicArn]);
    const id = enrolled[0]?.ConnectionNotificationId ?? '';
    // Someone narrows it by hand.
    await runAws(cli(), [
      'ec2',
      'modify-vpc-endpoint-connection-notification',
      '--connection-notification-id',
      id,
      '--connection-events',
      'Connect',
    ]);
    expect((await notificationsOf(serviceId)).map((n) => n.ConnectionEvents)).toEqual([['Connect']]);

    await world.gate.sweepNow();
    await settle(world);

    const after = await notificationsOf(serviceId);
    expect(after.map((n) => [n.ConnectionNotificationId, n.ConnectionNotificationArn])).toEqual([
      [id, ingestTopicArn],
    ]);
    expect([...(after[0]?.ConnectionEvents ?? [])].sort()).toEqual(['Accept', 'Connect', 'Delete', 'Reject']);
    // CloudTrail names who changed it: the provider by hand, then the sweep's role (the
    // template's, as deployed); a second sweep leaves it.
    const sweepRole = world.cloud.registry.lambda
      .functions()
      .find((f) => f.name === world.gate.functionNames.sweep)
      ?.role.split('/')
      .pop();
    expect(sweepRole).toBeDefined();
    expect(modifiedBy(id)).toEqual([
      expect.stringMatching(/:user\//),
      expect.stringContaining(`:assumed-role/${sweepRole}/`),
    ]);
    await world.gate.sweepNow();
    await settle(world);
    expect(modifiedBy(id)).toHaveLength(2);
  });

  it('the AWS CLI modifies a notification: events, topic, or both; ReturnValue true', async () => {
    const serviceId = await createService(world.provider, { managed: false });
    const sns = snsFor(world.cloud);
    const topic = {
      TopicArn: (await sns.send(new CreateTopicCommand({ Name: 'cli-modified' }))).TopicArn ?? '',
    };
    sns.destroy();
    const id = await notificationOn(serviceId);

    const events = await runAws(cli(), [
      'ec2',
      'modify-vpc-endpoint-connection-notification',
      '--connection-notification-id',
      id,
      '--connection-events',
      'Accept',
      'Reject',
    ]);
    expect(events).toEqual({ ReturnValue: true });
    expect(await notificationsOf(serviceId)).toMatchObject([
      { ConnectionNotificationArn: world.gate.config.ingestTopicArn, ConnectionEvents: ['Accept', 'Reject'] },
    ]);

    const moved = await runAws(cli(), [
      'ec2',
      'modify-vpc-endpoint-connection-notification',
      '--connection-notification-id',
      id,
      '--connection-notification-arn',
      topic.TopicArn,
    ]);
    expect(moved).toEqual({ ReturnValue: true });
    expect(await notificationsOf(serviceId)).toMatchObject([
      {
        ConnectionNotificationId: id,
        ConnectionNotificationArn: topic.TopicArn,
        ConnectionEvents: ['Accept', 'Reject'],
      },
    ]);
  });

  it('answers EC2 error codes: an unknown id, a bad event, a topic that is no SNS ARN', async () => {
    const serviceId = await createService(world.provider, { managed: false });
    const id = await notificationOn(serviceId);

    const unknown = await cliError([
      'ec2',
      'modify-vpc-endpoint-connection-notification',
      '--connection-notification-id',
      'vpce-nfn-0123456789abcdef0',
      '--connection-events',
      'Accept',
    ]);
    expect(unknown.stderr).toContain('(InvalidConnectionNotification)');
    expect(unknown.stderr).toContain('vpce-nfn-0123456789abcdef0');

    const badEvent = await cliError([
      'ec2',
      'modify-vpc-endpoint-connection-notification',
      '--connection-notification-id',
      id,
      '--connection-events',
      'Created',
    ]);
    expect(badEvent.stderr).toContain('(InvalidParameterValue)');
    const badTopic = await cliError([
      'ec2',
      'modify-vpc-endpoint-connection-notification',
      '--connection-notification-id',
      id,
      '--connection-notification-arn',
      'arn:aws:sqs:us-east-1:000000000000:q',
    ]);
    expect(badTopic.stderr).toContain('(InvalidParameterValue)');
    // A refused change changes nothing.
    expect(await notificationsOf(serviceId)).toMatchObject([
      { ConnectionNotificationArn: world.gate.config.ingestTopicArn, ConnectionEvents: ['Connect'] },
    ]);
  });
});
