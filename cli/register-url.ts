/**
 * The register URL a provider hands out with a code: `--api`, else the `RegisterUrl`
 * output of the stack (`--stack`), else, with plgate local, its edge port.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { REGISTER_PATH } from '../functions/shared/config.ts';
import { UsageError } from './exit.ts';

/** CloudFormation output key of the register URL (infra/gate-stack.ts). */
export const REGISTER_URL_OUTPUT = 'RegisterUrl';

export async function registerUrlOf(
  flags: { api?: string; stack?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (flags.api) return checkedUrl('--api', flags.api);
  if (flags.stack) {
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    const cloudFormation = new CloudFormationClient({ ...(region ? { region } : {}) });
    try {
      const { Stacks = [] } = await cloudFormation.send(
        new DescribeStacksCommand({ StackName: flags.stack }),
      );
      const url = Stacks[0]?.Outputs?.find((o) => o.OutputKey === REGISTER_URL_OUTPUT)?.OutputValue;
      if (url) return checkedUrl(`stack output ${REGISTER_URL_OUTPUT}`, url);
      throw new UsageError(
        `stack ${flags.stack} has no ${REGISTER_URL_OUTPUT} output: it was deployed without the register API (registerApi: false) or before it existed; deploy the current stack with it, or give --api URL`,
      );
    } finally {
      cloudFormation.destroy();
    }
  }
  if (env.AWS_ENDPOINT_URL) return `${env.AWS_ENDPOINT_URL.replace(/\/$/, '')}${REGISTER_PATH}`;
  throw new UsageError('cannot tell the register URL: give --api URL or --stack NAME');
}

export function checkedUrl(what: string, value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new UsageError(`${what} must be an http(s) URL, got '${value}'`);
  }
  return value;
}
