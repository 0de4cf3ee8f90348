/**
 * IAM in the local cloud, through the real SDK and the AWS CLI: each function's key is its
 * role and may do only what its role's statements allow; a 12-digit key is another account
 * and cannot use the provider's tables, topics or bus; list calls answer every account.
 */
import { DescribeTableCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  AcceptVpcEndpointConnectionsCommand,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeEventBusCommand,
  ListEventBusesCommand,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import { DeleteTopicCommand, ListTopicsCommand, PublishCommand } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsCliError, awsCliVersion, runAws } from '../../support/aws-cli.ts';
import { type GateRole, gateRole } from '../../support/gate-role.ts';
import {
  awsError,
  dynamoFor,
  ec2For,
  eventsFor,
  PROVIDER_ACCOUNT,
  STRANGER,
  snsFor,
} from '../../support/local-cloud.ts';
import { createService, type LocalGateWorld, settle, startLocalGate } from '../../support/local-gate.ts';

let world: LocalGateWorld;
let roles: { decide: GateRole; sweep: GateRole; ruleChange: GateRole };
let gate: { rulesTableArn: string; gateBusArn: string };

beforeAll(async () => {
  world = await startLocalGate();
  roles = {
    decide: gateRole(world, 'decide'),
    sweep: gateRole(world, 'sweep'),
    ruleChange: gateRole(world, 'rule-change'),
  };
  const { account, region } = world.cloud;
  gate = {
    rulesTableArn: `arn:aws:dynamodb:${region}:${account}:table/${world.gate.config.rulesTable}`,
    gateBusArn: `arn:aws:events:${region}:${account}:event-bus/${world.gate.config.gateBusName}`,
  };
});
afterAll(async () => {
  await world?.stop();
});

const sessionOf = (name: keyof typeof roles) => {
  const { name: role } = roles[name].role;
  return `arn:aws:sts::${PROVIDER_ACCOUNT}:assumed-role/${role}/${role}`;
};

describe("a function's key is its role", () => {
  it('answers GetCallerIdentity with the role session', async () => {
    const sts = new STSClient({
      endpoint: world.cloud.endpoint,
      region: 'us-east-1',
      credentials: roles.decide.session,
    });
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    expect(identity).toMatchObject({ Account: PROVIDER_ACCOUNT, Arn: sessionOf('decide') });
  });

  it("refuses EC2 calls beyond decide's job with UnauthorizedOperation (403) naming principal, action and resource", async () => {
    const serviceId = await createService(world.provider, { managed: false });
    const decide = ec2For(world.cloud, roles.decide.session.accessKeyId);
    const serviceArn = `arn:aws:ec2:us-east-1:${PROVIDER_ACCOUNT}:vpc-endpoint-service/${serviceId}`;
    const permissions = await awsError(
      decide.send(
        new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: serviceId, AddAllowedPrincipals: ['*'] }),
      ),
    );
    expect(permissions.name).toBe('UnauthorizedOperation');
    expect(permissions.$metadata?.httpStatusCode).toBe(403);
    expect(permissions.message).toBe(
      `You are not authorized to perform this operation. User: ${sessionOf('decide')} is not authorized to perform: ec2:ModifyVpcEndpointServicePermissions on resource: ${serviceArn} because no identity-based policy allows the ec2:ModifyVpcEndpointServicePermissions action`,
    );
    // Accepting is decide's job, but only on services tagged privatelink-gate:managed=true.
    const untagged = await awsError(
      decide.send(
        new AcceptVpcEndpointConnectionsCommand({
          ServiceId: serviceId,
          VpcEndpointIds: ['vpce-0123456789abcdef0'],
        }),
      ),
    );
    expect(untagged.name).toBe('UnauthorizedOperation');
    expect(untagged.message).toContain(`ec2:AcceptVpcEndpointConnections on resource: ${serviceArn}`);
    decide.destroy();
  });

  it('refuses DynamoDB, SNS and EventBridge calls beyond the role with each protocol’s error', async () => {
    const rulesWrite = await awsError(
      dynamoFor(world.cloud, roles.decide.session.accessKeyId).send(
        new PutItemCommand({
          TableName: world.gate.config.rulesTable,
          Item: { kind: { S: 'rule' }, id: { S: 'x' } },
        }),
      ),
    );
    expect(rulesWrite.name).toBe('AccessDeniedException');
    expect(rulesWrite.$metadata?.httpStatusCode).toBe(400);
    expect(rulesWrite.message).toBe(
      `User: ${sessionOf('decide')} is not authorized to perform: dynamodb:PutItem on resource: ${gate.rulesTableArn} because no identity-based policy allows the dynamodb:PutItem action`,
    );

    const ingestPublish = await awsError(
      snsFor(world.cloud, roles.decide.session.accessKeyId).send(
        new PublishCommand({
          TopicArn: world.gate.config.ingestTopicArn,
          Message: 'vpce-svc-0123456789abcdef0',
        }),
      ),
    );
    expect(ingestPublish.name).toBe('AuthorizationErrorException');
    expect(ingestPublish.$metadata?.httpStatusCode).toBe(403);
    expect(ingestPublish.message).toContain(`sns:Publish on resource: ${world.gate.config.ingestTopicArn}`);

    const defaultBus = await awsError(
      eventsFor(world.cloud, roles.sweep.session.accessKeyId).send(
        new PutEventsCommand({ Entries: [{ Source: 'app', DetailType: 'x', Detail: '{}' }] }),
      ),
    );
    expect(defaultBus.name).toBe('AccessDeniedException');
    expect(defaultBus.message).toContain(
      `events:PutEvents on resource: arn:aws:events:us-east-1:${PROVIDER_ACCOUNT}:event-bus/default`,
    );
  });

  it('asks for the topic key when publishing to the encrypted decisions topic: KMSAccessDenied without it', async () => {
    const keyStatement = roles.ruleChange.role.statements.find(
      (statement) => statement.Sid === 'EncryptDecisions',
    );
    expect(keyStatement?.Resource).toMatch(/^arn:aws:kms:us-east-1:000000000000:key\//);
    const restore = roles.ruleChange.change((statements) =>
      statements.filter((statement) => statement !== keyStatement),
    );
    try {
      const denied = await awsError(
        snsFor(world.cloud, roles.ruleChange.session.accessKeyId).send(
          new PublishCommand({ TopicArn: world.gate.config.decisionsTopicArn, Message: 'hello' }),
        ),
      );
      expect(denied.name).toBe('KMSAccessDeniedException');
      expect(denied.message).toContain(`kms:GenerateDataKey on resource: ${String(keyStatement?.Resource)}`);
    } finally {
      restore();
    }
    const sent = await snsFor(world.cloud, roles.ruleChange.session.accessKeyId).send(
      new PublishCommand({ TopicArn: world.gate.config.decisionsTopicArn, Message: 'hello' }),
    );
    expect(sent.MessageId).toBeDefined();
  });
});

