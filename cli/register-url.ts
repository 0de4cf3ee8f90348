/**
 * The register URL a provider hands out with a code: `--api`, else the `RegisterUrl`
 * output of the stack (`--stack`; with plgate local, the stack it deployed by default).
 */
import { DEFAULT_STACK_NAME } from '../functions/shared/config.ts';
import { UsageError } from './exit.ts';
import { callSettings, readStackOutputs } from './gate-target.ts';

/** CloudFormation output key of the register URL (infra/gate-stack.ts). */
export const REGISTER_URL_OUTPUT = 'RegisterUrl';

export async function registerUrlOf(
  flags: { api?: string; stack?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (flags.api) return checkedUrl('--api', flags.api);
  const stackName = flags.stack ?? (callSettings(env).local ? DEFAULT_STACK_NAME : undefined);
  if (stackName === undefined)
    throw new UsageError('cannot tell the register URL: give --api URL or --stack NAME');
  const url = (await readStackOutputs(stackName, env))[REGISTER_URL_OUTPUT];
  if (url) return checkedUrl(`stack output ${REGISTER_URL_OUTPUT}`, url);
  throw new UsageError(
    `stack ${stackName} has no ${REGISTER_URL_OUTPUT} output: it was deployed without the register API (registerApi: false) or before it existed; deploy the current stack with it, or give --api URL`,
  );
}

export function checkedUrl(what: string, value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new UsageError(`${what} must be an http(s) URL, got '${value}'`);
  }
  return value;
}
