/**
 * `node --import tsx local/cloudformation/synthesize-main.ts [ACCOUNT REGION]`: prints the
 * directory of the gate's app synthesized without bundling, as `plgate local` deploys it
 * (synthesized now, or reused from the cache while nothing it is built from changed).
 */

import { PROJECT_ROOT } from '../gate.ts';
import { cachedGateAssembly } from './deploy-assembly.ts';

const args = process.argv.slice(2);
const [account = '000000000000', region = 'us-east-1'] = args;

function problemWithArguments(): string | undefined {
  if (args.length > 2) return `takes at most ACCOUNT and REGION, got ${JSON.stringify(args)}`;
  if (!/^\d{12}$/.test(account)) return `ACCOUNT: must be 12 digits, got ${JSON.stringify(account)}`;
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    return `REGION: must be a region name such as us-east-1, got ${JSON.stringify(region)}`;
  return undefined;
}

const problem = problemWithArguments();
if (problem !== undefined) {
  process.stderr.write(`synthesize-main.ts: ${problem}\n`);
  process.exit(2);
}
process.stdout.write(`${await cachedGateAssembly(account, region, PROJECT_ROOT)}\n`);