describe('another account (a 12-digit key), through the SDK', () => {
  it("cannot delete the gate's topics nor publish fake notifications to its ingest topic", async () => {
    const stranger = snsFor(world.cloud, STRANGER);
    const before = world.cloud.sns.messages().length;
    const deleted = await awsError(
      stranger.send(new DeleteTopicCommand({ TopicArn: world.gate.config.ingestTopicArn })),
    );
    expect(deleted.name).toBe('AuthorizationErrorException');
    expect(deleted.message).toBe(
      `User: arn:aws:iam::${STRANGER}:root is not authorized to perform: sns:DeleteTopic on resource: ${world.gate.config.ingestTopicArn} because no resource-based policy allows the sns:DeleteTopic action`,
    );
    const faked = await awsError(
      stranger.send(
        new PublishCommand({
          TopicArn: world.gate.config.ingestTopicArn,
          Message: 'vpce-svc-0123456789abcdef0 vpce-0123456789abcdef0',
        }),
      ),
    );
    expect(faked.name).toBe('AuthorizationErrorException');
    expect(world.cloud.sns.messages().length).toBe(before);
    const { Topics = [] } = await snsFor(world.cloud).send(new ListTopicsCommand({}));
    expect(Topics.map((topic) => topic.TopicArn)).toContain(world.gate.config.ingestTopicArn);
    const own = await stranger.send(new ListTopicsCommand({}));
    expect(own.Topics ?? []).toEqual([]);
  });

  it("cannot put events on the gate's bus; its own bus of that name is another bus", async () => {
    const stranger = eventsFor(world.cloud, STRANGER);
    const denied = await awsError(
      stranger.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: gate.gateBusArn,
              Source: 'privatelink-gate',
              DetailType: 'Sweep Requested',
              Detail: '{}',
            },
          ],
        }),
      ),
    );
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toContain(
      `events:PutEvents on resource: ${gate.gateBusArn} because no resource-based policy`,
    );
    const described = await awsError(stranger.send(new DescribeEventBusCommand({ Name: gate.gateBusArn })));
    expect(described.name).toBe('AccessDeniedException');
    const buses = await stranger.send(new ListEventBusesCommand({}));
    expect(buses.EventBuses?.map((bus) => bus.Arn)).toEqual([
      `arn:aws:events:us-east-1:${STRANGER}:event-bus/default`,
    ]);
    const providerBuses = await eventsFor(world.cloud).send(new ListEventBusesCommand({}));
    expect(providerBuses.EventBuses?.map((bus) => bus.Name)).toEqual([
      'default',
      world.gate.config.gateBusName,
    ]);
    const gateBus = await eventsFor(world.cloud).send(
      new DescribeEventBusCommand({ Name: world.gate.config.gateBusName }),
    );
    expect(gateBus.Arn).toBe(gate.gateBusArn);
  });

  it("cannot see or write the gate's tables: its own namespace is empty, the provider's ARN is denied", async () => {
    const stranger = dynamoFor(world.cloud, STRANGER);
    expect((await stranger.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    const byName = await awsError(
      stranger.send(
        new PutItemCommand({
          TableName: world.gate.config.rulesTable,
          Item: { kind: { S: 'rule' }, id: { S: 'evil' } },
        }),
      ),
    );
    expect(byName.name).toBe('ResourceNotFoundException');
    const byArn = await awsError(
      stranger.send(
        new PutItemCommand({
          TableName: gate.rulesTableArn,
          Item: { kind: { S: 'rule' }, id: { S: 'evil' } },
        }),
      ),
    );
    expect(byArn.name).toBe('AccessDeniedException');
    expect(byArn.message).toContain(
      `dynamodb:PutItem on resource: ${gate.rulesTableArn} because no resource-based policy`,
    );
    const described = await awsError(
      stranger.send(new DescribeTableCommand({ TableName: world.gate.config.ledgerTable })),
    );
    expect(described.name).toBe('ResourceNotFoundException');
    expect(await world.rules.items()).not.toContainEqual(expect.objectContaining({ id: 'evil' }));
    expect((await dynamoFor(world.cloud).send(new ListTablesCommand({}))).TableNames).toEqual(
      expect.arrayContaining([world.gate.config.rulesTable, world.gate.config.ledgerTable]),
    );
  });
});

