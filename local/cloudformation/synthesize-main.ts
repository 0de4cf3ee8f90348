/**
 * `node --import tsx local/cloudformation/synthesize-main.ts OUTDIR [ACCOUNT REGION]`: the
 * gate's app synthesized without bundling into OUTDIR, as `plgate local` does in process
 * (tests synthesize once per run with it and deploy the result many times).
 */
import { synthesizeGate } from './deploy-assembly.ts';

const [outdir, account = '000000000000', region = 'us-east-1'] = process.argv.slice(2);
if (outdir === undefined) {
  process.stderr.write('usage: synthesize-main.ts OUTDIR [ACCOUNT REGION]\n');
  process.exitCode = 2;
} else {
  await synthesizeGate(account, region, outdir);
}
