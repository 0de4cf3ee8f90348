import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { plainLine } from '../../functions/aws/untrusted-text.ts';
import { DEFAULT_EDGE_PORT } from '../../local/edge-port.ts';
import { type FaultOptions, FaultSpecError, parseFaults } from '../../local/faults.ts';
import { type FleetMemberRegion, FleetMembersError, parseFleetMembers } from '../../local/fleet/members.ts';
import type { LocalRunOptions } from '../../local/run.ts';
import { parseDuration } from '../duration.ts';
import { UsageError } from '../exit.ts';

interface LocalFlags {
  port: string;
  host: string;
  account: string;
  region: string;
  rules?: string;
  sweepInterval: string;
  acceptDelay: string;
  deleteDelay: string;
  data?: string;
  demo?: boolean;
  once?: boolean;
  faults?: string;
  faultsSeed?: string;
  faultsFor?: string;
  stack?: string;
  fleet?: string;
}

/** `--faults SPEC [--faults-seed N] [--faults-for DURATION]`; the other two need the first. */
function faultOptions(flags: LocalFlags): FaultOptions | undefined {
  if (flags.faults === undefined) {
    const orphan =
      flags.faultsSeed !== undefined
        ? '--faults-seed'
        : flags.faultsFor !== undefined
          ? '--faults-for'
          : undefined;
    if (orphan) throw new UsageError(`${orphan} needs --faults`);
    return undefined;
  }
  let parsed: Pick<FaultOptions, 'rates' | 'aimed'>;
  try {
    parsed = parseFaults(flags.faults);
  } catch (error) {
    if (error instanceof FaultSpecError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  const options: FaultOptions = {
    rates: parsed.rates,
    ...(parsed.aimed === undefined || parsed.aimed.length === 0 ? {} : { aimed: parsed.aimed }),
  };
  if (flags.faultsSeed !== undefined) {
    if (!/^\d{1,9}$/.test(flags.faultsSeed))
      throw new UsageError(
        `--faults-seed must be a whole number from 0 to 999999999, got '${flags.faultsSeed}'`,
      );
    options.seed = Number(flags.faultsSeed);
  }
  if (flags.faultsFor !== undefined) options.forMs = parseDuration('--faults-for', flags.faultsFor);
  return options;
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new UsageError(`--port must be a port number from 0 to 65535 (0 = any free port), got '${text}'`);
  }
  return Number(text);
}

function directory(flag: string, path: string, create: boolean): string {
  const absolute = resolve(path);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch {
    if (!create) throw new UsageError(`${flag} must be an existing directory, got '${path}'`);
    try {
      mkdirSync(absolute, { recursive: true });
    } catch (error) {
      throw new UsageError(
        `${flag}: cannot create '${path}': ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return absolute;
  }
  if (!isDirectory) throw new UsageError(`${flag} must be a directory, got the file '${path}'`);
  return absolute;
}

/** `--fleet ACCOUNT:REGION,…`: the member regions, each checked (exit 2 naming the bad value). */
function fleetMembers(flags: LocalFlags): FleetMemberRegion[] | undefined {
  if (flags.fleet === undefined) return undefined;
  if (flags.stack !== undefined)
    throw new UsageError(
      '--fleet synthesizes the hub and its spokes itself: it cannot be used with --stack (synthesize a fleet config instead)',
    );
  try {
    return parseFleetMembers(flags.fleet);
  } catch (error) {
    if (error instanceof FleetMembersError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

/** `--stack DIR`: a synthesized cloud assembly (a directory with a manifest.json). */
function assemblyDirectory(path: string): string {
  const dir = directory('--stack', path, false);
  if (!existsSync(join(dir, 'manifest.json')))
    throw new UsageError(
      `--stack must be a synthesized cloud assembly (run npm run synth), but '${path}' has no manifest.json`,
    );
  return dir;
}

/** Checks every flag and turns them into run options; any bad flag is a UsageError (exit 2). */
export function localRunOptions(flags: LocalFlags, print: (line: string) => void): LocalRunOptions {
  const port = parsePort(flags.port);
  if (flags.host.trim() === '') throw new UsageError('--host must not be empty');
  if (!/^\d{12}$/.test(flags.account))
    throw new UsageError(`--account must be 12 digits, got '${flags.account}'`);
  if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(flags.region)) {
    throw new UsageError(`--region must be a region name like us-east-1, got '${flags.region}'`);
  }
  const sweepIntervalMs = parseDuration('--sweep-interval', flags.sweepInterval);
  if (sweepIntervalMs < 1000)
    throw new UsageError(`--sweep-interval must be at least 1s, got '${flags.sweepInterval}'`);
  const acceptDelayMs = parseDuration('--accept-delay', flags.acceptDelay);
  const deleteDelayMs = parseDuration('--delete-delay', flags.deleteDelay);
  const faults = faultOptions(flags);
  const fleet = fleetMembers(flags);
  return {
    port,
    host: flags.host,
    account: flags.account,
    region: flags.region,
    sweepIntervalMs,
    acceptDelayMs,
    deleteDelayMs,
    demo: flags.demo === true,
    once: flags.once === true,
    ...(flags.rules === undefined ? {} : { rulesDir: directory('--rules', flags.rules, false) }),
    ...(flags.data === undefined ? {} : { dataDir: directory('--data', flags.data, true) }),
    ...(flags.stack === undefined ? {} : { assemblyDir: assemblyDirectory(flags.stack) }),
    ...(faults === undefined ? {} : { faults }),
    ...(fleet === undefined ? {} : { fleet }),
    // One line per message, whatever a caller put into it.
    log: (line) => process.stderr.write(`plgate local: ${plainLine(line)}\n`),
    print,
  };
}

export function registerLocal(program: Command): void {
  program
    .command('local')
    .description(
      'Run the local cloud (EC2 PrivateLink, DynamoDB, SNS, EventBridge on one port) with the gate inside it',
    )
    .option('--port <port>', 'edge port; 0 picks a free one', String(DEFAULT_EDGE_PORT))
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option(
      '--account <id>',
      'provider account id (access keys that are not 12-digit ids act as it)',
      '000000000000',
    )
    .option('--region <region>', 'the provider region', 'us-east-1')
    .option(
      '--stack <dir>',
      'deploy this synthesized cloud assembly (npm run synth -> cdk.out) with its bundles; default: the app synthesized from source',
    )
    .option(
      '--fleet <members>',
      'deploy a hub for these member regions and a spoke in each: ACCOUNT:REGION,… (e.g. 111111111111:us-east-1,222222222222:eu-west-1)',
    )
    .option('--rules <dir>', 'rule files (YAML) to load into the rules table')
    .option('--sweep-interval <duration>', 'time between sweeps, e.g. 30s or PT1M', '60s')
    .option('--accept-delay <duration>', 'how long an accepted connection stays pending', '1s')
    .option('--delete-delay <duration>', 'how long a deleted endpoint stays deleting', '1s')
    .option(
      '--data <dir>',
      'keep all state (EC2, SNS, DynamoDB) in this directory across restarts (in memory by default)',
    )
    .option('--demo', 'create a service and a cast of consumers, and show each decision')
    .option(
      '--faults <spec>',
      "inject faults into the gate's calls and deliveries: name=rate,... (e.g. ec2.throttle=0.2 or all=0.1); name@ACCOUNT:REGION=rate aims one at a member",
    )
    .option('--faults-seed <n>', 'seed of the fault sequence (one seed, one run)')
    .option('--faults-for <duration>', 'stop injecting faults after this long, e.g. 40s')
    .option('--once', 'exit when the demo is done (without --demo: right after starting)')
    .action(async (flags: LocalFlags) => {
      const print = (line: string) => process.stdout.write(`${line}\n`);
      const options = localRunOptions(flags, print);
      // Without --stack the handlers run from source: esbuild bundles them while the rest loads.
      if (options.assemblyDir === undefined)
        (await import('../../local/lambda/prebuild.ts')).prebuildGateBundles();
      // Loaded here, not with the CLI: every other command starts faster without the local cloud.
      const [{ connectionHelp, runLocal }, { startGate }] = await Promise.all([
        import('../../local/run.ts'),
        import('../../local/start-gate.ts'),
      ]);
      const run = await runLocal(options, startGate);
      for (const line of connectionHelp(run.cloud)) print(line);
      let onSignal: (signal: NodeJS.Signals) => void = () => {};
      const outcome = await new Promise<{ reason: string; error?: unknown }>((done) => {
        onSignal = (signal) => done({ reason: `received ${signal}` });
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        run.finished.then(
          () => done({ reason: 'done' }),
          (error: unknown) => done({ reason: 'failed', error }),
        );
      });
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      print(`stopping (${outcome.reason})`);
      await run.stop();
      if (outcome.error !== undefined) throw outcome.error;
      print('stopped');
    });
}