describe('another account (a 12-digit key), through the AWS CLI', () => {
  const stranger = () => ({ endpoint: world.cloud.endpoint, accessKeyId: STRANGER });
  const cliError = async (args: string[]): Promise<string> => {
    try {
      await runAws(stranger(), args);
    } catch (error) {
      if (error instanceof AwsCliError) return error.stderr;
      throw error;
    }
    throw new Error(`aws ${args.join(' ')} succeeded`);
  };

  it('needs the AWS CLI', () => {
    expect(awsCliVersion()).toMatch(/^aws-cli\//);
  });

  it("cannot delete or publish to the gate's topics, put events on its bus, or write its rules table", async () => {
    expect(
      await cliError(['sns', 'delete-topic', '--topic-arn', world.gate.config.decisionsTopicArn]),
    ).toContain('AuthorizationError');
    expect(
      await cliError([
        'sns',
        'publish',
        '--topic-arn',
        world.gate.config.ingestTopicArn,
        '--message',
        'vpce-svc-0123456789abcdef0',
      ]),
    ).toContain('AuthorizationError');
    const entries = JSON.stringify([
      {
        EventBusName: gate.gateBusArn,
        Source: 'privatelink-gate',
        DetailType: 'Sweep Requested',
        Detail: '{}',
      },
    ]);
    expect(await cliError(['events', 'put-events', '--entries', entries])).toContain('AccessDeniedException');
    const item = JSON.stringify({ kind: { S: 'rule' }, id: { S: 'evil-cli' } });
    expect(
      await cliError(['dynamodb', 'put-item', '--table-name', gate.rulesTableArn, '--item', item]),
    ).toContain('AccessDeniedException');
    expect(
      await cliError(['dynamodb', 'put-item', '--table-name', world.gate.config.rulesTable, '--item', item]),
    ).toContain('ResourceNotFoundException');
    await settle(world);
    expect(await world.rules.items()).not.toContainEqual(expect.objectContaining({ id: 'evil-cli' }));
  });

  it('is answered by the list calls a person uses to find things', async () => {
    expect(await runAws(stranger(), ['dynamodb', 'list-tables'])).toEqual({ TableNames: [] });
    expect(await runAws(stranger(), ['sns', 'list-topics'])).toEqual({ Topics: [] });
    expect(await runAws(stranger(), ['events', 'list-event-buses'])).toMatchObject({
      EventBuses: [{ Name: 'default', Arn: `arn:aws:events:us-east-1:${STRANGER}:event-bus/default` }],
    });
    expect(await runAws(stranger(), ['sts', 'get-caller-identity'])).toMatchObject({ Account: STRANGER });
  });
});
