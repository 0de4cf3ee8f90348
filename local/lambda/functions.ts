/**
 * Lambda in the local cloud: the gate's in-process functions, named as in the stack,
 * answering the REST API's `Invoke` and `ListFunctions` on the edge port, so that
 * `aws lambda invoke` against `plgate local` runs what a Slack button runs in AWS.
 * Only the provider account may list or invoke them (no resource policy grants others).
 */
import type { JsonResponse } from '../events/api.ts';

export type LocalHandler = (event: unknown, functionName: string) => Promise<unknown>;

interface LocalFunction {
  name: string;
  handler: LocalHandler;
  description: string;
}

const API_PREFIX = '/2015-03-31/functions';

export class LambdaFunctions {
  readonly #functions = new Map<string, LocalFunction>();

  constructor(
    private readonly account: string,
    private readonly region: string,
  ) {}

  /** Registers a function; returns what unregisters it. */
  register(name: string, description: string, handler: LocalHandler): () => void {
    this.#functions.set(name, { name, description, handler });
    return () => {
      if (this.#functions.get(name)?.handler === handler) this.#functions.delete(name);
    };
  }

  arnOf(name: string): string {
    return `arn:aws:lambda:${this.region}:${this.account}:function:${name}`;
  }

  /** Whether a path is the Lambda REST API's. */
  static handles(path: string): boolean {
    return path === API_PREFIX || path.startsWith(`${API_PREFIX}/`);
  }

  /** Answers one Lambda REST request from the provider account. */
  async handle(
    method: string,
    path: string,
    headers: Record<string, string | string[] | undefined>,
    body: string,
    callerAccount: string,
  ): Promise<JsonResponse & { headers?: Record<string, string> }> {
    if (callerAccount !== this.account) {
      return error(
        403,
        'AccessDeniedException',
        `account ${callerAccount} is not authorized to use the functions of account ${this.account}`,
      );
    }
    const rest = decodeURIComponent(path.slice(API_PREFIX.length)).replace(/^\/+|\/+$/g, '');
    if (rest === '' && method === 'GET') {
      return {
        status: 200,
        body: {
          Functions: [...this.#functions.values()]
            .sort((a, b) => (a.name < b.name ? -1 : 1))
            .map((fn) => ({
              FunctionName: fn.name,
              FunctionArn: this.arnOf(fn.name),
              Runtime: 'nodejs20.x',
              Handler: 'index.handler',
              Description: fn.description,
              Architectures: ['arm64'],
              PackageType: 'Zip',
            })),
        },
      };
    }
    const invocation = /^([^/]+)\/invocations$/.exec(rest);
    if (!invocation || method !== 'POST') {
      return error(
        400,
        'InvalidRequestContentException',
        `the local cloud answers Invoke and ListFunctions, not ${method} ${path}`,
      );
    }
    const fn = this.#functions.get(nameOf(invocation[1] ?? ''));
    if (!fn) {
      return error(
        404,
        'ResourceNotFoundException',
        `Function not found: ${this.arnOf(nameOf(invocation[1] ?? ''))}`,
      );
    }
    const type = String(headers['x-amz-invocation-type'] ?? 'RequestResponse');
    let event: unknown;
    try {
      event = body === '' ? {} : JSON.parse(body);
    } catch {
      return error(400, 'InvalidRequestContentException', 'Could not parse request body into json');
    }
    if (type === 'DryRun') return { status: 204, body: '' };
    if (type === 'Event') {
      fn.handler(event, fn.name).catch(() => undefined);
      return { status: 202, body: '' };
    }
    if (type !== 'RequestResponse') {
      return error(
        400,
        'InvalidParameterValueException',
        `X-Amz-Invocation-Type must be RequestResponse, Event or DryRun, got ${type}`,
      );
    }
    try {
      const result = await fn.handler(event, fn.name);
      return { status: 200, body: result ?? null, headers: { 'x-amz-executed-version': '$LATEST' } };
    } catch (thrown) {
      // As Lambda does: the call succeeds, the function's error is the payload.
      const failure = thrown instanceof Error ? thrown : new Error(String(thrown));
      return {
        status: 200,
        body: { errorType: failure.name, errorMessage: failure.message, trace: [] },
        headers: { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' },
      };
    }
  }
}

/** A function name, a partial ARN (account:function:name) or a full ARN: the name. */
function nameOf(reference: string): string {
  const parts = reference.split(':');
  const at = parts.indexOf('function');
  return at >= 0 ? (parts[at + 1] ?? '') : reference;
}

function error(status: number, type: string, message: string): JsonResponse {
  return { status, body: { Type: 'User', message }, errorType: type };
}
