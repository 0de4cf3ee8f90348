/** The Fleet page's rows: `plgate fleet`'s, looked at each time the page asks (cli/fleet-status.ts). */
import type { FleetMembers } from '../../cli/fleet-members.ts';
import { type MemberStatus, memberCells } from '../../cli/fleet-status.ts';
import type { FleetMemberRow, FleetView } from './gate-view.ts';

export function memberRow(status: MemberStatus): FleetMemberRow {
  return {
    account: status.account,
    region: status.region,
    healthy: status.healthy,
    cells: memberCells(status),
  };
}

export function fleetView(members: Pick<FleetMembers, 'status'>): FleetView {
  return { members: async () => (await members.status()).map(memberRow) };
}
