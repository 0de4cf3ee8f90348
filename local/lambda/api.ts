/**
 * Lambda's REST API on the edge port, for what clients ask of the gate's functions:
 * `Invoke` (RequestResponse, Event, DryRun), `ListFunctions`, `GetFunction`,
 * `GetFunctionConfiguration` and `GetPolicy`, each authorised by IAM first (the caller's
 * policy, and the function's resource policy for another account). Errors in Lambda's
 * shape: the type in `x-amzn-ErrorType`, `{ Type, message }` in the body.
 */
import { AccessDeniedError, type Authorizer, type PolicyDocument } from '../iam/authorizer.ts';
import type { Principal } from '../identity.ts';
import type { EdgeRequest, EdgeResponse } from '../service.ts';
import { type FunctionDefinition, functionArnFrom } from './definition.ts';
import type { DeployedFunction } from './deployed-function.ts';
import { logGroupNameOf } from './environment.ts';

export const API_PREFIX = '/2015-03-31/functions';

/** What the API needs of the service. */
export interface LambdaBackend {
  functionOf(functionArn: string): DeployedFunction | undefined;
  functionsIn(account: string, region: string): DeployedFunction[];
  /** The function's whole resource policy, and the part IAM judges signed callers by. */
  policyOf(functionArn: string): {
    whole: PolicyDocument | undefined;
    forCallers: PolicyDocument | undefined;
  };
  authorize: Authorizer['authorize'];
  /** Runs a synchronous invocation (the edge already authorised it). */
  invokeNow(fn: DeployedFunction, event: unknown, requestId: string): ReturnType<DeployedFunction['run']>;
  /** Queues an asynchronous one. */
  invokeLater(fn: DeployedFunction, event: unknown, requestId: string): void;
}

const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;
const MAX_ASYNC_PAYLOAD = 1024 * 1024;

class LambdaApiError extends Error {
  override name = 'LambdaApiError';
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): EdgeResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: body === undefined ? '' : JSON.stringify(body),
});

function errorResponse(error: LambdaApiError, requestId: string): EdgeResponse {
  return json(
    error.status,
    { Type: error.status >= 500 ? 'Service' : 'User', message: error.message },
    { 'x-amzn-errortype': error.type, 'x-amzn-requestid': requestId },
  );
}

export function isLambdaApiPath(path: string): boolean {
  return path === API_PREFIX || path.startsWith(`${API_PREFIX}/`);
}

export async function handleLambdaRequest(
  backend: LambdaBackend,
  request: EdgeRequest,
): Promise<EdgeResponse> {
  try {
    const response = await route(backend, request);
    return { ...response, headers: { 'x-amzn-requestid': request.requestId, ...response.headers } };
  } catch (error) {
    if (error instanceof LambdaApiError) return errorResponse(error, request.requestId);
    if (error instanceof AccessDeniedError)
      return errorResponse(
        new LambdaApiError(403, 'AccessDeniedException', error.message),
        request.requestId,
      );
    throw error;
  }
}

async function route(backend: LambdaBackend, request: EdgeRequest): Promise<EdgeResponse> {
  const { caller, principal } = request;
  if (caller === undefined || principal === undefined)
    throw new LambdaApiError(
      403,
      'MissingAuthenticationTokenException',
      request.credentialError?.message ?? 'Missing Authentication Token',
    );
  const rest = request.url.pathname.slice(API_PREFIX.length).replace(/^\/+|\/+$/g, '');
  const [encodedName, action, ...extra] = rest.split('/');
  const method = request.method.toUpperCase();
  if (rest === '' && method === 'GET') return listFunctions(backend, request, principal, caller.region);
  if (encodedName === undefined || extra.length > 0) throw unknownOperation(method, request.url.pathname);
  const reference = decodeURIComponent(encodedName);
  const functionArn = functionArnFrom(reference, principal.account, caller.region);
  if (functionArn === undefined)
    throw new LambdaApiError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${reference}' at 'functionName' failed to satisfy constraint: Member must be a function name, partial ARN or function ARN`,
    );
  const qualifier = request.url.searchParams.get('Qualifier');
  if (qualifier !== null && qualifier !== '$LATEST')
    throw new LambdaApiError(
      404,
      'ResourceNotFoundException',
      `Function not found: ${functionArn}:${qualifier} (the local cloud has $LATEST only)`,
    );
  const operation =
    method === 'POST' && action === 'invocations'
      ? 'InvokeFunction'
      : method === 'GET' && action === undefined
        ? 'GetFunction'
        : method === 'GET' && action === 'configuration'
          ? 'GetFunctionConfiguration'
          : method === 'GET' && action === 'policy'
            ? 'GetPolicy'
            : undefined;
  if (operation === undefined) throw unknownOperation(method, request.url.pathname);
  await authorize(backend, principal, `lambda:${operation}`, functionArn);
  const fn = backend.functionOf(functionArn);
  if (fn === undefined)
    throw new LambdaApiError(404, 'ResourceNotFoundException', `Function not found: ${functionArn}`);
  switch (operation) {
    case 'InvokeFunction':
      return invoke(backend, request, fn);
    case 'GetFunction':
      return json(200, {
        Configuration: configurationOf(fn),
        Code: { RepositoryType: 'S3', Location: `file://${codePathOf(fn.definition)}` },
        ...(fn.definition.reservedConcurrency === undefined
          ? {}
          : { Concurrency: { ReservedConcurrentExecutions: fn.definition.reservedConcurrency } }),
      });
    case 'GetFunctionConfiguration':
      return json(200, configurationOf(fn));
    case 'GetPolicy': {
      const policy = backend.policyOf(functionArn).whole;
      if (policy === undefined)
        throw new LambdaApiError(
          404,
          'ResourceNotFoundException',
          'The resource you requested does not exist.',
        );
      return json(200, { Policy: JSON.stringify(policy), RevisionId: fn.revision });
    }
  }
}

