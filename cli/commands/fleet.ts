/**
 * `plgate fleet`: each member account and region of the hub's fleet, as the hub would find it
 * now: whether its spoke role can be assumed (with the hub's external id), whether accepting
 * is allowed (a DryRun AcceptVpcEndpointConnections on one of its managed services), its
 * managed services and waiting requests, and from the hub's records (the ledger table's
 * member items, written by ingest and the sweep) its last event, last sweep and recorded health.
 * The live checks run with the caller's credentials, which the spoke roles must trust as they
 * trust the hub's functions; the recorded health is what the hub's own functions found. The
 * members are the listed ones and, with organizational units, every active account of the
 * units (Organizations, with the caller's credentials) in the fleet's regions, as the hub has them.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { Command } from 'commander';
import { clientConfig } from '../../functions/aws/client-config.ts';
import { Ec2EndpointServices } from '../../functions/aws/endpoint-services.ts';
import type { AdapterLogger } from '../../functions/aws/logger.ts';
import { MemberCredentials } from '../../functions/aws/member-credentials.ts';
import { probeAccept } from '../../functions/aws/member-probe.ts';
import { DynamoMemberStates, type MemberState } from '../../functions/aws/member-states.ts';
import { OrganizationUnitAccounts } from '../../functions/aws/organization-members.ts';
import type { ServicePlace } from '../../functions/core/connection.ts';
import { fleetMemberSource } from '../../functions/gate/fleet-members.ts';
import type { EndpointServices } from '../../functions/gate/ports.ts';
import { type FleetSettings, readFleetSettings } from '../../functions/shared/config.ts';
import { DEFAULT_SPOKE_ROLE_NAME } from '../../functions/shared/fleet.ts';
import { loadGateConfig } from '../../infra/config.ts';
import { EXIT } from '../exit.ts';
import { type TargetFlags, withTarget, withTargetOptions } from '../gate-target.ts';
import { printJson, printLine, printTable, progress } from '../output.ts';

interface FleetFlags extends TargetFlags {
  json?: boolean;
  config?: string;
  externalId?: string;
}

export interface MemberStatus {
  account: string;
  region: string;
  roleAssumable: boolean;
  /** Why the role could not be assumed or accept is not allowed. */
  problem?: string;
  /** True: DryRunOperation; false: refused; undefined: not known (no managed service to probe, or no answer). */
  acceptAllowed?: boolean;
  managedServices: number;
  waitingRequests: number;
  /** What the hub's functions recorded (ledger table member items), if anything. */
  recordedHealthy?: boolean;
  recordedReason?: string;
  lastEventAt?: string;
  lastSweepAt?: string;
  /** Throttled calls are not recorded per member yet: always undefined (shown as "-"). */
  throttledCalls?: number;
  healthy: boolean;
}

export interface FleetStatusDeps {
  credentials: Pick<MemberCredentials, 'credentialsFor'>;
  /** The member region's EC2 client, with the spoke role's credentials. */
  ec2For: (place: ServicePlace) => EC2Client;
  endpointServicesFor?: (place: ServicePlace, ec2: EC2Client) => EndpointServices;
  recorded: (places: ServicePlace[]) => Promise<MemberState[]>;
}

/** One row per member region; a member is healthy when its role is assumable, accepting is not refused and the hub did not record it unhealthy. */
export async function fleetStatus(members: ServicePlace[], deps: FleetStatusDeps): Promise<MemberStatus[]> {
  const recorded = new Map(
    (await deps.recorded(members).catch(() => [])).map((s) => [`${s.account}:${s.region}`, s]),
  );
  const rows: MemberStatus[] = [];
  for (const member of members) {
    progress(`checking ${member.account} ${member.region}…`);
    const record = recorded.get(`${member.account}:${member.region}`);
    const base = {
      ...member,
      managedServices: 0,
      waitingRequests: 0,
      ...(record?.healthy === undefined ? {} : { recordedHealthy: record.healthy }),
      ...(record?.reason === undefined ? {} : { recordedReason: record.reason }),
      ...(record?.lastEventAt === undefined ? {} : { lastEventAt: record.lastEventAt }),
      ...(record?.lastSweepAt === undefined ? {} : { lastSweepAt: record.lastSweepAt }),
    };
    try {
      await deps.credentials.credentialsFor(member.account, member.region);
    } catch (error) {
      rows.push({
        ...base,
        roleAssumable: false,
        problem: error instanceof Error ? error.message : String(error),
        healthy: false,
      });
      continue;
    }
    const ec2 = deps.ec2For(member);
    const services = (deps.endpointServicesFor ?? ((_, client) => new Ec2EndpointServices(client)))(
      member,
      ec2,
    );
    const row: MemberStatus = { ...base, roleAssumable: true, healthy: true };
    try {
      const managed = await services.listManagedServices();
      row.managedServices = managed.length;
      for (const { serviceId } of managed) {
        const connections = await services.describeConnections(serviceId);
        row.waitingRequests += connections.filter((c) => c.state === 'pendingAcceptance').length;
      }
      const [first] = managed;
      if (first !== undefined) {
        const probe = await probeAccept(ec2, first.serviceId);
        if (probe.allowed !== undefined) row.acceptAllowed = probe.allowed;
        if (probe.allowed === false) row.problem = `accept not allowed: ${probe.reason}`;
      }
    } catch (error) {
      row.problem = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      row.healthy = false;
    }
    if (row.acceptAllowed === false || row.recordedHealthy === false) row.healthy = false;
    rows.push(row);
  }
  return rows;
}

