/**
 * A function as an `AWS::Lambda::Function` resource defines it, checked field by field: what
 * the runtime needs to run it (code, handler, environment, timeout, memory, concurrency,
 * role) and what `GetFunction` shows of it.
 */

/** Where the deployer says a function's code is: a bundle directory as synthesized, or a handler source file. */
export type CodeLocation = { kind: 'bundle'; directory: string } | { kind: 'source'; entry: string };

export interface FunctionDefinition {
  name: string;
  arn: string;
  account: string;
  region: string;
  /** The execution role's ARN. */
  role: string;
  /** `index.handler`: module `index` in the task root, its export `handler`. */
  handler: string;
  runtime: string;
  code: CodeLocation;
  /** The template's `Environment.Variables`. */
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  /** Absent: no reservation (only the local pool's limit applies). */
  reservedConcurrency: number | undefined;
  description: string;
  architectures: string[];
  /** `TracingConfig.Mode`: shown by `GetFunction`; the local cloud records no traces. */
  tracingMode: 'Active' | 'PassThrough';
  /** ISO time of the last create or update, as `LastModified` shows it. */
  lastModified: string;
}

export class FunctionDefinitionError extends Error {
  override name = 'FunctionDefinitionError';
}

/** Lambda's own limits on a function's name and settings. */
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const HANDLER = /^[^\s]{1,128}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[\w+=,.@/-]{1,512}$/;
const ENVIRONMENT_KEY = /^[a-zA-Z][a-zA-Z0-9_]*$/;
const MAX_TIMEOUT_SECONDS = 900;
/** Lambda sets these itself; a function's configuration may not. */
const RESERVED_VARIABLES = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_DEFAULT_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_LAMBDA_RUNTIME_API',
  'AWS_REGION',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'LAMBDA_RUNTIME_DIR',
  'LAMBDA_TASK_ROOT',
]);
const DEFAULT_TIMEOUT_SECONDS = 3;
const DEFAULT_MEMORY_MB = 128;

export const functionArnOf = (region: string, account: string, name: string): string =>
  `arn:aws:lambda:${region}:${account}:function:${name}`;

const describe = (value: unknown): string => JSON.stringify(value) ?? String(value);

function fail(logicalId: string, field: string, value: unknown, expected: string): never {
  throw new FunctionDefinitionError(
    `${logicalId} (AWS::Lambda::Function): ${field} must be ${expected}, got ${describe(value)}`,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A whole number in [min, max], from a number or its string (templates carry both). */
function wholeNumber(logicalId: string, field: string, value: unknown, min: number, max: number): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max)
    fail(logicalId, field, value, `a whole number from ${min} to ${max}`);
  return number;
}

function codeLocationOf(logicalId: string, code: unknown): CodeLocation {
  if (!isRecord(code)) fail(logicalId, 'Code', code, 'an object');
  if (typeof code.LocalPath === 'string' && code.LocalPath.startsWith('/'))
    return { kind: 'bundle', directory: code.LocalPath };
  if (typeof code.LocalSource === 'string' && code.LocalSource.startsWith('/'))
    return { kind: 'source', entry: code.LocalSource };
  return fail(
    logicalId,
    'Code',
    code,
    '{ LocalPath: <absolute bundle directory> } or { LocalSource: <absolute handler file> } (the deployer rewrites S3 and asset code to one of them)',
  );
}

function environmentOf(logicalId: string, environment: unknown): Record<string, string> {
  if (environment === undefined) return {};
  if (!isRecord(environment)) fail(logicalId, 'Environment', environment, 'an object');
  const variables = environment.Variables ?? {};
  if (!isRecord(variables)) fail(logicalId, 'Environment.Variables', variables, 'an object');
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(variables)) {
    if (!ENVIRONMENT_KEY.test(key))
      fail(logicalId, 'Environment.Variables key', key, 'a letter then letters, digits or _');
    if (RESERVED_VARIABLES.has(key))
      fail(logicalId, 'Environment.Variables key', key, 'none of the variables Lambda reserves');
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
      fail(logicalId, `Environment.Variables.${key}`, value, 'a string');
    result[key] = String(value);
  }
  return result;
}

export interface DefinitionContext {
  logicalId: string;
  account: string;
  region: string;
  /** The name CloudFormation gives a function whose template names none. */
  generatedName: () => string;
  now: Date;
}

