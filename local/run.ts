/**
 * `plgate local` without the command line: start the local cloud, then the gate
 * in the same process, plugged in through `StartGate`.
 */
import { type LocalCloud, startLocalCloud } from './cloud.ts';
import type { FaultOptions } from './faults.ts';
import type { FleetMemberRegion } from './fleet/members.ts';

export interface LocalRunOptions {
  port: number;
  host: string;
  /** The provider account. */
  account: string;
  region: string;
  /**
   * A synthesized cloud assembly to deploy, its functions run from the bundles in it;
   * absent: the gate's app synthesized in process, its functions run from source.
   */
  assemblyDir?: string;
  /** A fleet: the hub's member regions, each with a spoke stack deployed into its account and region. */
  fleet?: FleetMemberRegion[];
  /** Rule files to load into the rules table. */
  rulesDir?: string;
  sweepIntervalMs: number;
  acceptDelayMs: number;
  deleteDelayMs: number;
  /** Keep all state here across restarts; in memory when absent. */
  dataDir?: string;
  /** Faults to inject into the gate's calls and deliveries (`--faults`). */
  faults?: FaultOptions;
  demo: boolean;
  once: boolean;
  /** Diagnostics of the cloud (failed deliveries, dropped notifications). */
  log: (line: string) => void;
  /** What the user should see (decisions in the demo, where the cloud listens). */
  print: (line: string) => void;
}

/** The running gate, as `StartGate` hands it back. */
export interface GateHandle {
  stop(): Promise<void>;
  /** With --demo: resolves when the demo is done (--once exits then). */
  done?: Promise<void>;
}

export type StartGate = (cloud: LocalCloud, options: LocalRunOptions) => Promise<GateHandle | undefined>;

export interface LocalRun {
  cloud: LocalCloud;
  gate: GateHandle | undefined;
  /** Resolves when a --once run has nothing left to do; never otherwise. */
  finished: Promise<void>;
  stop(): Promise<void>;
}

export class LocalRunError extends Error {
  override name = 'LocalRunError';
}

function isAddressInUse(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'EADDRINUSE';
}

/** Starts the cloud, then the gate (`start`, see local/start-gate.ts) in the same process. */
export async function runLocal(options: LocalRunOptions, start: StartGate): Promise<LocalRun> {
  let cloud: LocalCloud;
  try {
    cloud = await startLocalCloud({
      port: options.port,
      host: options.host,
      account: options.account,
      region: options.region,
      acceptDelayMs: options.acceptDelayMs,
      deleteDelayMs: options.deleteDelayMs,
      log: options.log,
      // The template's schedules fire at --sweep-interval; functions log warnings and errors
      // only unless POWERTOOLS_LOG_LEVEL says otherwise (local-only settings, listed at start).
      scheduleIntervalMs: options.sweepIntervalMs,
      functionEnvironment: { POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN' },
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.faults === undefined ? {} : { faults: options.faults }),
    });
  } catch (error) {
    if (isAddressInUse(error)) {
      throw new LocalRunError(
        `port ${options.port} on ${options.host} is already in use (another plgate local, or LocalStack?); choose another with --port`,
        { cause: error },
      );
    }
    throw error;
  }
  let gate: GateHandle | undefined;
  try {
    gate = await start(cloud, options);
  } catch (error) {
    await cloud.stop();
    throw new LocalRunError(
      `the gate did not start: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await gate?.stop();
      } finally {
        await cloud.stop();
      }
    })();
    return stopping;
  };
  const finished = options.once
    ? (gate?.done ?? Promise.resolve()).then(() => cloud.idle())
    : new Promise<void>(() => {});
  return { cloud, gate, finished, stop };
}

/** What the edge port answers (local/registry.ts), as a user would look for it. */
export const SERVED_APIS = [
  'EC2 (PrivateLink)',
  'DynamoDB',
  'SNS',
  'SQS',
  'EventBridge',
  'Lambda',
  'API Gateway HTTP APIs (at /_aws/execute-api/<api id>/)',
  'CloudFormation (stacks)',
  'STS',
].join(', ');

/** The lines that tell a user how to point AWS clients at the cloud. */
export function connectionHelp(cloud: LocalCloud): string[] {
  return [
    `local cloud listening on ${cloud.endpoint} (provider account ${cloud.account}, region ${cloud.region})`,
    `serving: ${SERVED_APIS}`,
    'as the provider:',
    `  export AWS_ENDPOINT_URL=${cloud.endpoint} AWS_REGION=${cloud.region} AWS_DEFAULT_REGION=${cloud.region}`,
    '  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test',
    'as a consumer, use a 12-digit account id as the access key id:',
    '  export AWS_ACCESS_KEY_ID=111111111111 AWS_SECRET_ACCESS_KEY=test',
    `aws CLI: aws --endpoint-url ${cloud.endpoint} ec2 describe-vpc-endpoint-connections`,
    `captured SNS messages: ${cloud.endpoint}/_plgate/sns-messages`,
  ];
}