/**
 * The hub's members as it would find them now: the listed ones, and its units' accounts in the
 * fleet's regions. A unit listing that fails is warned about and leaves the listed members.
 */
export function fleetMembersNow(
  fleet: FleetSettings,
  organizations: OrganizationsClient,
  logger: AdapterLogger,
): Promise<ServicePlace[]> {
  const units =
    fleet.organizationalUnits.length > 0
      ? new OrganizationUnitAccounts(organizations, fleet.organizationalUnits, { logger })
      : undefined;
  return fleetMemberSource(fleet, units)();
}

const nothing = (): void => {};
/** The adapters' warnings, on stderr with their fields. */
const warnings: AdapterLogger = {
  debug: nothing,
  info: nothing,
  error: nothing,
  warn: (message: unknown, ...data: unknown[]) => {
    process.stderr.write(
      `plgate: ${String(message)}${data.length > 0 ? ` ${JSON.stringify(data[0])}` : ''}\n`,
    );
  },
};

/** The fleet: FLEET_* in the environment (as the hub's functions have it), else the stack config's `fleet`. */
function fleetOf(flags: FleetFlags): FleetSettings | undefined {
  const fromEnv = readFleetSettings(process.env);
  if (fromEnv) return fromEnv;
  const config = loadGateConfig({ filePath: flags.config ?? 'infra/config.json' });
  const fleet = config.fleet;
  if (fleet === undefined) return undefined;
  const externalId = flags.externalId ?? fleet.externalId;
  if (externalId === undefined) return undefined;
  return {
    members: fleet.members.flatMap(({ account, regions }) => regions.map((region) => ({ account, region }))),
    externalId,
    spokeRoleName: fleet.spokeRoleName ?? DEFAULT_SPOKE_ROLE_NAME,
    organizationalUnits: [...fleet.organizationalUnits],
    regions: [...(fleet.regions ?? [])],
  };
}

const when = (iso: string | undefined): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

export function registerFleet(program: Command): void {
  withTargetOptions(
    program
      .command('fleet')
      .description(
        "the hub's fleet: each member account and region, whether the hub can act there, what waits",
      )
      .option('--config <file>', 'the stack config with `fleet`', 'infra/config.json')
      .option('--external-id <id>', 'the external id the spoke roles require (stack output FleetExternalId)')
      .option('--json', 'print the rows as JSON'),
  ).action(async (flags: FleetFlags) => {
    const fleet = fleetOf(flags);
    if (fleet === undefined || (fleet.members.length === 0 && fleet.organizationalUnits.length === 0)) {
      if (flags.json) printJson({ fleet: false, members: [] });
      else printLine('no fleet configured: this gate manages its own account and region (a stack of one)');
      return;
    }
    const rows = await withTarget(flags, async (target) => {
      const endpoint = process.env.AWS_ENDPOINT_URL;
      const clientOptions = endpoint ? { endpoint } : {};
      const credentials = new MemberCredentials({
        externalId: fleet.externalId,
        spokeRoleName: fleet.spokeRoleName,
        sessionName: 'plgate-fleet',
        clientOptions,
      });
      const states = new DynamoMemberStates(target.clients.dynamodb, target.config.ledgerTable);
      if (fleet.organizationalUnits.length > 0) progress("listing the organizational units' accounts…");
      const members = await fleetMembersNow(fleet, target.clients.organizations, warnings);
      return fleetStatus(members, {
        credentials,
        ec2For: ({ account, region }) =>
          new EC2Client({
            ...clientConfig({ ...clientOptions, region }),
            credentials: () => credentials.credentialsFor(account, region),
          }),
        recorded: (places) => states.states(places),
      });
    });
    if (rows.some((row) => !row.healthy)) process.exitCode = EXIT.failure;
    if (flags.json) {
      printJson({ fleet: true, members: rows });
      return;
    }
    printTable(
      [
        'account',
        'region',
        'role',
        'accept',
        'services',
        'waiting',
        'last event',
        'last sweep',
        'throttled',
        'health',
      ],
      rows.map((row) => [
        row.account,
        row.region,
        row.roleAssumable ? 'assumable' : 'NOT assumable',
        row.acceptAllowed === undefined ? '-' : row.acceptAllowed ? 'allowed' : 'REFUSED',
        String(row.managedServices),
        String(row.waitingRequests),
        when(row.lastEventAt),
        when(row.lastSweepAt),
        row.throttledCalls === undefined ? '-' : String(row.throttledCalls),
        row.healthy
          ? 'healthy'
          : `UNHEALTHY${row.problem ? `: ${row.problem}` : row.recordedReason ? `: ${row.recordedReason}` : ''}`,
      ]),
    );
  });
}
