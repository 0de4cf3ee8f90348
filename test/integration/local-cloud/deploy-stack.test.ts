/**
 * The deployer on the local cloud, checked by an independent client: a template of
 * tables, topics, roles and no-effect types deployed, read back through CloudFormation's
 * API with the AWS CLI, updated in place (items kept), and deleted (what Retain keeps stays).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../local/cloud.ts';
import { parseTemplate } from '../../../local/cloudformation/template.ts';
import { awsCliVersion, runAws } from '../../support/aws-cli.ts';
import { PROVIDER_KEY, startTestCloud } from '../../support/local-cloud.ts';

const cli = awsCliVersion();
if (cli === undefined && process.env.CI === 'true')
  throw new Error('the aws CLI is not installed (pip install awscli)');

const template = (ttl: boolean) =>
  parseTemplate(
    {
      Parameters: { Stage: { Type: 'String', Default: 'test', AllowedValues: ['test', 'prod'] } },
      Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] } },
      Resources: {
        Key: { Type: 'AWS::KMS::Key', Properties: {} },
        Ledger: {
          Type: 'AWS::DynamoDB::Table',
          DeletionPolicy: 'Retain',
          UpdateReplacePolicy: 'Retain',
          Properties: {
            AttributeDefinitions: [
              { AttributeName: 'pk', AttributeType: 'S' },
              { AttributeName: 'sk', AttributeType: 'S' },
            ],
            KeySchema: [
              { AttributeName: 'pk', KeyType: 'HASH' },
              { AttributeName: 'sk', KeyType: 'RANGE' },
            ],
            BillingMode: 'PAY_PER_REQUEST',
            StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
            ...(ttl ? { TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } } : {}),
          },
        },
        Scratch: {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          },
        },
        Topic: {
          Type: 'AWS::SNS::Topic',
          Properties: { DisplayName: 'decisions', KmsMasterKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] } },
        },
        TopicPolicy: {
          Type: 'AWS::SNS::TopicPolicy',
          Properties: {
            Topics: [{ Ref: 'Topic' }],
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { Service: 'vpce.amazonaws.com' },
                  Action: 'sns:Publish',
                  Resource: { Ref: 'Topic' },
                },
              ],
            },
          },
        },
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            AssumeRolePolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
              ],
            },
          },
        },
        RolePolicy: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyName: 'reads',
            Roles: [{ Ref: 'Role' }],
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 'dynamodb:GetItem',
                  Resource: { 'Fn::GetAtt': ['Ledger', 'Arn'] },
                },
              ],
            },
          },
        },
        ProdOnly: { Type: 'AWS::CloudWatch::Alarm', Condition: 'IsProd', Properties: {} },
        Logs: { Type: 'AWS::Logs::LogGroup', Properties: {} },
      },
      Outputs: {
        LedgerTableName: { Value: { Ref: 'Ledger' } },
        TopicArn: { Value: { Ref: 'Topic' } },
        RoleArn: { Value: { 'Fn::GetAtt': ['Role', 'Arn'] } },
        Api: {
          Value: {
            'Fn::Join': [
              '',
              [
                'https://abcdefghij.execute-api.',
                { Ref: 'AWS::Region' },
                '.',
                { Ref: 'AWS::URLSuffix' },
                '/register',
              ],
            ],
          },
        },
      },
    },
    'test',
  );

describe.skipIf(cli === undefined)('a stack deployed on the local cloud', () => {
  let cloud: LocalCloud;
  let dynamodb: DynamoDBClient;
  const aws = (...args: string[]) => runAws({ endpoint: cloud.endpoint, accessKeyId: PROVIDER_KEY }, args);
  const deploy = (ttl: boolean) =>
    cloud.registry.cloudformation.deployer.deploy({
      stackName: 'Gate',
      account: cloud.account,
      region: cloud.region,
      template: template(ttl),
      localizeOutput: (value) =>
        value.replace(
          'https://abcdefghij.execute-api.us-east-1.amazonaws.com',
          `${cloud.endpoint}/_aws/execute-api/abcdefghij`,
        ),
    });

  beforeAll(async () => {
    cloud = await startTestCloud();
    dynamodb = new DynamoDBClient({
      endpoint: cloud.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: PROVIDER_KEY, secretAccessKey: 'x' },
    });
    await deploy(false);
  });
  afterAll(async () => {
    dynamodb?.destroy();
    await cloud?.stop();
  });

  it('answers DescribeStacks with the outputs, local URLs included', async () => {
    const described = (await aws('cloudformation', 'describe-stacks', '--stack-name', 'Gate')) as {
      Stacks: {
        StackStatus: string;
        Outputs: { OutputKey: string; OutputValue: string }[];
        Parameters: unknown[];
      }[];
    };
    const stack = described.Stacks[0];
    expect(stack?.StackStatus).toBe('CREATE_COMPLETE');
    const outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    expect(outputs.LedgerTableName).toMatch(/^Gate-Ledger-[A-Z0-9]{12}$/);
    expect(outputs.TopicArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:Gate-Topic-[A-Z0-9]{12}$/);
    expect(outputs.RoleArn).toMatch(/^arn:aws:iam::000000000000:role\/Gate-Role-[A-Z0-9]{12}$/);
    expect(outputs.Api).toBe(`${cloud.endpoint}/_aws/execute-api/abcdefghij/register`);
    expect(stack?.Parameters).toEqual([{ ParameterKey: 'Stage', ParameterValue: 'test' }]);
  });

  it('lists the resources it made, and made them as the template says', async () => {
    const listed = (await aws('cloudformation', 'list-stack-resources', '--stack-name', 'Gate')) as {
      StackResourceSummaries: {
        LogicalResourceId: string;
        ResourceType: string;
        PhysicalResourceId: string;
      }[];
    };
    const ids = listed.StackResourceSummaries.map((r) => r.LogicalResourceId).sort();
    expect(ids).toEqual(['Key', 'Ledger', 'Logs', 'Role', 'RolePolicy', 'Scratch', 'Topic', 'TopicPolicy']);
    const ledger = listed.StackResourceSummaries.find((r) => r.LogicalResourceId === 'Ledger');
    const table = await dynamodb.send(new DescribeTableCommand({ TableName: ledger?.PhysicalResourceId }));
    expect(table.Table?.KeySchema?.map((key) => key.AttributeName)).toEqual(['pk', 'sk']);
    const stack = cloud.registry.cloudformation.stacks.find(cloud.account, cloud.region, 'Gate');
    expect(stack?.resources.Ledger?.attributes.StreamArn).toBe(
      cloud.dynamodb.streamArn(String(ledger?.PhysicalResourceId)),
    );
    const role = cloud.iam.roles.list().find((r) => r.name.startsWith('Gate-Role-'));
    expect(role?.statements).toEqual([expect.objectContaining({ Action: 'dynamodb:GetItem' })]);
  });

  it('updates in place on a redeploy, keeping the items', async () => {
    const name = (await cloud.registry.cloudformation.stacks.find(cloud.account, cloud.region, 'Gate'))
      ?.resources.Ledger?.physicalId;
    await dynamodb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'a' }, sk: { S: 'b' } } }));
    const stack = await deploy(true);
    expect(stack.status).toBe('UPDATE_COMPLETE');
    expect(stack.resources.Ledger?.physicalId).toBe(name);
    const ttl = (await aws('dynamodb', 'describe-time-to-live', '--table-name', String(name))) as {
      TimeToLiveDescription: { TimeToLiveStatus: string };
    };
    expect(ttl.TimeToLiveDescription.TimeToLiveStatus).toBe('ENABLED');
    expect((await dynamodb.send(new ScanCommand({ TableName: name }))).Count).toBe(1);
  });

  it('deletes the stack, keeping what DeletionPolicy Retain keeps', async () => {
    const before = cloud.registry.cloudformation.stacks.find(cloud.account, cloud.region, 'Gate');
    const ledger = String(before?.resources.Ledger?.physicalId);
    const scratch = String(before?.resources.Scratch?.physicalId);
    await aws('cloudformation', 'delete-stack', '--stack-name', 'Gate');
    const tables = (await aws('dynamodb', 'list-tables')) as { TableNames: string[] };
    expect(tables.TableNames).toContain(ledger);
    expect(tables.TableNames).not.toContain(scratch);
    expect(cloud.iam.roles.list().some((r) => r.name.startsWith('Gate-Role-'))).toBe(false);
    const stacks = (await aws('cloudformation', 'list-stacks')) as {
      StackSummaries: { StackName: string; StackStatus: string }[];
    };
    expect(stacks.StackSummaries).toEqual([
      expect.objectContaining({ StackName: 'Gate', StackStatus: 'DELETE_COMPLETE' }),
    ]);
    await expect(aws('cloudformation', 'describe-stacks', '--stack-name', 'Gate')).rejects.toThrow(
      /Stack with id Gate does not exist/,
    );
  });
});

describe('a stack redeployed on a restarted --data cloud', () => {
  it('is updated in place: the table keeps its items, what changed changes, what Retain keeps survives', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plgate-redeploy-'));
    try {
      let cloud = await startTestCloud({ dataDir, saveDelayMs: 0 });
      const first = await cloud.registry.cloudformation.deployer.deploy({
        stackName: 'Gate',
        account: cloud.account,
        region: cloud.region,
        template: template(false),
      });
      const ledger = String(first.resources.Ledger?.physicalId);
      const scratch = String(first.resources.Scratch?.physicalId);
      const client = () =>
        new DynamoDBClient({
          endpoint: cloud.endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: PROVIDER_KEY, secretAccessKey: 'x' },
        });
      let dynamodb = client();
      await dynamodb.send(
        new PutItemCommand({ TableName: ledger, Item: { pk: { S: 'kept' }, sk: { S: '1' } } }),
      );
      dynamodb.destroy();
      await cloud.stop();

      cloud = await startTestCloud({ dataDir, saveDelayMs: 0 });
      expect(cloud.registry.cloudformation.stacks.find(cloud.account, cloud.region, 'Gate')?.status).toBe(
        'CREATE_COMPLETE',
      );
      const second = await cloud.registry.cloudformation.deployer.deploy({
        stackName: 'Gate',
        account: cloud.account,
        region: cloud.region,
        template: template(true),
        parameters: { Stage: 'prod' },
      });
      expect(second.status).toBe('UPDATE_COMPLETE');
      expect(second.resources.Ledger?.physicalId).toBe(ledger);
      expect(second.resources.ProdOnly?.type).toBe('AWS::CloudWatch::Alarm');
      dynamodb = client();
      expect((await dynamodb.send(new ScanCommand({ TableName: ledger }))).Items).toEqual([
        { pk: { S: 'kept' }, sk: { S: '1' } },
      ]);
      await cloud.registry.cloudformation.deployer.delete(cloud.account, cloud.region, 'Gate');
      const { TableNames = [] } = await dynamodb.send(new ListTablesCommand({}));
      expect(TableNames).toContain(ledger);
      expect(TableNames).not.toContain(scratch);
      dynamodb.destroy();
      await cloud.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
