/**
 * The AWS CLI as an independent client in tests. It runs with a private, empty
 * config so that nothing on the machine (profiles, regions, endpoints) leaks in.
 * When `aws` is missing the suite must fail on CI and may skip, loudly, elsewhere.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliOutcome, cliPython, runInDriver } from './aws-cli-driver.ts';

export class AwsCliError extends Error {
  override name = 'AwsCliError';
  constructor(
    message: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

let version: string | undefined | null = null;
/** The AWS CLI's version line, or undefined when `aws` is not installed (asked once per process). */
export function awsCliVersion(): string | undefined {
  if (version !== null) return version;
  try {
    version = execFileSync(awsExecutable(), ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch {
    version = undefined;
  }
  return version;
}

let executable: string | undefined;
/**
 * The AWS CLI's own executable. Where `aws` on PATH is a pyenv shim (a bash script that asks
 * pyenv which Python to run), each call costs about 0.3 s of CPU more than the CLI itself,
 * and the suite makes over a hundred: so ask pyenv once where the real one is.
 */
export function awsExecutable(): string {
  if (executable !== undefined) return executable;
  try {
    const found = execFileSync('pyenv', ['which', 'aws'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    executable = found === '' ? 'aws' : found;
  } catch {
    executable = 'aws';
  }
  return executable;
}

let configDir: string | undefined;
function isolatedConfig(): { config: string; credentials: string } {
  configDir ??= mkdtempSync(join(tmpdir(), 'plgate-aws-cli-'));
  const config = join(configDir, 'config');
  const credentials = join(configDir, 'credentials');
  writeFileSync(config, '');
  writeFileSync(credentials, '');
  return { config, credentials };
}

export interface AwsCliTarget {
  endpoint: string;
  accessKeyId: string;
  region?: string;
}

/** Runs `aws <args> --output json` against the target; resolves to the parsed JSON (undefined when empty). */
export function runAws(target: AwsCliTarget, args: readonly string[]): Promise<unknown> {
  const { config, credentials } = isolatedConfig();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: target.accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'local-secret',
    AWS_DEFAULT_REGION: target.region ?? 'us-east-1',
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_MAX_ATTEMPTS: '1',
    AWS_PAGER: '',
  };
  const argv = [...args, '--endpoint-url', target.endpoint, '--output', 'json'];
  return runCli(argv, env).then(({ exitCode, stdout, stderr }) => {
    if (exitCode !== 0) {
      throw new AwsCliError(`aws ${args.join(' ')} failed: ${stderr.trim()}`, stderr, exitCode);
    }
    const text = stdout.trim();
    try {
      return text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new AwsCliError(`aws ${args.join(' ')} printed no JSON: ${text}`, stderr, 0);
    }
  });
}

const CLI_TIMEOUT_MS = 30_000;
let python: string | undefined | null = null;

/**
 * One AWS CLI command: in this worker's driver processes where `aws` is the Python CLI,
 * else as a process of its own. Resolves with its exit code and output, whatever the code.
 */
function runCli(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<CliOutcome> {
  if (python === null) python = cliPython(awsExecutable());
  if (python !== undefined) return runInDriver(python, argv, env, CLI_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    execFile(
      awsExecutable(),
      argv,
      { env, encoding: 'utf8', timeout: CLI_TIMEOUT_MS },
      (error, stdout, stderr) => {
        if (error === null) resolve({ exitCode: 0, stdout, stderr });
        else if (typeof error.code === 'number') resolve({ exitCode: error.code, stdout, stderr });
        else reject(new AwsCliError(`aws ${argv.join(' ')} did not run: ${error.message}`, stderr, null));
      },
    );
  });
}

/**
 * `aws ec2 create-vpc-endpoint` as a consumer runs it: an interface endpoint to `serviceId`
 * in the target's region. Resolves to the new endpoint's id.
 */
export async function createEndpointWithCli(target: AwsCliTarget, serviceId: string): Promise<string> {
  const out = (await runAws(target, [
    'ec2',
    'create-vpc-endpoint',
    '--vpc-endpoint-type',
    'Interface',
    '--vpc-id',
    'vpc-0123456789abcdef0',
    '--subnet-ids',
    'subnet-0123456789abcdef0',
    '--service-name',
    `com.amazonaws.vpce.${target.region ?? 'us-east-1'}.${serviceId}`,
  ])) as { VpcEndpoint: { VpcEndpointId: string } };
  return out.VpcEndpoint.VpcEndpointId;
}
