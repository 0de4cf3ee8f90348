/**
 * Which gate a command talks to: the names of its tables, topics and bus, and SDK clients
 * for them. In order: flags, the environment (the variables the Lambdas read), the outputs
 * of a deployed stack (`--stack NAME`; when AWS_ENDPOINT_URL points at `plgate local`, the
 * stack it deployed, PrivateLinkGate, unless another is named).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { type AwsClients, createClients } from '../functions/aws/clients.ts';
import { DEFAULT_STACK_NAME, ENV, type GateConfig } from '../functions/shared/config.ts';
import { PROVIDER_CREDENTIALS } from '../local/provider-credentials.ts';
import { UsageError } from './exit.ts';
import type { FleetMembers } from './fleet-members.ts';

export interface TargetFlags {
  stack?: string;
  rulesTable?: string;
  ledgerTable?: string;
  decisionsTopic?: string;
  ingestTopic?: string;
  bus?: string;
}

export interface GateTarget {
  config: GateConfig;
  clients: AwsClients;
  /** True when talking to `plgate local` (AWS_ENDPOINT_URL is set). */
  local: boolean;
  /**
   * The gate's region, as its functions see it (AWS_REGION there): where its services live,
   * as the gate judges them. With plgate local it defaults to the local cloud's region.
   */
  region?: string | undefined;
  /**
   * The outputs of the stack the gate was found by (`--stack`, or plgate local's own); undefined
   * when flags and the environment named every resource. A hub's say its fleet (fleet-settings.ts).
   */
  stackOutputs?: Readonly<Record<string, string>>;
  /** Set when the gate is a fleet's hub and the command looks at its members (fleet-members.ts). */
  fleet?: FleetMembers;
  close(): void;
}

/** CloudFormation output keys of the stack (infra/gate-stack.ts). */
const OUTPUTS: Record<keyof Omit<GateConfig, 'organizationsLookup' | 'ledgerRetentionDays'>, string> = {
  rulesTable: 'RulesTableName',
  ledgerTable: 'LedgerTableName',
  decisionsTopicArn: 'DecisionsTopicArn',
  ingestTopicArn: 'IngestTopicArn',
  gateBusName: 'GateBusName',
};
type Named = keyof typeof OUTPUTS;
const NAMED: readonly Named[] = [
  'rulesTable',
  'ledgerTable',
  'decisionsTopicArn',
  'ingestTopicArn',
  'gateBusName',
];
const FLAG: Record<Named, keyof TargetFlags> = {
  rulesTable: 'rulesTable',
  ledgerTable: 'ledgerTable',
  decisionsTopicArn: 'decisionsTopic',
  ingestTopicArn: 'ingestTopic',
  gateBusName: 'bus',
};

/** Where a command's calls go: plgate local (AWS_ENDPOINT_URL) needs no region or credentials. */
export interface CallSettings {
  local: boolean;
  region: string | undefined;
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

export function callSettings(env: NodeJS.ProcessEnv = process.env): CallSettings {
  const endpoint = env.AWS_ENDPOINT_URL;
  const local = endpoint !== undefined && endpoint !== '';
  return {
    local,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (local ? 'us-east-1' : undefined),
    // plgate local needs no credentials: any non-account key id is its provider.
    credentials: local && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE ? PROVIDER_CREDENTIALS : undefined,
  };
}

export async function resolveTarget(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<GateTarget> {
  const { local, region, credentials } = callSettings(env);
  const clients = createClients(
    { ...(region ? { region } : {}), ...(credentials ? { credentials } : {}) },
    env,
  );

  try {
    const given = (key: Named): string | undefined => flags[FLAG[key]] ?? env[ENV[key]];
    // plgate local deploys the stack as CloudFormation would: its outputs name the resources.
    const stackName =
      flags.stack ?? (local && NAMED.some((key) => !given(key)) ? DEFAULT_STACK_NAME : undefined);
    const stackOutputs = stackName ? await readStackOutputs(stackName, env) : {};
    const found = new Map<Named, string>();
    const missing: string[] = [];
    for (const key of NAMED) {
      const value = given(key) ?? stackOutputs[OUTPUTS[key]];
      if (value === undefined || value === '') missing.push(`--${kebab(FLAG[key])} (or ${ENV[key]})`);
      else found.set(key, value);
    }
    const name = (key: Named): string => found.get(key) ?? '';
    if (missing.length > 0) {
      throw new UsageError(
        `cannot tell which gate to use: give --stack NAME, or ${missing.join(', ')}; with plgate local, set AWS_ENDPOINT_URL`,
      );
    }
    return {
      config: {
        rulesTable: name('rulesTable'),
        ledgerTable: name('ledgerTable'),
        decisionsTopicArn: name('decisionsTopicArn'),
        ingestTopicArn: name('ingestTopicArn'),
        gateBusName: name('gateBusName'),
        organizationsLookup: env[ENV.organizationsLookup] === 'true',
        ledgerRetentionDays: 400,
      },
      clients,
      local,
      region,
      ...(stackName ? { stackOutputs } : {}),
      close: () => {
        for (const client of Object.values(clients)) client.destroy();
      },
    };
  } catch (error) {
    for (const client of Object.values(clients)) client.destroy();
    throw error;
  }
}

/** A stack's outputs by key, read with DescribeStacks where the command's calls go. */
export async function readStackOutputs(
  stackName: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string>> {
  const { region, credentials } = callSettings(env);
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) {
    throw new UsageError(`--stack must be a CloudFormation stack name, got '${stackName}'`);
  }
  const cloudFormation = new CloudFormationClient({
    ...(region ? { region } : {}),
    ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
    ...(credentials ? { credentials } : {}),
  });
  try {
    const { Stacks = [] } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs: Record<string, string> = {};
    for (const output of Stacks[0]?.Outputs ?? []) {
      if (output.OutputKey && output.OutputValue) outputs[output.OutputKey] = output.OutputValue;
    }
    return outputs;
  } finally {
    cloudFormation.destroy();
  }
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Runs a command body against the resolved gate and releases its clients after. */
export async function withTarget<T>(flags: TargetFlags, run: (target: GateTarget) => Promise<T>): Promise<T> {
  const target = await resolveTarget(flags);
  try {
    return await run(target);
  } finally {
    target.close();
  }
}
