/**
 * What the runtime and a function's worker (worker-bootstrap.mjs, plain JavaScript: it runs
 * before anything could compile TypeScript) say to each other.
 */

/** Given to the worker when it starts. */
export interface WorkerStart {
  /** The directory holding the function's code (LAMBDA_TASK_ROOT). */
  taskRoot: string;
  /** `index.handler` */
  handler: string;
  /** How far the cloud's clock is ahead of real time. */
  clockOffsetMs: number;
  /** The template's NODE_OPTIONS asks for source-mapped stack traces. */
  sourceMaps: boolean;
}

/** What a function's context carries besides the deadline. */
export interface InvocationContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
}

export type ToWorker =
  | {
      type: 'invoke';
      requestId: string;
      /** The event as JSON text, as Lambda hands it to the runtime. */
      event: string;
      timeoutMs: number;
      context: InvocationContext;
    }
  | { type: 'clock'; offsetMs: number };

/** Lambda's error payload. */
export interface FunctionErrorPayload {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-error'; error: FunctionErrorPayload }
  | { type: 'result'; requestId: string; ok: true; payload: string }
  | { type: 'result'; requestId: string; ok: false; error: FunctionErrorPayload };
