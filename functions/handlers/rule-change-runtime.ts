/**
 * What the rule-change handler needs, and nothing more: DynamoDB (rules, ledger), SNS
 * (notices of invalid items) and EventBridge (sweep requests). It never calls EC2, so its
 * bundle carries no EC2 client. Built once by containerRuntime (container.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { clientConfig } from '../aws/client-config.ts';
import { EventBridgeGateEvents } from '../aws/gate-events.ts';
import { DynamoLedger } from '../aws/ledger.ts';
import { SnsNotifier } from '../aws/notifier.ts';
import { DynamoRulesStore } from '../aws/rules-store.ts';
import { containerRuntime } from './container.ts';
import { logger } from './observability.ts';

export interface RuleChangeRuntime {
  rulesStore: DynamoRulesStore;
  ledger: DynamoLedger;
  notifier: SnsNotifier;
  events: EventBridgeGateEvents;
}

export const ruleChangeRuntime = containerRuntime({
  clients: (options) => {
    const sdk = clientConfig(options);
    return {
      dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient(sdk), {
        marshallOptions: { removeUndefinedValues: true },
      }),
      sns: new SNSClient(sdk),
      eventBridge: new EventBridgeClient(sdk),
    };
  },
  build: ({ dynamodb, sns, eventBridge }, config): RuleChangeRuntime => ({
    rulesStore: new DynamoRulesStore(dynamodb, config.rulesTable, { logger }),
    ledger: new DynamoLedger(dynamodb, config.ledgerTable, { retentionDays: config.ledgerRetentionDays }),
    notifier: new SnsNotifier(sns, config.decisionsTopicArn, { logger }),
    events: new EventBridgeGateEvents(eventBridge, config.gateBusName, { logger }),
  }),
});
