/**
 * A hub's fleet members as a command (or the console) reaches them: with the caller's own
 * credentials, which the spoke roles must trust as they trust the hub's functions. One set of
 * member clients (the spoke role's credentials cached per member and region, one EC2 client
 * per member region) behind both the routing port the gate decides through
 * (FleetEndpointServices: `connections`, `explain`, `approve` and `deny` find an endpoint's
 * member by themselves, as the operator function does) and `plgate fleet`'s rows.
 */
import { GATE_UNSUCCESSFUL_RETRY } from '../functions/aws/call-budget.ts';
import type { ClientOptions } from '../functions/aws/client-config.ts';
import type { AwsClients } from '../functions/aws/clients.ts';
import { FleetEndpointServices } from '../functions/aws/fleet-endpoint-services.ts';
import { MemberCredentials } from '../functions/aws/member-credentials.ts';
import { MemberEc2 } from '../functions/aws/member-ec2.ts';
import { MemberPacing } from '../functions/aws/member-pacing.ts';
import { DynamoMemberStates } from '../functions/aws/member-states.ts';
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
  return {
    settings,
    endpointServices: new FleetEndpointServices({
      members: () => settings.members,
      ec2,
      spokeRoleName: settings.spokeRoleName,
    }),
    status: (onMember) =>
      fleetStatus(settings.members, {
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
    run(withFleetMembers(target, fleet, { sessionName, clientOptions: memberClientOptions() })),
  );
}
