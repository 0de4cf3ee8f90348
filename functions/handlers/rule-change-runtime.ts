/**
 * What the rule-change handler needs, and nothing more: DynamoDB (rules, ledger), SNS
 * (notices of invalid items) and EventBridge (sweep requests). It never calls EC2, so its
 * bundle carries no EC2 client. Built once per container, on the first invocation.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { clientConfig, type StaticCredentials } from '../aws/client-config.ts';
import { EventBridgeGateEvents } from '../aws/gate-events.ts';
import { DynamoLedger } from '../aws/ledger.ts';
import { SnsNotifier } from '../aws/notifier.ts';
import { DynamoRulesStore } from '../aws/rules-store.ts';
import { readConfig } from '../shared/config.ts';
import { invocationCredentials } from './invocation-credentials.ts';
import { logger, traced } from './observability.ts';

export interface RuleChangeRuntime {
  rulesStore: DynamoRulesStore;
  ledger: DynamoLedger;
  notifier: SnsNotifier;
  events: EventBridgeGateEvents;
}

/** One per container; in `plgate local`, one per function (by its role's access key). */
const built = new Map<string, RuleChangeRuntime>();

export function ruleChangeRuntime(): RuleChangeRuntime {
  const credentials = invocationCredentials.getStore();
  const container = credentials?.accessKeyId ?? '';
  let gate = built.get(container);
  if (gate === undefined) {
    gate = build(credentials);
    built.set(container, gate);
  }
  return gate;
}

function build(credentials: StaticCredentials | undefined): RuleChangeRuntime {
  const config = readConfig();
  // In Lambda: the SDK's default chain. In `plgate local`: the invocation's role credentials.
  const sdk = clientConfig(credentials === undefined ? {} : { credentials });
  const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient(sdk), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const sns = new SNSClient(sdk);
  const eventBridge = new EventBridgeClient(sdk);
  for (const client of [dynamodb, sns, eventBridge]) traced(client);
  return {
    rulesStore: new DynamoRulesStore(dynamodb, config.rulesTable, { logger }),
    ledger: new DynamoLedger(dynamodb, config.ledgerTable, {
      retentionDays: config.ledgerRetentionDays,
    }),
    notifier: new SnsNotifier(sns, config.decisionsTopicArn, { logger }),
    events: new EventBridgeGateEvents(eventBridge, config.gateBusName, { logger }),
  };
}
