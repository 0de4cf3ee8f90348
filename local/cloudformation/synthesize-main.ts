/**
 * `node --import tsx local/cloudformation/synthesize-main.ts [ACCOUNT REGION]`: prints the
 * directory of the gate's app synthesized without bundling, as `plgate local` deploys it
 * (synthesized now, or reused from the cache while nothing it is built from changed).
 */

import { PROJECT_ROOT } from '../gate.ts';
import { cachedGateAssembly } from './deploy-assembly.ts';

const [account = '000000000000', region = 'us-east-1', ...extra] = process.argv.slice(2);
const problem =
  extra.length > 0
    ? `takes at most ACCOUNT and REGION, got ${JSON.stringify(process.argv.slice(2))}`
    : !/^\d{12}$/.test(account)
      ? `ACCOUNT: must be 12 digits, got ${JSON.stringify(account)}`
      : !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)
        ? `REGION: must be a region name such as us-east-1, got ${JSON.stringify(region)}`
        : undefined;
if (problem !== undefined) {
  process.stderr.write(`synthesize-main.ts: ${problem}\n`);
  process.exit(2);
}
process.stdout.write(`${await cachedGateAssembly(account, region, PROJECT_ROOT)}\n`);
