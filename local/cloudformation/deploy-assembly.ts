/**
 * Deploys every stack of a cloud assembly onto the local cloud, in order, each into the
 * account and region its manifest names (the cloud's own where it names none), with each
 * function's code found as `code` says and API URLs in outputs rewritten to the cloud's.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalCloud } from '../cloud.ts';
import { type FleetMemberRegion, localHubFleet } from '../fleet/members.ts';
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
 * The gate's app synthesized without bundling for the account and region, reused while
 * nothing it is built from changed: the sources under infra/ and functions/, the settings
 * (infra/config.json, cdk.json) and the locked dependencies. A synthesis takes seconds
 * (the CDK's import most of them); a start with nothing changed takes none of them. With
 * `fleet`, the app is a hub for those member regions, with a spoke stack for each.
 */
export async function cachedGateAssembly(
  account: string,
  region: string,
  projectRoot: string,
  fleet: readonly FleetMemberRegion[] = [],
): Promise<string> {
  const hash = createHash('sha256').update(`${account}/${region}\n`);
  // A stack of one hashes as it always did, so its cached assembly stays valid.
  if (fleet.length > 0) hash.update(`fleet ${fleet.map((m) => `${m.account}:${m.region}`).join(',')}\n`);
  const files = ['infra', 'functions']
    .flatMap((dir) =>
      readdirSync(join(projectRoot, dir), { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)),
    )
    .filter((file) => file.endsWith('.ts') || file.endsWith('.json'))
    .sort();
  for (const file of [...files, 'package-lock.json', 'cdk.json']) {
    const path = join(projectRoot, file);
    if (!existsSync(path) || statSync(path).isDirectory()) continue;
    hash.update(`${file}\n`).update(readFileSync(path));
  }
  const dir = join(tmpdir(), 'plgate-local-assemblies', hash.digest('hex').slice(0, 24));
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  const building = mkdtempSync(join(tmpdir(), 'plgate-assembly-'));
  await synthesizeGate(account, region, building, fleet);
  mkdirSync(join(tmpdir(), 'plgate-local-assemblies'), { recursive: true });
  try {
    renameSync(building, dir);
  } catch {
    // Another process finished the same synthesis first: theirs is as good.
    rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

/**
 * Synthesizes the gate's CDK app in this process without bundling (the functions run from
 * source), for the cloud's account and region, into a new temporary directory; with
 * `fleet`, the hub of those member regions (the config's `fleet.members`) and their spokes.
 */
export async function synthesizeGate(
  account: string,
  region: string,
  outdir = mkdtempSync(join(tmpdir(), 'plgate-assembly-')),
  fleet: readonly FleetMemberRegion[] = [],
): Promise<string> {
  const { buildGateApp } = await import('../../infra/gate-app.ts');
  const { loadGateConfig, parseGateConfig } = await import('../../infra/config.ts');
  const { PROJECT_ROOT } = await import('../../infra/constructs/gate-function.ts');
  const config =
    fleet.length === 0
      ? undefined
      : (() => {
          const base = loadGateConfig({ filePath: `${PROJECT_ROOT}infra/config.json` });
          return {
            ...base,
            fleet: parseGateConfig({ fleet: localHubFleet(base.fleet, fleet, account) }, 'fleet').fleet,
          };
        })();
  const { app } = buildGateApp({
    nag: false,
    ...(config === undefined ? {} : { config }),
    env: { account, region },
    context: { 'aws:cdk:bundling-stacks': [] },
    outdir,
    // CDK's own template check starts a WebAssembly engine that took 8-11 s of a 12 s synth
    // here; the deployer checks what it deploys, and `npm run synth` still runs the check.
    builtinCloudFormationValidation: false,
  });
  app.synth();
  return outdir;
}
