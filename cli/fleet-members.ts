/**
 * A hub's fleet members as a command (or the console) reaches them: with the caller's own
 * credentials, which the spoke roles trust when the stack config names the caller among
 * `fleet.operators`. One reach into the fleet (functions/aws/fleet-reach.ts, as the hub's
 * functions build it) behind both the routing port the gate decides through
 * (FleetEndpointServices: `connections`, `explain`, `approve` and `deny` find an endpoint's
 * member by themselves, as the operator function does) and `plgate fleet`'s rows.
 */
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { ClientOptions } from '../functions/aws/client-config.ts';
import type { AwsClients } from '../functions/aws/clients.ts';
import type { FleetEndpointServices } from '../functions/aws/fleet-endpoint-services.ts';
import { reachFleetMembers } from '../functions/aws/fleet-reach.ts';
import type { AdapterLogger } from '../functions/aws/logger.ts';
import type { ServicePlace } from '../functions/core/connection.ts';
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
  const reach = reachFleetMembers(settings, {
    sessionName: options.sessionName,
    dynamodb: gate.clients.dynamodb,
    ledgerTable: gate.config.ledgerTable,
    ...(options.clientOptions === undefined ? {} : { clientOptions: options.clientOptions }),
    ...(options.organizations === undefined ? {} : { organizations: options.organizations }),
    ...(options.warnings === undefined ? {} : { unitsLogger: options.warnings }),
  });
  const { credentials, ec2, members, memberStates } = reach;
  return {
    settings,
    endpointServices: reach.services,
    status: async (onMember) =>
      fleetStatus(await members(), {
        credentials,
        ec2For: ({ account, region }) => ec2.clientFor(account, region),
        endpointServicesFor: ({ account, region }) => ec2.endpointServicesFor(account, region),
        recorded: (places) => memberStates.states(places),
        ...(onMember ? { onMember } : {}),
      }),
    close: () => {
      ec2.destroy();
      credentials.destroy();
    },
  };
}

/** The target, with its fleet's members when it is a hub (fleetOf); as it is otherwise. */
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

/**
 * withTarget for a command that finds endpoints in a hub's members by itself: the fleet is
 * read once the target is found, as its stack's outputs may say it (fleetOf).
 */
export function withFleetTarget<T>(
  flags: TargetFlags & FleetFlags,
  sessionName: string,
  run: (target: GateTarget) => Promise<T>,
): Promise<T> {
  return withTarget(flags, async (target) => {
    const hub = withFleetMembers(target, fleetOf(flags, process.env, target.stackOutputs), {
      sessionName,
      clientOptions: memberClientOptions(),
      organizations: target.clients.organizations,
      warnings: stderrWarnings,
    });
    try {
      return await run(hub);
    } finally {
      // withTarget closes the target's own clients.
      hub.fleet?.close();
    }
  });
}
