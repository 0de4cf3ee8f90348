/**
 * The register URL a provider hands out with a code: `--api`, else the `RegisterUrl`
 * output of the stack (`--stack`; with plgate local, the default stack deployed on it).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DEFAULT_STACK_NAME } from '../functions/shared/config.ts';
import { UsageError } from './exit.ts';

/** CloudFormation output key of the register URL (infra/gate-stack.ts). */
export const REGISTER_URL_OUTPUT = 'RegisterUrl';

export async function registerUrlOf(
  flags: { api?: string; stack?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (flags.api) return checkedUrl('--api', flags.api);
  // plgate local deploys the stack and serves its HTTP API under its own endpoint.
  const stack = flags.stack || (env.AWS_ENDPOINT_URL ? DEFAULT_STACK_NAME : undefined);
  if (stack) {
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    const cloudFormation = new CloudFormationClient({ ...(region ? { region } : {}) });
    try {
      const { Stacks = [] } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stack }));
      const url = Stacks[0]?.Outputs?.find((o) => o.OutputKey === REGISTER_URL_OUTPUT)?.OutputValue;
      if (url) return checkedUrl(`stack output ${REGISTER_URL_OUTPUT}`, url);
      throw new UsageError(
        `stack ${stack} has no ${REGISTER_URL_OUTPUT} output: it was deployed without the register API (registerApi: false) or before it existed; deploy the current stack with it, or give --api URL`,
      );
    } finally {
      cloudFormation.destroy();
    }
  }
  throw new UsageError('cannot tell the register URL: give --api URL or --stack NAME');
}

export function checkedUrl(what: string, value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new UsageError(`${what} must be an http(s) URL, got '${value}'`);
  }
  return value;
}
