/**
 * The gate on the local cloud, as CloudFormation deployed it: a cloud assembly's stacks
 * (`--stack DIR`, the bundles as they are) or the gate's app synthesized in process (the
 * handlers from source), and a handle on what the deployed stack made: its outputs, its
 * functions by handler, and what tests and demos need that the cloud (not the functions)
 * does for them: run the schedule now, move the clock, read a dead-letter queue.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { GateConfig } from '../functions/shared/config.ts';
import {
  DEFAULT_STACK_NAME,
  type FleetSettings,
  readConfig,
  readFleetSettings,
} from '../functions/shared/config.ts';
import { SOURCE_METADATA_KEY } from '../infra/source-metadata.ts';
import type { LocalCloud } from './cloud.ts';
import { type CodeSource, readAssembly } from './cloudformation/assembly.ts';
import { cachedGateAssembly, type DeployedStack, deployAssembly } from './cloudformation/deploy-assembly.ts';
import type { StackRecord, StackResourceRecord } from './cloudformation/stacks.ts';
import type { FleetMemberRegion } from './fleet/members.ts';
import { GATE_HANDLERS, type GateHandler } from './lambda/prebuild.ts';
import { migrateHandWiredTables } from './migrations/hand-wired-tables.ts';

/** The project root: where the handlers' sources are (for an assembly synthesized without bundling). */
export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

export class GateDeployError extends Error {
  override name = 'GateDeployError';
}

export interface LocalGate {
  stack: StackRecord;
  /** The names the stack's outputs give (what `--stack NAME` reads). */
  config: GateConfig;
  /** A hub's fleet as its functions read it (their FLEET_* variables); undefined: a stack of one. */
  fleet: FleetSettings | undefined;
  /** The register URL output, as the local cloud serves it. */
  registerUrl: string;
  /** Each handler's function, by physical name. */
  functionNames: Record<GateHandler, string>;
  /** Every stack deployed (a fleet has more than one) with what each does locally. */
  deployed: DeployedStack[];
  /** Runs the sweep now, as the schedule rule would invoke it, and returns its report. */
  sweepNow(): Promise<unknown>;
  /** Bodies of the messages in the decide queue's dead-letter queue. */
  decideDeadLetters(): string[];
}

export interface DeployGateOptions {
  /** A synthesized cloud assembly; absent: the gate's app synthesized in process. */
  assemblyDir?: string;
  /**
   * Where functions' code comes from: the assembly's bundles (default with `assemblyDir`) or
   * the handlers' sources (default without; an assembly synthesized without bundling).
   */
  code?: CodeSource;
  stackName?: string;
  log?: (line: string) => void;
  /**
   * Without `assemblyDir`: synthesize a hub for these member regions, with a spoke stack for
   * each, deployed into its account and region (the hub in the cloud's account and region).
   */
  fleet?: readonly FleetMemberRegion[];
}

/** Deploys the gate's assembly onto the cloud and returns a handle on the gate stack. */
export async function deployGate(cloud: LocalCloud, options: DeployGateOptions = {}): Promise<LocalGate> {
  const code = options.code ?? (options.assemblyDir === undefined ? 'source' : 'bundles');
  const assemblyDir =
    options.assemblyDir ??
    (await cachedGateAssembly(cloud.account, cloud.region, PROJECT_ROOT, options.fleet ?? []));
  const deployed = await deployAssembly(cloud, readAssembly(assemblyDir), {
    code,
    projectRoot: PROJECT_ROOT,
  });
  const stackName = options.stackName ?? DEFAULT_STACK_NAME;
  const gate = deployed.find((d) => d.stack.name === stackName)?.stack;
  if (gate === undefined)
    throw new GateDeployError(
      `the assembly has no stack named ${stackName} (it has ${deployed.map((d) => d.stack.name).join(', ')})`,
    );
  const functionNames = functionsByHandler(gate);
  const config = configOf(gate, functionNames.decide);
  if (cloud.restoredFromVersion !== undefined && cloud.restoredFromVersion < 3) {
    await migrateHandWiredTables(
      cloud.registry.dynamodb,
      { rules: config.rulesTable, ledger: config.ledgerTable },
      options.log ?? (() => {}),
    );
  }
  return {
    stack: gate,
    config,
    fleet: readFleetSettings(decideEnvironment(gate, functionNames.decide)),
    registerUrl: outputOf(gate, 'RegisterUrl') ?? '',
    functionNames,
    deployed,
    sweepNow: () => sweepNow(cloud, gate, functionNames.sweep),
    decideDeadLetters: () => decideDeadLetters(cloud, gate, functionNames.decide),
  };
}

