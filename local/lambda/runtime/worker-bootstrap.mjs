// @ts-check
/**
 * The first code in a function's worker, doing what Lambda's Node.js runtime does around a
 * handler: load the handler module from the task root, then run one invocation at a time
 * with Lambda's context object and report its result or error in Lambda's shapes. Before
 * the handler loads, it puts the local cloud's clock into `Date`, so a function sees the
 * time the cloud was moved to without any code of its own. Plain JavaScript: nothing has
 * compiled TypeScript yet when it runs. The messages are worker-protocol.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const RealDate = Date;
/** @type {{ taskRoot: string, handler: string, clockOffsetMs: number, sourceMaps: boolean }} */
const start = workerData;
let offsetMs = start.clockOffsetMs;
const now = () => RealDate.now() + offsetMs;

// The cloud's clock as `Date`: `new Date()`, `Date()` and `Date.now()` read it; everything
// else (parsing, `instanceof`, subclasses) is the real Date's.
const LocalDate = new Proxy(RealDate, {
  construct(target, args, newTarget) {
    return Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget);
  },
  apply() {
    return new RealDate(now()).toString();
  },
  get(target, key, receiver) {
    return key === 'now' ? now : Reflect.get(target, key, receiver);
  },
});
Object.defineProperty(RealDate.prototype, 'constructor', {
  value: LocalDate,
  writable: true,
  configurable: true,
});
globalThis.Date = LocalDate;

// Per thread: only this worker maps its stack traces (the stack's NODE_OPTIONS asks for it).
if (start.sourceMaps) process.setSourceMapsEnabled(true);

/** Lambda's error payload for anything thrown. */
function errorPayload(/** @type {unknown} */ error) {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

class ImportModuleError extends Error {
  name = 'Runtime.ImportModuleError';
}
class HandlerNotFoundError extends Error {
  name = 'Runtime.HandlerNotFound';
}
class MalformedHandlerNameError extends Error {
  name = 'Runtime.MalformedHandlerName';
}

/** As Lambda's runtime reads `dir/module.export.path`: the module file and the export's path. */
async function loadHandler() {
  const slash = start.handler.lastIndexOf('/');
  const directory = start.handler.slice(0, slash + 1);
  const [moduleName = '', ...exportPath] = start.handler.slice(slash + 1).split('.');
  if (moduleName === '' || exportPath.length === 0 || exportPath.includes(''))
    throw new MalformedHandlerNameError(`Bad handler ${start.handler}`);
  const base = join(start.taskRoot, directory, moduleName);
  const file = ['.js', '.mjs', '.cjs'].map((extension) => base + extension).find((path) => existsSync(path));
  if (file === undefined)
    throw new ImportModuleError(`Error: Cannot find module '${directory}${moduleName}' in ${start.taskRoot}`);
  /** @type {unknown} */
  let found = await import(pathToFileURL(file).href);
  for (const key of exportPath) {
    found = typeof found === 'object' && found !== null ? Reflect.get(found, key) : undefined;
  }
  if (typeof found !== 'function')
    throw new HandlerNotFoundError(`${start.handler} is undefined or not exported`);
  return /** @type {(event: unknown, context: object, callback: Function) => unknown} */ (found);
}

/** Runs one invocation: a promise the handler returns, or the callback it calls. */
function run(
  /** @type {(event: unknown, context: object, callback: Function) => unknown} */ handler,
  /** @type {unknown} */ event,
  /** @type {object} */ context,
) {
  return new Promise((resolve, reject) => {
    const callback = (/** @type {unknown} */ error, /** @type {unknown} */ value) =>
      error === null || error === undefined ? resolve(value) : reject(error);
    const returned = handler(event, context, callback);
    if (
      typeof returned === 'object' &&
      returned !== null &&
      'then' in returned &&
      typeof returned.then === 'function'
    )
      returned.then(resolve, reject);
  });
}

const port = parentPort;
if (port === null) throw new Error('worker-bootstrap.mjs runs only as a worker thread');

/** @type {((event: unknown, context: object, callback: Function) => unknown) | undefined} */
let handler;

port.on('message', async (/** @type {any} */ message) => {
  if (message.type === 'clock') {
    offsetMs = message.offsetMs;
    return;
  }
  if (message.type !== 'invoke' || handler === undefined) return;
  const deadline = RealDate.now() + message.timeoutMs;
  const context = {
    ...message.context,
    awsRequestId: message.requestId,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - RealDate.now()),
  };
  try {
    const result = await run(handler, JSON.parse(message.event), context);
    port.postMessage({
      type: 'result',
      requestId: message.requestId,
      ok: true,
      payload: JSON.stringify(result === undefined ? null : result),
    });
  } catch (error) {
    port.postMessage({ type: 'result', requestId: message.requestId, ok: false, error: errorPayload(error) });
  }
});

try {
  handler = await loadHandler();
  port.postMessage({ type: 'ready' });
} catch (error) {
  // The runtime ends the worker and fails the invocation with this error, as Lambda's INIT does.
  port.postMessage({ type: 'init-error', error: errorPayload(error) });
}
