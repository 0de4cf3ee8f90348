/**
 * A hub's reach into its fleet, built one way for the hub's functions (once per container,
 * functions/handlers/runtime.ts) and for the commands and the console (cli/fleet-members.ts):
 * the spoke role's credentials cached per member region, one EC2 client per member region
 * paced by its own bucket, the members as they are now (listed, and the organizational units'
 * accounts in the fleet's regions), the routing port over every member's endpoint services,
 * and the hub's records of each member.
 */
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ServicePlace } from '../core/connection.ts';
import { fleetMemberSource } from '../gate/fleet-members.ts';
import type { FleetSettings } from '../shared/config.ts';
import { GATE_UNSUCCESSFUL_RETRY } from './call-budget.ts';
import type { ClientOptions } from './client-config.ts';
import { FleetEndpointServices } from './fleet-endpoint-services.ts';
import { type AdapterLogger, quietLogger } from './logger.ts';
import { MemberCredentials } from './member-credentials.ts';
import { MemberEc2 } from './member-ec2.ts';
import { MemberPacing } from './member-pacing.ts';
import { DynamoMemberStates } from './member-states.ts';
import { MemberThrottles } from './member-throttles.ts';
import { OrganizationUnitAccounts } from './organization-members.ts';

export interface FleetReach {
  settings: FleetSettings;
  credentials: MemberCredentials;
  /** The members' EC2 clients and endpoint-services adapters. */
  ec2: MemberEc2;
  /** The members now: asked afresh each time (the units' accounts change while a container lives). */
  members: () => Promise<ServicePlace[]>;
  /** The routing port over every member's endpoint services, with each member's last listing. */
  services: FleetEndpointServices;
  /** The hub's records of each member (ledger table member items). */
  memberStates: DynamoMemberStates;
  /** Throttled attempts in each member region, counted until written to its record. */
  throttles: MemberThrottles;
}

export interface FleetReachOptions {
  /** Who asks, for CloudTrail in the member (the role session's name). */
  sessionName: string;
  /** The hub's ledger table, where member records are kept. */
  dynamodb: DynamoDBDocumentClient;
  ledgerTable: string;
  /** With organizational units: the Organizations client to list their accounts with. */
  organizations?: OrganizationsClient;
  /** The adapters' logger, and where routing warns (default: nowhere). */
  logger?: AdapterLogger;
  /** Where a failed unit listing warns (default: `logger`). */
  unitsLogger?: AdapterLogger;
  /** Endpoint (the local cloud's edge) and, for STS, credentials other than the default chain's. */
  clientOptions?: Omit<ClientOptions, 'region'>;
}

/**
 * The members now: the listed ones, and the units' accounts in the fleet's regions (asked of
 * Organizations, kept 5 minutes). A unit listing that fails is warned about and leaves the
 * listed members; without an Organizations client, only the listed members.
 */
export function fleetMembersOf(
  settings: FleetSettings,
  organizations: OrganizationsClient | undefined,
  logger: AdapterLogger = quietLogger,
): () => Promise<ServicePlace[]> {
  const units =
    settings.organizationalUnits.length > 0 && organizations !== undefined
      ? new OrganizationUnitAccounts(organizations, settings.organizationalUnits, { logger })
      : undefined;
  return fleetMemberSource(settings, units);
}

export function reachFleetMembers(settings: FleetSettings, options: FleetReachOptions): FleetReach {
  const clientOptions = options.clientOptions ?? {};
  const credentials = new MemberCredentials({
    externalId: settings.externalId,
    spokeRoleName: settings.spokeRoleName,
    sessionName: options.sessionName,
    clientOptions,
  });
  // EC2 signs with the spoke role's credentials, never the caller's.
  const { credentials: _caller, ...ec2Options } = clientOptions;
  const throttles = new MemberThrottles();
  const ec2 = new MemberEc2({
    credentials,
    pacing: new MemberPacing(),
    throttles,
    clientOptions: ec2Options,
    endpointServices: {
      retry: GATE_UNSUCCESSFUL_RETRY,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    },
  });
  const members = fleetMembersOf(settings, options.organizations, options.unitsLogger ?? options.logger);
  const { logger } = options;
  return {
    settings,
    credentials,
    ec2,
    members,
    services: new FleetEndpointServices({
      members,
      ec2,
      spokeRoleName: settings.spokeRoleName,
      ...(logger === undefined ? {} : { log: (message, data) => logger.warn(message, data) }),
    }),
    memberStates: new DynamoMemberStates(options.dynamodb, options.ledgerTable),
    throttles,
  };
}
