/**
 * The gate's resources in the local cloud: the same tables, topics and bus the CDK stack
 * creates, with fixed local names, so the handlers run unchanged against them.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import type { GateConfig } from '../functions/shared/config.ts';
import {
  LEDGER_BY_ACCOUNT_INDEX,
  LEDGER_BY_SERVICE_INDEX,
  LEDGER_TABLE_KEY,
  RULES_TABLE_KEY,
} from '../functions/shared/tables.ts';

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
