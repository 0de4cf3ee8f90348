/**
 * The rows of `plgate fleet`, one per member account and region, as the hub would find it now:
 * whether its spoke role can be assumed (with the hub's external id), whether accepting is
 * allowed (a DryRun AcceptVpcEndpointConnections on one of its managed services), its managed
 * services and waiting requests, and from the hub's records (the ledger table's member items,
 * written by ingest and the sweep) its last event, last sweep, recorded health and the EC2
 * attempts the hub's functions had throttled there this UTC hour. The console's
 * Fleet page shows the same rows, worded by the same `memberCells`.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { Ec2EndpointServices } from '../functions/aws/endpoint-services.ts';
import type { MemberCredentials } from '../functions/aws/member-credentials.ts';
import { probeAccept } from '../functions/aws/member-probe.ts';
import { type MemberState, throttleHourOf } from '../functions/aws/member-states.ts';
import type { ServicePlace } from '../functions/core/connection.ts';
import type { EndpointServices } from '../functions/gate/ports.ts';

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
  /**
   * EC2 attempts the hub's functions had throttled in the member in the UTC hour of
   * `throttledHour`, this hour or the one before (so a count is not lost at the turn of an
   * hour); 0 when none was counted then; undefined when the records could not be read.
   */
  throttledCalls?: number;
  /** `YYYY-MM-DDTHH`, the UTC hour `throttledCalls` is for. */
  throttledHour?: string;
  healthy: boolean;
}

export interface FleetStatusDeps {
  credentials: Pick<MemberCredentials, 'credentialsFor'>;
  /** The member region's EC2 client, with the spoke role's credentials. */
  ec2For: (place: ServicePlace) => EC2Client;
  endpointServicesFor?: (place: ServicePlace, ec2: EC2Client) => EndpointServices;
  recorded: (places: ServicePlace[]) => Promise<MemberState[]>;
  /** Told as each member is looked at (the CLI's progress line). */
  onMember?: (place: ServicePlace) => void;
  /** The clock, for the hour throttled calls are counted in (default: now). */
  now?: () => Date;
}

/** One row per member region; a member is healthy when its role is assumable, accepting is not refused and the hub did not record it unhealthy. */
export async function fleetStatus(members: ServicePlace[], deps: FleetStatusDeps): Promise<MemberStatus[]> {
  const states = await deps.recorded(members).catch(() => undefined);
  const recorded = new Map((states ?? []).map((s) => [`${s.account}:${s.region}`, s]));
  const now = (deps.now ?? (() => new Date()))();
  const recentHours = new Set([throttleHourOf(now), throttleHourOf(new Date(now.getTime() - 3_600_000))]);
  const rows: MemberStatus[] = [];
  for (const member of members) {
    deps.onMember?.(member);
    const record = recorded.get(`${member.account}:${member.region}`);
    const base = {
      ...member,
      managedServices: 0,
      waitingRequests: 0,
      ...(record?.healthy === undefined ? {} : { recordedHealthy: record.healthy }),
      ...(record?.reason === undefined ? {} : { recordedReason: record.reason }),
      ...(record?.lastEventAt === undefined ? {} : { lastEventAt: record.lastEventAt }),
      ...(record?.lastSweepAt === undefined ? {} : { lastSweepAt: record.lastSweepAt }),
      ...(states === undefined ? {} : throttledOf(record, recentHours)),
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

function throttledOf(
  record: MemberState | undefined,
  recentHours: ReadonlySet<string>,
): Pick<MemberStatus, 'throttledCalls' | 'throttledHour'> {
  const { throttledCalls, throttledHour } = record ?? {};
  if (throttledCalls === undefined || throttledHour === undefined || !recentHours.has(throttledHour))
    return { throttledCalls: 0 };
  return { throttledCalls, throttledHour };
}

/** The columns of `plgate fleet`'s table, and of the console's Fleet page. */
export const MEMBER_COLUMNS = [
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
] as const;

export type MemberCells = Record<(typeof MEMBER_COLUMNS)[number], string>;

const when = (iso: string | undefined): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

/** A member's row in words, as `plgate fleet` prints it. */
export function memberCells(row: MemberStatus): MemberCells {
  return {
    account: row.account,
    region: row.region,
    role: row.roleAssumable ? 'assumable' : 'NOT assumable',
    accept: row.acceptAllowed === undefined ? '-' : row.acceptAllowed ? 'allowed' : 'REFUSED',
    services: String(row.managedServices),
    waiting: String(row.waitingRequests),
    'last event': when(row.lastEventAt),
    'last sweep': when(row.lastSweepAt),
    throttled: row.throttledCalls === undefined ? '-' : String(row.throttledCalls),
    health: row.healthy
      ? 'healthy'
      : `UNHEALTHY${row.problem ? `: ${row.problem}` : row.recordedReason ? `: ${row.recordedReason}` : ''}`,
  };
}
