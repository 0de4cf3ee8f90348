/**
 * `node --import tsx local/cloudformation/synthesize-main.ts [ACCOUNT REGION]`: prints the
 * directory of the gate's app synthesized without bundling, as `plgate local` deploys it
 * (synthesized now, or reused from the cache while nothing it is built from changed).
 */

import { PROJECT_ROOT } from '../gate.ts';
import { cachedGateAssembly } from './deploy-assembly.ts';

const [account = '000000000000', region = 'us-east-1'] = process.argv.slice(2);
process.stdout.write(`${await cachedGateAssembly(account, region, PROJECT_ROOT)}\n`);
