/**
 * The gate's ports over AWS, built from one set of SDK clients: what the Lambda runtime
 * and the CLI both run the gate with.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DecideDeps } from '../gate/decide-service.ts';
import { ledgerTable } from '../gate/ledger-table.ts';
import type { EndpointServices } from '../gate/ports.ts';
import { RuleSetCache } from '../gate/rules-cache.ts';
import { gateNow } from '../shared/clock.ts';
import type { GateConfig } from '../shared/config.ts';
import { GATE_UNSUCCESSFUL_RETRY } from './call-budget.ts';
import type { AwsClients } from './clients.ts';
import { Ec2EndpointServices } from './endpoint-services.ts';
import { DynamoEndpointStates } from './endpoint-states.ts';
import { EventBridgeGateEvents } from './gate-events.ts';
import { DynamoLedger } from './ledger.ts';
import { SnsNotifier } from './notifier.ts';
import { AwsOrganizationDirectory } from './organizations.ts';
import { DynamoRulesStore } from './rules-store.ts';

export interface GateAdapters {
  endpointServices: Ec2EndpointServices;
  rulesStore: DynamoRulesStore;
  rules: RuleSetCache;
  ledger: DynamoLedger;
  endpointStates: DynamoEndpointStates;
  notifier: SnsNotifier;
  events: EventBridgeGateEvents;
  organizations?: AwsOrganizationDirectory;
}

export function createGateAdapters(config: GateConfig, clients: AwsClients, logger?: Logger): GateAdapters {
  const withLogger = logger ? { logger } : {};
  const rulesStore = new DynamoRulesStore(clients.dynamodb, config.rulesTable, withLogger);
  const ledger = new DynamoLedger(clients.dynamodb, config.ledgerTable, {
    retentionDays: config.ledgerRetentionDays,
  });
  return {
    // Few retries of Unsuccessful items: an action must end within the lease it runs under (call-budget.ts).
    endpointServices: new Ec2EndpointServices(clients.ec2, { ...withLogger, retry: GATE_UNSUCCESSFUL_RETRY }),
    rulesStore,
    rules: new RuleSetCache(rulesStore),
    ledger,
    endpointStates: new DynamoEndpointStates(clients.dynamodb, config.ledgerTable, { ledger, ...withLogger }),
    notifier: new SnsNotifier(clients.sns, config.decisionsTopicArn, withLogger),
    events: new EventBridgeGateEvents(clients.eventBridge, config.gateBusName, withLogger),
    ...(config.organizationsLookup
      ? { organizations: new AwsOrganizationDirectory(clients.organizations, withLogger) }
      : {}),
  };
}

/** The decision pipeline's dependencies for one invocation (or one CLI run). */
export function decideDepsOf(
  adapters: Omit<GateAdapters, 'endpointServices'> & { endpointServices: EndpointServices },
  holder: string,
  options: { region?: string; log?: DecideDeps['log']; actor?: string; reason?: string } = {},
): DecideDeps {
  return {
    endpointServices: adapters.endpointServices,
    ledger: ledgerTable(adapters.ledger, adapters.endpointStates),
    notifier: adapters.notifier,
    events: adapters.events,
    ...(adapters.organizations ? { organizations: adapters.organizations } : {}),
    now: gateNow,
    holder,
    ...(options.region ? { region: options.region } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.actor === undefined ? {} : { actor: options.actor }),
    ...(options.reason === undefined ? {} : { reason: options.reason }),
  };
}
