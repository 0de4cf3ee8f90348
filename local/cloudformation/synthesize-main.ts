/**
 * `node --import tsx local/cloudformation/synthesize-main.ts [ACCOUNT REGION [FLEET]]`: prints
 * the directory of the gate's app synthesized without bundling, as `plgate local` deploys it
 * (synthesized now, or reused from the cache while nothing it is built from changed). FLEET
 * (`111111111111:us-east-1,…`, as `--fleet` takes it) makes it a hub with those spokes.
 */

import { type FleetMemberRegion, FleetMembersError, parseFleetMembers } from '../fleet/members.ts';
import { PROJECT_ROOT } from '../gate.ts';
import { cachedGateAssembly } from './deploy-assembly.ts';

const args = process.argv.slice(2);
const [account = '000000000000', region = 'us-east-1', fleetSpec] = args;
let fleet: FleetMemberRegion[] = [];

function problemWithArguments(): string | undefined {
  if (args.length > 3) return `takes at most ACCOUNT, REGION and FLEET, got ${JSON.stringify(args)}`;
  if (!/^\d{12}$/.test(account)) return `ACCOUNT: must be 12 digits, got ${JSON.stringify(account)}`;
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    return `REGION: must be a region name such as us-east-1, got ${JSON.stringify(region)}`;
  if (fleetSpec !== undefined) {
    try {
      fleet = parseFleetMembers(fleetSpec);
    } catch (error) {
      if (error instanceof FleetMembersError) return `FLEET: ${error.message}`;
      throw error;
    }
  }
  return undefined;
}

const problem = problemWithArguments();
if (problem !== undefined) {
  process.stderr.write(`synthesize-main.ts: ${problem}\n`);
  process.exit(2);
}
process.stdout.write(`${await cachedGateAssembly(account, region, PROJECT_ROOT, fleet)}\n`);
