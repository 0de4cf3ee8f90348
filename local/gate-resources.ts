/**
 * The gate's resources in the local cloud: the same tables, topics and bus the CDK stack
 * creates, with fixed local names, so the handlers run unchanged against them.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import type { StaticCredentials } from '../functions/aws/client-config.ts';
import type { GateConfig } from '../functions/shared/config.ts';
import {
  LEDGER_BY_ACCOUNT_INDEX,
  LEDGER_BY_SERVICE_INDEX,
  LEDGER_TABLE_KEY,
  RULES_TABLE_KEY,
} from '../functions/shared/tables.ts';
import {
  GATE_FUNCTIONS,
  type GateFunctionName,
  type GateResources,
  gatePermissions,
  ingestTopicPolicy,
  policyStatementJson,
} from '../infra/permissions.ts';
import type { LocalCloud } from './cloud.ts';
import type { LocalRole } from './identity.ts';
import type { TopicSettings } from './sns/topics.ts';

export function localGateConfig(account: string, region: string): GateConfig {
  return {
    rulesTable: 'plgate-rules',
    ledgerTable: 'plgate-ledger',
    decisionsTopicArn: `arn:aws:sns:${region}:${account}:plgate-decisions`,
    ingestTopicArn: `arn:aws:sns:${region}:${account}:plgate-ingest`,
    gateBusName: 'plgate',
    organizationsLookup: false,
    ledgerRetentionDays: 400,
  };
}

/** The ARNs of the gate's resources in the local cloud, for the permission statements. */
export function localGateResources(account: string, region: string): GateResources {
  const config = localGateConfig(account, region);
  return {
    partition: 'aws',
    account,
    region,
    rulesTableArn: `arn:aws:dynamodb:${region}:${account}:table/${config.rulesTable}`,
    ledgerTableArn: `arn:aws:dynamodb:${region}:${account}:table/${config.ledgerTable}`,
    decisionsTopicArn: config.decisionsTopicArn,
    ingestTopicArn: config.ingestTopicArn,
    gateBusArn: `arn:aws:events:${region}:${account}:event-bus/${config.gateBusName}`,
    topicKeyArn: `arn:aws:kms:${region}:${account}:key/0c0ffee0-9a7e-4c1d-8b6e-000000000001`,
  };
}

/** Each function's role, from the same statements the stack grants, with an access key of its own. */
export function localGateRoles(
  account: string,
  region: string,
): Record<GateFunctionName, LocalRole & { accessKeyId: string }> {
  const permissions = gatePermissions(localGateResources(account, region), { organizationsLookup: false });
  const roles = GATE_FUNCTIONS.map((name): [GateFunctionName, LocalRole & { accessKeyId: string }] => [
    name,
    {
      name: `plgate-local-${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`,
      account,
      accessKeyId: `ASIAPLGATE${name.toUpperCase()}`,
      statements: permissions[name].map(policyStatementJson),
    },
  ]);
  return Object.fromEntries(roles) as Record<GateFunctionName, LocalRole & { accessKeyId: string }>;
}

/** The gate's topics as the stack makes them: encrypted with the topic key, with their policies. */
export function localGateTopics(account: string, region: string): { arn: string; settings: TopicSettings }[] {
  const resources = localGateResources(account, region);
  const document = (statements: Record<string, unknown>[]) => ({
    Version: '2012-10-17' as const,
    Statement: statements,
  });
  return [
    {
      arn: resources.ingestTopicArn,
      settings: {
        kmsMasterKeyId: resources.topicKeyArn,
        policy: document(ingestTopicPolicy(resources).map(policyStatementJson)),
      },
    },
    // The stack's policy on the decisions topic only denies plain HTTP (enforceSSL), which the
    // loopback local cloud cannot offer; what it grants, it grants through the functions' roles.
    {
      arn: resources.decisionsTopicArn,
      settings: { kmsMasterKeyId: resources.topicKeyArn, policy: document([]) },
    },
  ];
}

/**
 * The gate's tables, topics and bus in `cloud`, as the stack creates them, made with the
 * provider's `credentials`. Safe to repeat (a `--data` dir keeps the tables).
 */
export async function provisionGateResources(
  cloud: LocalCloud,
  config: GateConfig,
  credentials: StaticCredentials,
): Promise<void> {
  const dynamodb = new DynamoDBClient({ endpoint: cloud.endpoint, region: cloud.region, credentials });
  try {
    await ensureGateTables(dynamodb, config);
  } finally {
    dynamodb.destroy();
  }
  for (const { arn, settings } of localGateTopics(cloud.account, cloud.region)) {
    cloud.sns.createTopic(arn.slice(arn.lastIndexOf(':') + 1), cloud.account, cloud.region, settings);
  }
  cloud.events.createBus(config.gateBusName);
}

/** Creates the rules and ledger tables unless they exist (a persisted `--data` dir keeps them). */
export async function ensureGateTables(dynamodb: DynamoDBClient, config: GateConfig): Promise<void> {
  const s = 'S' as const;
  await ensureTable(dynamodb, config.rulesTable, () => ({
    TableName: config.rulesTable,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: RULES_TABLE_KEY.partitionKey, AttributeType: s },
      { AttributeName: RULES_TABLE_KEY.sortKey, AttributeType: s },
    ],
    KeySchema: [
      { AttributeName: RULES_TABLE_KEY.partitionKey, KeyType: 'HASH' },
      { AttributeName: RULES_TABLE_KEY.sortKey, KeyType: 'RANGE' },
    ],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  }));
  await ensureTable(dynamodb, config.ledgerTable, () => ({
    TableName: config.ledgerTable,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: LEDGER_TABLE_KEY.partitionKey, AttributeType: s },
      { AttributeName: LEDGER_TABLE_KEY.sortKey, AttributeType: s },
      { AttributeName: LEDGER_BY_SERVICE_INDEX.partitionKey, AttributeType: s },
      { AttributeName: LEDGER_BY_ACCOUNT_INDEX.partitionKey, AttributeType: s },
      { AttributeName: LEDGER_BY_SERVICE_INDEX.sortKey, AttributeType: s },
    ],
    KeySchema: [
      { AttributeName: LEDGER_TABLE_KEY.partitionKey, KeyType: 'HASH' },
      { AttributeName: LEDGER_TABLE_KEY.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [LEDGER_BY_SERVICE_INDEX, LEDGER_BY_ACCOUNT_INDEX].map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })),
  }));
}

async function ensureTable(
  dynamodb: DynamoDBClient,
  name: string,
  definition: () => ConstructorParameters<typeof CreateTableCommand>[0],
): Promise<void> {
  try {
    await dynamodb.send(new DescribeTableCommand({ TableName: name }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await dynamodb.send(new CreateTableCommand(definition()));
  // dynalite creates tables asynchronously: wait until it is ACTIVE.
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`table ${name} did not become ACTIVE`);
}
