import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  LEDGER_BY_ACCOUNT_INDEX,
  LEDGER_BY_SERVICE_INDEX,
  LEDGER_TABLE_KEY,
  LEDGER_TTL_ATTRIBUTE,
  RULES_TABLE_KEY,
} from '../../functions/shared/tables.ts';

const string = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });

/** Settings both tables share: they hold the rules and the audit trail, so they outlive the stack. */
const durable = {
  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  deletionProtection: true,
  removalPolicy: RemovalPolicy.RETAIN,
} as const;

/**
 * The rules table (what operators edit; its stream drives the rule-change handler) and
 * the ledger (every decision, with indexes for history by service and by account).
 * Key design: functions/shared/tables.ts.
 */
export class GateTables extends Construct {
  readonly rules: dynamodb.Table;
  readonly ledger: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.rules = new dynamodb.Table(this, 'Rules', {
      ...durable,
      partitionKey: string(RULES_TABLE_KEY.partitionKey),
      sortKey: string(RULES_TABLE_KEY.sortKey),
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    });
    this.ledger = new dynamodb.Table(this, 'Ledger', {
      ...durable,
      partitionKey: string(LEDGER_TABLE_KEY.partitionKey),
      sortKey: string(LEDGER_TABLE_KEY.sortKey),
      timeToLiveAttribute: LEDGER_TTL_ATTRIBUTE,
    });
    for (const index of [LEDGER_BY_SERVICE_INDEX, LEDGER_BY_ACCOUNT_INDEX]) {
      this.ledger.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: string(index.partitionKey),
        sortKey: string(index.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