/** The definition of an `AWS::Lambda::Function` from its resolved properties. */
export function functionDefinitionOf(
  properties: Record<string, unknown>,
  context: DefinitionContext,
): FunctionDefinition {
  const { logicalId } = context;
  const name = properties.FunctionName ?? context.generatedName();
  if (typeof name !== 'string' || !FUNCTION_NAME.test(name))
    fail(logicalId, 'FunctionName', name, '1 to 64 letters, digits, - or _');
  const role = properties.Role;
  if (typeof role !== 'string' || !ROLE_ARN.test(role)) fail(logicalId, 'Role', role, 'an IAM role ARN');
  const handler = properties.Handler ?? 'index.handler';
  if (typeof handler !== 'string' || !HANDLER.test(handler) || !handler.includes('.'))
    fail(logicalId, 'Handler', handler, 'module.export, e.g. index.handler');
  const runtime = properties.Runtime ?? 'nodejs22.x';
  if (typeof runtime !== 'string' || !runtime.startsWith('nodejs'))
    fail(
      logicalId,
      'Runtime',
      runtime,
      'a Node.js runtime (nodejs20.x, nodejs22.x): the local cloud runs Node.js only',
    );
  const description = properties.Description ?? '';
  if (typeof description !== 'string' || description.length > 256)
    fail(logicalId, 'Description', description, 'a string of at most 256 characters');
  const architectures = properties.Architectures ?? ['x86_64'];
  if (
    !Array.isArray(architectures) ||
    architectures.length !== 1 ||
    !['x86_64', 'arm64'].includes(String(architectures[0]))
  )
    fail(logicalId, 'Architectures', architectures, 'one of [x86_64] or [arm64]');
  const reserved = properties.ReservedConcurrentExecutions;
  const tracing = properties.TracingConfig;
  const tracingMode = isRecord(tracing) ? (tracing.Mode ?? 'PassThrough') : 'PassThrough';
  if (
    tracing !== undefined &&
    (!isRecord(tracing) || (tracingMode !== 'Active' && tracingMode !== 'PassThrough'))
  )
    fail(logicalId, 'TracingConfig', tracing, '{ Mode: Active | PassThrough }');
  return {
    name,
    arn: functionArnOf(context.region, context.account, name),
    account: context.account,
    region: context.region,
    role,
    handler,
    runtime,
    code: codeLocationOf(logicalId, properties.Code),
    environment: environmentOf(logicalId, properties.Environment),
    timeoutSeconds:
      properties.Timeout === undefined
        ? DEFAULT_TIMEOUT_SECONDS
        : wholeNumber(logicalId, 'Timeout', properties.Timeout, 1, MAX_TIMEOUT_SECONDS),
    memoryMb:
      properties.MemorySize === undefined
        ? DEFAULT_MEMORY_MB
        : wholeNumber(logicalId, 'MemorySize', properties.MemorySize, 128, 10_240),
    reservedConcurrency:
      reserved === undefined
        ? undefined
        : wholeNumber(logicalId, 'ReservedConcurrentExecutions', reserved, 0, 1000),
    description,
    architectures: architectures.map(String),
    tracingMode: tracingMode === 'Active' ? 'Active' : 'PassThrough',
    lastModified: context.now.toISOString(),
  };
}

/**
 * A reference to a function as Lambda's APIs take one: its name, a partial ARN
 * (`ACCOUNT:function:NAME`) or a full ARN, optionally qualified with `:$LATEST`.
 * Returns the full ARN in the caller's account and region, or undefined when it is none of these.
 */
export function functionArnFrom(reference: string, account: string, region: string): string | undefined {
  const full =
    /^arn:aws[a-z-]*:lambda:([a-z]{2}(?:-[a-z]+)+-[0-9]):([0-9]{12}):function:([a-zA-Z0-9_-]{1,64})(?::\$LATEST)?$/.exec(
      reference,
    );
  if (full) return functionArnOf(full[1] ?? '', full[2] ?? '', full[3] ?? '');
  const partial = /^([0-9]{12}):function:([a-zA-Z0-9_-]{1,64})(?::\$LATEST)?$/.exec(reference);
  if (partial) return functionArnOf(region, partial[1] ?? '', partial[2] ?? '');
  const name = /^([a-zA-Z0-9_-]{1,64})(?::\$LATEST)?$/.exec(reference);
  if (name) return functionArnOf(region, account, name[1] ?? '');
  return undefined;
}
