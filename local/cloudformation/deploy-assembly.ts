/**
 * Deploys every stack of a cloud assembly onto the local cloud, in order, each into the
 * account and region its manifest names (the cloud's own where it names none), with each
 * function's code found as `code` says and API URLs in outputs rewritten to the cloud's.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalCloud } from '../cloud.ts';
import { type Assembly, type CodeSource, functionCode, localApiUrl } from './assembly.ts';
import type { TemplatePlan } from './deployer.ts';
import type { StackRecord } from './stacks.ts';

export interface DeployedStack {
  stack: StackRecord;
  plan: TemplatePlan;
}

export async function deployAssembly(
  cloud: LocalCloud,
  assembly: Assembly,
  options: { code: CodeSource; projectRoot: string },
): Promise<DeployedStack[]> {
  const { deployer } = cloud.registry.cloudformation;
  const deployed: DeployedStack[] = [];
  for (const stack of assembly.stacks) {
    const plan = deployer.plan(stack.template);
    const record = await deployer.deploy({
      stackName: stack.stackName,
      account: stack.account ?? cloud.account,
      region: stack.region ?? cloud.region,
      template: stack.template,
      prepare: functionCode(stack, options.code, options.projectRoot),
      localizeOutput: localApiUrl(cloud.endpoint),
    });
    deployed.push({ stack: record, plan });
  }
  return deployed;
}

/**
 * Synthesizes the gate's CDK app in this process without bundling (the functions run from
 * source), for the cloud's account and region, into a new temporary directory.
 */
export async function synthesizeGate(
  account: string,
  region: string,
  outdir = mkdtempSync(join(tmpdir(), 'plgate-assembly-')),
): Promise<string> {
  const { buildGateApp } = await import('../../infra/gate-app.ts');
  const { app } = buildGateApp({
    nag: false,
    env: { account, region },
    context: { 'aws:cdk:bundling-stacks': [] },
    outdir,
  });
  app.synth();
  return outdir;
}
