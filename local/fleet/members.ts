/**
 * `--fleet ACCOUNT:REGION,…`: the member regions a local fleet deploys a spoke into, each
 * checked, the error naming the value that is wrong.
 */

export interface FleetMemberRegion {
  account: string;
  region: string;
}

export class FleetMembersError extends Error {
  override name = 'FleetMembersError';
}

const ACCOUNT = /^[0-9]{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/;

/** Parses `111111111111:us-east-1,222222222222:us-west-2`; throws naming the bad entry. */
export function parseFleetMembers(value: string): FleetMemberRegion[] {
  if (value.trim() === '')
    throw new FleetMembersError('--fleet: expected ACCOUNT:REGION[,ACCOUNT:REGION…], got an empty value');
  const seen = new Set<string>();
  return value.split(',').map((entry) => {
    const trimmed = entry.trim();
    const parts = trimmed.split(':');
    if (parts.length !== 2)
      throw new FleetMembersError(
        `--fleet: '${trimmed}' is not ACCOUNT:REGION (e.g. 111111111111:us-east-1)`,
      );
    const [account = '', region = ''] = parts;
    if (!ACCOUNT.test(account))
      throw new FleetMembersError(`--fleet: account '${account}' in '${trimmed}' must be 12 digits`);
    if (!REGION.test(region))
      throw new FleetMembersError(`--fleet: region '${region}' in '${trimmed}' must look like us-east-1`);
    const key = `${account}:${region}`;
    if (seen.has(key)) throw new FleetMembersError(`--fleet: '${key}' is listed twice`);
    seen.add(key);
    return { account, region };
  });
}

/** The members grouped by account, in first-seen order, as the config's `fleet.members` lists them. */
export function fleetConfigMembers(
  members: readonly FleetMemberRegion[],
): { account: string; regions: string[] }[] {
  const byAccount = new Map<string, string[]>();
  for (const { account, region } of members) {
    const regions = byAccount.get(account) ?? [];
    regions.push(region);
    byAccount.set(account, regions);
  }
  return [...byAccount].map(([account, regions]) => ({ account, regions }));
}

/**
 * The `fleet` a local hub is synthesized with: the config file's (its external id, spoke role
 * name, …) with these members in place of its own, and no organizational units, so nothing of
 * their StackSet either (the local cloud deploys none, and `stackSetCallAs` is refused without
 * units). The provider's administrators (every key that is not an account id, here) act in
 * members as operators do: plgate fleet, approve, deny and the console.
 */
export function localHubFleet(
  configured: object | undefined,
  members: readonly FleetMemberRegion[],
  account: string,
): Record<string, unknown> {
  return {
    ...configured,
    members: fleetConfigMembers(members),
    organizationalUnits: [],
    stackSetCallAs: undefined,
    operators: [`arn:aws:iam::${account}:user/*`],
  };
}