const unknownOperation = (method: string, path: string): LambdaApiError =>
  new LambdaApiError(
    404,
    'UnknownOperationException',
    `the local cloud's Lambda answers Invoke, ListFunctions, GetFunction, GetFunctionConfiguration and GetPolicy, not ${method} ${path}`,
  );

async function authorize(
  backend: LambdaBackend,
  principal: Principal,
  action: string,
  functionArn: string,
): Promise<void> {
  const account = /^arn:aws[a-z-]*:lambda:[^:]+:([0-9]{12}):/.exec(functionArn)?.[1] ?? principal.account;
  const resourcePolicy = backend.policyOf(functionArn).forCallers;
  await backend.authorize(principal, [
    {
      action,
      resource: functionArn,
      resourceAccount: account,
      ...(resourcePolicy === undefined ? {} : { resourcePolicy }),
    },
  ]);
}

async function listFunctions(
  backend: LambdaBackend,
  request: EdgeRequest,
  principal: Principal,
  region: string,
): Promise<EdgeResponse> {
  await backend.authorize(principal, [
    { action: 'lambda:ListFunctions', resource: '*', resourceAccount: principal.account },
  ]);
  const functions = backend
    .functionsIn(principal.account, region)
    .sort((a, b) => (a.definition.name < b.definition.name ? -1 : 1));
  const maxItemsText = request.url.searchParams.get('MaxItems');
  const maxItems = maxItemsText === null ? 50 : Number(maxItemsText);
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 10_000)
    throw new LambdaApiError(
      400,
      'InvalidParameterValueException',
      `MaxItems must be 1 to 10000, got ${maxItemsText}`,
    );
  const marker = request.url.searchParams.get('Marker');
  const start = marker === null ? 0 : functions.findIndex((fn) => fn.definition.name > marker);
  const page = start < 0 ? [] : functions.slice(start, start + maxItems);
  const last = page.at(-1);
  const more = start >= 0 && start + maxItems < functions.length;
  return json(200, {
    Functions: page.map(configurationOf),
    ...(more && last !== undefined ? { NextMarker: last.definition.name } : {}),
  });
}

async function invoke(
  backend: LambdaBackend,
  request: EdgeRequest,
  fn: DeployedFunction,
): Promise<EdgeResponse> {
  const headerValue = request.headers['x-amz-invocation-type'];
  const type = (Array.isArray(headerValue) ? headerValue[0] : headerValue) ?? 'RequestResponse';
  if (type !== 'RequestResponse' && type !== 'Event' && type !== 'DryRun')
    throw new LambdaApiError(
      400,
      'InvalidParameterValueException',
      `X-Amz-Invocation-Type must be RequestResponse, Event or DryRun, got ${type}`,
    );
  const size = Buffer.byteLength(request.body, 'utf8');
  const limit = type === 'Event' ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD;
  if (size > limit)
    throw new LambdaApiError(
      413,
      'RequestTooLargeException',
      `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
    );
  let event: unknown;
  try {
    event = request.body.trim() === '' ? {} : JSON.parse(request.body);
  } catch (error) {
    throw new LambdaApiError(
      400,
      'InvalidRequestContentException',
      `Could not parse request body into json: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const headers = { 'x-amzn-requestid': request.requestId };
  if (type === 'DryRun') return { status: 204, headers, body: '' };
  if (type === 'Event') {
    backend.invokeLater(fn, event, request.requestId);
    return { status: 202, headers, body: '' };
  }
  const outcome = await backend.invokeNow(fn, event, request.requestId);
  const answered = { ...headers, 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' };
  if (outcome.ok) return { status: 200, headers: answered, body: outcome.payload };
  if (outcome.throttled === true)
    return json(
      429,
      {
        Type: 'User',
        message: outcome.error.errorMessage,
        Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      },
      { ...headers, 'x-amzn-errortype': 'TooManyRequestsException' },
    );
  // As Lambda does: the call succeeded, the function's error is the payload.
  return {
    status: 200,
    headers: { ...answered, 'x-amz-function-error': 'Unhandled' },
    body: JSON.stringify(outcome.error),
  };
}

function codePathOf(definition: FunctionDefinition): string {
  return definition.code.kind === 'bundle' ? definition.code.directory : definition.code.entry;
}

/** `FunctionConfiguration` as Lambda returns it. */
function configurationOf(fn: DeployedFunction): Record<string, unknown> {
  const definition = fn.definition;
  return {
    FunctionName: definition.name,
    FunctionArn: definition.arn,
    Runtime: definition.runtime,
    Role: definition.role,
    Handler: definition.handler,
    Description: definition.description,
    Timeout: definition.timeoutSeconds,
    MemorySize: definition.memoryMb,
    LastModified: definition.lastModified.replace(/Z$/, '+0000'),
    Version: '$LATEST',
    Environment: { Variables: definition.environment },
    TracingConfig: { Mode: definition.tracingMode },
    RevisionId: fn.revision,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: definition.architectures,
    EphemeralStorage: { Size: 512 },
    LoggingConfig: { LogFormat: 'Text', LogGroup: logGroupNameOf(definition.name) },
  };
}
