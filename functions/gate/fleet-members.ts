/**
 * Who a hub's members are: its listed members, and every account of its organizational units
 * in each of the fleet's regions (where the StackSet deploys their spokes). One entry per
 * account and region, in a stable order: the listed members as configured, then the units'
 * accounts in ascending order, each in the fleet's regions as configured.
 */
import type { ServicePlace } from '../core/connection.ts';

export function fleetMembers(
  listed: readonly ServicePlace[],
  unitAccounts: readonly string[],
  regions: readonly string[],
): ServicePlace[] {
  const members = new Map<string, ServicePlace>();
  const add = (account: string, region: string): void => {
    const key = `${account}:${region}`;
    if (!members.has(key)) members.set(key, { account, region });
  };
  for (const { account, region } of listed) add(account, region);
  for (const account of [...unitAccounts].sort()) {
    for (const region of regions) add(account, region);
  }
  return [...members.values()];
}

/** The units' accounts, as the Organizations adapter keeps them (never throws). */
export interface UnitAccounts {
  accounts(): Promise<readonly string[]>;
}

/** The members as a source to ask each time (the units' accounts change while a container lives). */
export function fleetMemberSource(
  fleet: { members: readonly ServicePlace[]; regions: readonly string[] },
  units: UnitAccounts | undefined,
): () => Promise<ServicePlace[]> {
  return async () => fleetMembers(fleet.members, units ? await units.accounts() : [], fleet.regions);
}