function outputOf(stack: StackRecord, key: string): string | undefined {
  return stack.outputs.find((output) => output.key === key)?.value;
}

function resourcesOf(stack: StackRecord, type: string): StackResourceRecord[] {
  return Object.values(stack.resources).filter((resource) => resource.type === type);
}

function functionsByHandler(stack: StackRecord): Record<GateHandler, string> {
  const names: Partial<Record<GateHandler, string>> = {};
  for (const resource of resourcesOf(stack, 'AWS::Lambda::Function')) {
    const source = stack.template.Resources[resource.logicalId]?.Metadata?.[SOURCE_METADATA_KEY];
    const handler =
      typeof source === 'string' ? /functions\/handlers\/([a-z-]+)\.ts$/.exec(source)?.[1] : undefined;
    if (handler !== undefined) names[handler as GateHandler] = resource.physicalId;
  }
  const missing = GATE_HANDLERS.filter((handler) => names[handler] === undefined);
  if (missing.length > 0)
    throw new GateDeployError(
      `${stack.name} has no function for ${missing.join(', ')} (by their ${SOURCE_METADATA_KEY} metadata)`,
    );
  return names as Record<GateHandler, string>;
}

/** The gate's names as its functions see them: the decide function's environment. */
function configOf(stack: StackRecord, decideName: string): GateConfig {
  return readConfig(decideEnvironment(stack, decideName));
}

/** The decide function's environment, as the stack deployed it. */
function decideEnvironment(stack: StackRecord, decideName: string): Record<string, string> {
  const decide = resourcesOf(stack, 'AWS::Lambda::Function').find((r) => r.physicalId === decideName);
  const variables = (decide?.properties.Environment as { Variables?: Record<string, string> } | undefined)
    ?.Variables;
  return variables ?? {};
}

/** The rule with a schedule that targets the sweep: what it would deliver, delivered now. */
async function sweepNow(cloud: LocalCloud, stack: StackRecord, sweepName: string): Promise<unknown> {
  const sweepArn = `arn:aws:lambda:${stack.region}:${stack.account}:function:${sweepName}`;
  const schedule = resourcesOf(stack, 'AWS::Events::Rule').find(
    (rule) =>
      typeof rule.properties.ScheduleExpression === 'string' &&
      ((rule.properties.Targets as { Arn?: string }[] | undefined) ?? []).some((t) => t.Arn === sweepArn),
  );
  if (schedule === undefined)
    throw new GateDeployError(`${stack.name} has no schedule rule that targets ${sweepName}`);
  const ruleArn = String(schedule.attributes.Arn);
  const event = {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: stack.account,
    time: new Date(cloud.clock.now()).toISOString(),
    region: stack.region,
    resources: [ruleArn],
    detail: {},
  };
  const result = await cloud.registry.lambda.invoke(sweepArn, event, {
    kind: 'service',
    principal: 'events.amazonaws.com',
    sourceArn: ruleArn,
    sourceAccount: stack.account,
  });
  if (!result.ok) throw new GateDeployError(`the sweep failed: ${result.errorType}: ${result.errorMessage}`);
  return result.payload;
}

/** The decide queue (what decide's event source mapping reads) and its redrive target's messages. */
function decideDeadLetters(cloud: LocalCloud, stack: StackRecord, decideName: string): string[] {
  const mapping = resourcesOf(stack, 'AWS::Lambda::EventSourceMapping').find(
    (m) => m.properties.FunctionName === decideName,
  );
  const queue = resourcesOf(stack, 'AWS::SQS::Queue').find(
    (q) => q.attributes.Arn === mapping?.properties.EventSourceArn,
  );
  const deadLetterArn = (queue?.properties.RedrivePolicy as { deadLetterTargetArn?: string } | undefined)
    ?.deadLetterTargetArn;
  if (deadLetterArn === undefined) return [];
  return cloud.registry.sqs.peek(deadLetterArn);
}
