/**
 * A function the local cloud runs: its definition, its code made ready to load (a bundle
 * directory as it is, a handler source bundled once), its execution role's credentials and
 * its pool of environments. Nothing starts until the first invocation, as on Lambda.
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { crashingInvocation, LambdaCrashError } from '../fault-layer.ts';
import type { Faults } from '../faults.ts';
import type { LocalRoles, Principal, RoleSession } from '../identity.ts';
import type { FunctionDefinition } from './definition.ts';
import { lambdaEnvironment, logGroupNameOf } from './environment.ts';
import { FunctionPool } from './runtime/function-pool.ts';
import type { Outcome, WorkerSpec } from './runtime/function-worker.ts';
import { DEFAULT_BUNDLE_CACHE, sourceBundle } from './source-bundle.ts';

export interface RuntimeDeps {
  roles: LocalRoles;
  endpoint: () => string;
  now: () => number;
  clockOffsetMs: () => number;
  functionLog: (functionName: string, line: string) => void;
  log: (line: string) => void;
  faults: Faults | undefined;
  environmentOverrides: Record<string, string>;
  maxConcurrencyPerFunction: number;
  idleMs: number;
  bundleCache: string | undefined;
}

/** A new session is issued when the current one expires within this. */
const SESSION_MARGIN_MS = 10 * 60_000;

export class CodeLocationError extends Error {
  override name = 'CodeLocationError';
}

/** Fails unless the definition's code is where it says. */
export async function checkCode(definition: FunctionDefinition): Promise<void> {
  const { code } = definition;
  const path = code.kind === 'bundle' ? code.directory : code.entry;
  const found = await stat(path).catch(() => undefined);
  const fits = code.kind === 'bundle' ? found?.isDirectory() : found?.isFile();
  if (fits !== true)
    throw new CodeLocationError(
      `function ${definition.name}: ${code.kind === 'bundle' ? 'bundle directory' : 'handler source'} ${path} does not exist`,
    );
}

export class DeployedFunction {
  #definition: FunctionDefinition;
  #pool: FunctionPool;
  #session: RoleSession | undefined;
  #taskRoot: Promise<string> | undefined;
  /** Changes with every update, as `RevisionId` does. */
  #revision = randomUUID();

