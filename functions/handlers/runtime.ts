/**
 * What the decide, ingest, sweep, operator and register handlers share in one container:
 * every SDK client they call (EC2 among them) and the adapters over them; rule-change wires
 * only its own (rule-change-runtime.ts). Built once by containerRuntime (container.ts).
 *
 * In a fleet's hub (FLEET_* set by the stack) EC2 is the members': every service is routed to
 * the account and region it lives in, with the spoke role's credentials, paced per member. The
 * members are the listed ones and, with organizational units, their accounts as Organizations
 * lists them (kept for a few minutes per container) in the fleet's regions.
 */

import { type AwsClients, createClients } from '../aws/clients.ts';
import type { FleetEndpointServices } from '../aws/fleet-endpoint-services.ts';
import { reachFleetMembers } from '../aws/fleet-reach.ts';
import { createGateAdapters, decideDepsOf, type GateAdapters } from '../aws/gate-adapters.ts';
import type { MemberEc2 } from '../aws/member-ec2.ts';
import type { DynamoMemberStates } from '../aws/member-states.ts';
import type { MemberThrottles } from '../aws/member-throttles.ts';
import type { DecideDeps } from '../gate/decide-service.ts';
import { ManagedServiceCache } from '../gate/managed-services.ts';
import { type FleetSettings, type GateConfig, readFleetSettings } from '../shared/config.ts';
import { containerRuntime } from './container.ts';
import { logger } from './observability.ts';

/** A hub's view of its fleet. */
export interface FleetRuntime {
  settings: FleetSettings;
  /** The routing port (also behind `endpointServices`), with each member's last listing. */
  services: FleetEndpointServices;
  /** The members' EC2 clients (for the accept probe). */
  ec2: MemberEc2;
  memberStates: DynamoMemberStates;
  /** Throttled attempts in each member region, written to its record as an invocation ends. */
  throttles: MemberThrottles;
}

export interface Runtime extends Omit<GateAdapters, 'endpointServices'> {
  /** EC2 with whether a service is managed kept for the container (see ManagedServiceCache). */
  endpointServices: ManagedServiceCache;
  config: GateConfig;
  /** The container's SDK clients (traced when SDK tracing is on), for adapters of a handler's own. */
  clients: AwsClients;
  /** Set in a fleet's hub; undefined in a stack of one. */
  fleet?: FleetRuntime;
  /** The decision pipeline's dependencies for one invocation. */
  decideDeps(holder: string): DecideDeps;
}

/** The hub's routing over its members' EC2, or undefined when no fleet is configured. */
export function fleetRuntime(
  clients: AwsClients,
  config: GateConfig,
  env: NodeJS.ProcessEnv = process.env,
): FleetRuntime | undefined {
  const settings = readFleetSettings(env);
  if (settings === undefined) return undefined;
  const sessionName = (env.AWS_LAMBDA_FUNCTION_NAME ?? 'privatelink-gate').slice(0, 64).padEnd(2, '-');
  const { services, ec2, memberStates, throttles } = reachFleetMembers(settings, {
    sessionName,
    dynamodb: clients.dynamodb,
    ledgerTable: config.ledgerTable,
    organizations: clients.organizations,
    logger,
  });
  return { settings, services, ec2, memberStates, throttles };
}

/** The gate's adapters over the container's clients. */
export function gateRuntime(clients: AwsClients, config: GateConfig): Runtime {
  const created = createGateAdapters(config, clients, logger);
  const fleet = fleetRuntime(clients, config);
  const adapters = {
    ...created,
    endpointServices: new ManagedServiceCache(fleet?.services ?? created.endpointServices),
  };
  const log = (message: string, data: Record<string, unknown>): void => logger.info(message, data);
  const region = process.env.AWS_REGION;
  return {
    ...adapters,
    config,
    clients,
    ...(fleet === undefined ? {} : { fleet }),
    decideDeps: (holder) => decideDepsOf(adapters, holder, { log, ...(region ? { region } : {}) }),
  };
}

export const runtime = containerRuntime({ clients: (options) => createClients(options), build: gateRuntime });
