/**
 * A function's `process.env` as Lambda builds it: the template's variables, then what Lambda
 * sets itself (region, name, memory, handler, task root, the execution role's temporary
 * credentials), and what points the SDK at the local cloud instead of AWS.
 */
import type { RoleSession } from '../identity.ts';
import type { FunctionDefinition } from './definition.ts';

export interface EnvironmentInput {
  definition: FunctionDefinition;
  taskRoot: string;
  session: RoleSession;
  /** The edge port's URL: every SDK client of the function calls it. */
  endpoint: string;
  /** Local-only settings laid over the template's (e.g. POWERTOOLS_LOG_LEVEL). */
  overrides: Record<string, string>;
}

export const logGroupNameOf = (functionName: string): string => `/aws/lambda/${functionName}`;

export function lambdaEnvironment(input: EnvironmentInput): Record<string, string> {
  const { definition, session } = input;
  return {
    LANG: 'en_US.UTF-8',
    ...definition.environment,
    ...input.overrides,
    AWS_REGION: definition.region,
    AWS_DEFAULT_REGION: definition.region,
    AWS_LAMBDA_FUNCTION_NAME: definition.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: logGroupNameOf(definition.name),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: `AWS_Lambda_${definition.runtime}`,
    _HANDLER: definition.handler,
    LAMBDA_TASK_ROOT: input.taskRoot,
    AWS_ENDPOINT_URL: input.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: session.accessKeyId,
    AWS_SECRET_ACCESS_KEY: session.secretAccessKey,
    AWS_SESSION_TOKEN: session.sessionToken,
    // Lambda runs the function on its runtime's Node.js; the SDK's notice that this machine's
    // older Node.js will lose support is about the host, not the function.
    ...(hostNodeMajor() < 22 ? { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } : {}),
  };
}

const hostNodeMajor = (): number => Number(process.versions.node.split('.')[0]);
