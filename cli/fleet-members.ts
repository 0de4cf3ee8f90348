/**
 * A hub's fleet members as a command (or the console) reaches them: with the caller's own
 * credentials, which the spoke roles must trust as they trust the hub's functions. One set of
 * member clients (the spoke role's credentials cached per member and region, one EC2 client
 * per member region) behind both the routing port the gate decides through
 * (FleetEndpointServices: `connections`, `explain`, `approve` and `deny` find an endpoint's
 * member by themselves, as the operator function does) and `plgate fleet`'s rows.
 */
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { GATE_UNSUCCESSFUL_RETRY } from '../functions/aws/call-budget.ts';
import type { ClientOptions } from '../functions/aws/client-config.ts';
import type { AwsClients } from '../functions/aws/clients.ts';
import { FleetEndpointServices } from '../functions/aws/fleet-endpoint-services.ts';
import { type AdapterLogger, quietLogger } from '../functions/aws/logger.ts';
import { MemberCredentials } from '../functions/aws/member-credentials.ts';
import { MemberEc2 } from '../functions/aws/member-ec2.ts';
import { MemberPacing } from '../functions/aws/member-pacing.ts';
import { DynamoMemberStates } from '../functions/aws/member-states.ts';
import { OrganizationUnitAccounts } from '../functions/aws/organization-members.ts';
import type { ServicePlace } from '../functions/core/connection.ts';
import { fleetMemberSource } from '../functions/gate/fleet-members.ts';
import type { FleetSettings, GateConfig } from '../functions/shared/config.ts';
import { type FleetFlags, fleetOf, hasMembers } from './fleet-settings.ts';
import { fleetStatus, type MemberStatus } from './fleet-status.ts';
import { type GateTarget, type TargetFlags, withTarget } from './gate-target.ts';

export interface FleetMembers {
  settings: FleetSettings;
  /** Every member's managed services behind the gate's one port, each call routed to its member. */
  endpointServices: FleetEndpointServices;
  /** `plgate fleet`'s rows, looked at now. */
  status(onMember?: (place: ServicePlace) => void): Promise<MemberStatus[]>;
  /** Closes the member clients. */
  close(): void;
}

export interface FleetMembersOptions {
  /** Who asks, for CloudTrail in the member (the role session's name). */
  sessionName: string;
  /** Endpoint (the local cloud's edge) and, where the default chain is not the caller, credentials for STS. */
  clientOptions?: Omit<ClientOptions, 'region'>;
  /** With organizational units: the caller's Organizations client, to list the units' accounts. */
  organizations?: OrganizationsClient;
  /** Where a failed unit listing is warned about (default: nowhere). */
  warnings?: AdapterLogger;
}

const nothing = (): void => {};
/** The adapters' warnings on stderr, with their fields: a command's, not a person's output. */
export const stderrWarnings: AdapterLogger = {
  debug: nothing,
  info: nothing,
  error: nothing,
  warn: (message: unknown, ...data: unknown[]) => {
    process.stderr.write(
      `plgate: ${String(message)}${data.length > 0 ? ` ${JSON.stringify(data[0])}` : ''}\n`,
    );
  },
};

/**
 * The hub's members as it would find them now: the listed ones, and its units' accounts in the
 * fleet's regions (asked of Organizations each time, kept 5 minutes). A unit listing that fails
 * is warned about and leaves the listed members.
 */
export function fleetMembersNow(
  fleet: FleetSettings,
  organizations: OrganizationsClient | undefined,
  warnings: AdapterLogger = quietLogger,
): () => Promise<ServicePlace[]> {
  const units =
    fleet.organizationalUnits.length > 0 && organizations !== undefined
      ? new OrganizationUnitAccounts(organizations, fleet.organizationalUnits, { logger: warnings })
      : undefined;
  return fleetMemberSource(fleet, units);
}

/** Where a command's member calls go: AWS_ENDPOINT_URL (plgate local) or AWS's own endpoints. */
export function memberClientOptions(env: NodeJS.ProcessEnv = process.env): Omit<ClientOptions, 'region'> {
  const endpoint = env.AWS_ENDPOINT_URL;
  return endpoint ? { endpoint } : {};
}

export function reachFleet(
  gate: { clients: Pick<AwsClients, 'dynamodb'>; config: Pick<GateConfig, 'ledgerTable'> },
  settings: FleetSettings,
  options: FleetMembersOptions,
): FleetMembers {
  const clientOptions = options.clientOptions ?? {};
  const credentials = new MemberCredentials({
    externalId: settings.externalId,
    spokeRoleName: settings.spokeRoleName,
    sessionName: options.sessionName,
    clientOptions,
  });
  const { credentials: _caller, ...ec2Options } = clientOptions;
  const ec2 = new MemberEc2({
    credentials,
    pacing: new MemberPacing(),
    clientOptions: ec2Options,
    endpointServices: { retry: GATE_UNSUCCESSFUL_RETRY },
  });
  const states = new DynamoMemberStates(gate.clients.dynamodb, gate.config.ledgerTable);
  const members = fleetMembersNow(settings, options.organizations, options.warnings);
  return {
    settings,
    endpointServices: new FleetEndpointServices({
      members,
      ec2,
      spokeRoleName: settings.spokeRoleName,
    }),
    status: async (onMember) =>
      fleetStatus(await members(), {
        credentials,
        ec2For: ({ account, region }) => ec2.clientFor(account, region),
        endpointServicesFor: ({ account, region }) => ec2.endpointServicesFor(account, region),
        recorded: (places) => states.states(places),
        ...(onMember ? { onMember } : {}),
      }),
    close: () => {
      ec2.destroy();
      credentials.destroy();
    },
  };
}

/** The target, with its fleet's members when it is a hub (FLEET_* or the stack config); as it is otherwise. */
export function withFleetMembers(
  target: GateTarget,
  fleet: FleetSettings | undefined,
  options: FleetMembersOptions,
): GateTarget {
  if (!hasMembers(fleet)) return target;
  const members = reachFleet(target, fleet, options);
  return {
    ...target,
    fleet: members,
    close: () => {
      members.close();
      target.close();
    },
  };
}

/** withTarget for a command that finds endpoints in a hub's members by itself. */
export function withFleetTarget<T>(
  flags: TargetFlags & FleetFlags,
  sessionName: string,
  run: (target: GateTarget) => Promise<T>,
): Promise<T> {
  const fleet = fleetOf(flags);
  return withTarget(flags, (target) =>
    run(
      withFleetMembers(target, fleet, {
        sessionName,
        clientOptions: memberClientOptions(),
        organizations: target.clients.organizations,
        warnings: stderrWarnings,
      }),
    ),
  );
}