  constructor(
    definition: FunctionDefinition,
    private readonly deps: RuntimeDeps,
  ) {
    this.#definition = definition;
    this.#pool = new FunctionPool({
      limit: this.#limit(),
      prepare: () => this.#prepare(),
      now: deps.now,
      clockOffsetMs: deps.clockOffsetMs,
      log: (line) => deps.functionLog(this.#definition.name, line),
      idleMs: deps.idleMs,
    });
    this.#prepareCode();
  }

  get definition(): FunctionDefinition {
    return this.#definition;
  }

  get revision(): string {
    return this.#revision;
  }

  /** Environments (containers) started so far: its cold starts. */
  get environmentsStarted(): number {
    return this.#pool.started;
  }

  /** A new configuration: environments started from now on use it. */
  update(definition: FunctionDefinition): void {
    // A new role (the old one replaced) needs a session of its own: the old role's is dead.
    if (definition.role !== this.#definition.role) this.#session = undefined;
    this.#definition = definition;
    this.#taskRoot = undefined;
    this.#revision = randomUUID();
    this.#pool.renew();
    this.#pool.setLimit(this.#limit());
    this.#prepareCode();
  }

  /** Runs one invocation; function errors, timeouts and crashes are outcomes, not rejections. */
  async run(event: unknown, requestId: string): Promise<Outcome> {
    const definition = this.#definition;
    if (definition.reservedConcurrency === 0) {
      return {
        ok: false,
        error: { errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.' },
        fatal: false,
        throttled: true,
      };
    }
    const invoke = () =>
      this.#pool.invoke({
        requestId,
        event: JSON.stringify(event ?? null),
        timeoutMs: definition.timeoutSeconds * 1000,
        context: {
          functionName: definition.name,
          functionVersion: '$LATEST',
          invokedFunctionArn: definition.arn,
          memoryLimitInMB: String(definition.memoryMb),
          logGroupName: logGroupNameOf(definition.name),
          logStreamName: `${new Date(this.deps.now()).toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${requestId.replaceAll('-', '')}`,
        },
      });
    try {
      // --faults lambda.crash: the invocation dies before it starts or before it can answer.
      return await crashingInvocation(this.deps.faults, definition.name, invoke);
    } catch (error) {
      if (!(error instanceof LambdaCrashError)) throw error;
      this.deps.functionLog(definition.name, `${error.name}: ${error.message}`);
      const errorMessage = `RequestId: ${requestId} Error: Runtime exited with error: ${error.message}`;
      return { ok: false, error: { errorType: 'Runtime.ExitError', errorMessage }, fatal: false };
    }
  }

  /** Who the function's own calls are from: its execution role's session. */
  principal(): Principal {
    const session = this.#currentSession();
    const { account, region } = this.#definition;
    return this.deps.roles.principalOf({
      account,
      region,
      service: 'lambda',
      accessKeyId: session.accessKeyId,
    });
  }

  setClockOffset(offsetMs: number): void {
    this.#pool.setClockOffset(offsetMs);
  }

  stop(): Promise<void> {
    return this.#pool.stop();
  }

  /**
   * Code is made ready when the function is created, as Lambda unpacks it at CreateFunction;
   * environments still start on the first invocation. A failure is reported by that invocation.
   */
  #prepareCode(): void {
    const code = this.#locateCode(this.#definition);
    code.catch(() => undefined);
    this.#taskRoot = code;
  }

  #limit(): number {
    const reserved = this.#definition.reservedConcurrency ?? Number.POSITIVE_INFINITY;
    return Math.max(1, Math.min(reserved, this.deps.maxConcurrencyPerFunction));
  }

  #currentSession(): RoleSession {
    const now = this.deps.now();
    if (this.#session === undefined || this.#session.expiration.getTime() - SESSION_MARGIN_MS <= now)
      this.#session = this.deps.roles.issueSession(this.#definition.role, now);
    return this.#session;
  }

  async #prepare(): Promise<WorkerSpec & { expiresAt: number }> {
    const definition = this.#definition;
    const session = this.#currentSession();
    this.#taskRoot ??= this.#locateCode(definition);
    let taskRoot: string;
    try {
      taskRoot = await this.#taskRoot;
    } catch (error) {
      // Tried again on the next cold start (the source may be fixed by then).
      this.#taskRoot = undefined;
      throw error;
    }
    const env = lambdaEnvironment({
      definition,
      taskRoot,
      session,
      endpoint: this.deps.endpoint(),
      overrides: this.deps.environmentOverrides,
    });
    return {
      start: {
        taskRoot,
        handler: definition.handler,
        clockOffsetMs: this.deps.clockOffsetMs(),
        sourceMaps: /(?:^|\s)--enable-source-maps(?:\s|$)/.test(env.NODE_OPTIONS ?? ''),
      },
      env,
      memoryMb: definition.memoryMb,
      label: `lambda:${definition.name}`,
      expiresAt: session.expiration.getTime(),
    };
  }

  async #locateCode(definition: FunctionDefinition): Promise<string> {
    const { code } = definition;
    if (code.kind === 'bundle') return code.directory;
    const started = performance.now();
    // As the runtime reads `dir/module.export`: the bundle is written where it looks for the module.
    const slash = definition.handler.lastIndexOf('/');
    const moduleName =
      definition.handler.slice(0, slash + 1) + (definition.handler.slice(slash + 1).split('.')[0] ?? '');
    const bundle = await sourceBundle(
      code.entry,
      moduleName,
      definition.environment,
      this.deps.bundleCache ?? DEFAULT_BUNDLE_CACHE,
    );
    if (bundle.built)
      this.deps.log(
        `lambda: bundled ${definition.name} from ${code.entry} in ${Math.round(performance.now() - started)} ms`,
      );
    return bundle.directory;
  }
}
