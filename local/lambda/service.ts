/**
 * Lambda in the local cloud: the functions a template defines, run isolated in worker
 * threads with the template's environment, handler, timeout and concurrency and their
 * execution role's credentials (local/lambda/runtime); who may invoke them (permissions);
 * their async invocations with retries and on-failure destinations; the REST API on the
 * edge port; their definitions for `--data`.
 */
import { availableParallelism } from 'node:os';
import type { Deliveries, Timers } from '../deliveries.ts';
import type { Faults } from '../faults.ts';
import type { Authorizer } from '../iam/authorizer.ts';
import type { LocalRoles } from '../identity.ts';
import { requestId as newRequestId } from '../ids.ts';
import {
  type EdgeRequest,
  type EdgeResponse,
  type FunctionInvoker,
  FunctionNotFoundError,
  InvokeDeniedError,
  type InvokeResult,
  type InvokeSource,
  type LocalClock,
  type LocalService,
  type QueueWriter,
  type ResourceProvider,
} from '../service.ts';
import { handleLambdaRequest, isLambdaApiPath, type LambdaBackend } from './api.ts';
import { AsyncInvocations } from './async-invocations.ts';
import { type FunctionDefinition, functionArnFrom } from './definition.ts';
import { DeployedFunction, type RuntimeDeps } from './deployed-function.ts';
import type { AsyncInvokeConfig } from './invoke-config.ts';
import { callerPolicyOf, type FunctionPermission, permitsService, resourcePolicyOf } from './permission.ts';
import { lambdaResourceProviders } from './resources.ts';
import type { Outcome } from './runtime/function-worker.ts';
import { type LambdaSnapshot, parseLambdaSnapshot } from './snapshot.ts';

export interface LambdaServiceOptions {
  /** The provider account and region (the defaults of what names no account or region). */
  account: string;
  region: string;
  /** The edge port's URL (known once it listens): functions' SDK clients call it. */
  endpoint: () => string;
  roles: LocalRoles;
  /** The SQS service, for invocation records to on-failure destinations. */
  queues: () => QueueWriter;
  deliveries: Deliveries;
  timers: Timers;
  clock: LocalClock & { onAdvance(listener: (offsetMs: number) => void): () => void };
  authorizer: Authorizer;
  log: (line: string) => void;
  /** Where a function's stdout and stderr lines go. */
  functionLog: (functionName: string, line: string) => void;
  faults?: Faults;
  /** Local-only variables laid over every function's template environment (e.g. POWERTOOLS_LOG_LEVEL). */
  environmentOverrides?: Record<string, string>;
  /**
   * Most environments of one function at once, whatever its reserved concurrency: by default
   * one per core of this machine, at least 2 and at most 4 (each environment is a thread
   * that loads the function's code; more of them than cores only adds cold starts).
   */
  maxConcurrencyPerFunction?: number;
  /** Before the first retry of a failed async invocation; doubles for each further one (default 1 s). */
  asyncRetryDelayMs?: number;
  /** How long an idle environment is kept (default 5 min). */
  idleMs?: number;
  /** Where handlers run from source are bundled (default os.tmpdir()/plgate-local-bundles). */
  bundleCache?: string;
}

export class LambdaService implements LocalService, FunctionInvoker {
  readonly name = 'lambda';
  readonly resources: readonly ResourceProvider[];
  readonly #functions = new Map<string, DeployedFunction>();
  readonly #permissions = new Map<string, FunctionPermission>();
  readonly #invokeConfigs = new Map<string, AsyncInvokeConfig>();
  readonly #async: AsyncInvocations;
  readonly #runtime: RuntimeDeps;
  readonly #unsubscribeClock: () => void;

  constructor(private readonly options: LambdaServiceOptions) {
    const { clock } = options;
    this.#runtime = {
      roles: options.roles,
      endpoint: options.endpoint,
      now: () => clock.now(),
      clockOffsetMs: () => clock.offsetMs,
      functionLog: options.functionLog,
      log: options.log,
      faults: options.faults,
      environmentOverrides: options.environmentOverrides ?? {},
      maxConcurrencyPerFunction: options.maxConcurrencyPerFunction ?? defaultEnvironmentLimit(),
      idleMs: options.idleMs ?? 5 * 60_000,
      bundleCache: options.bundleCache,
    };
    this.#async = new AsyncInvocations({
      deliveries: options.deliveries,
      timers: options.timers,
      now: () => clock.now(),
      queues: options.queues,
      log: options.log,
      functionOf: (arn) => this.#functions.get(arn),
      configOf: (arn) => this.#invokeConfigOf(arn),
      retryDelayMs: options.asyncRetryDelayMs ?? 1_000,
    });
    // Every live environment sees the cloud's clock move.
    this.#unsubscribeClock = clock.onAdvance((offsetMs) => {
      for (const fn of this.#functions.values()) fn.setClockOffset(offsetMs);
    });
    this.resources = lambdaResourceProviders({
      roles: options.roles,
      now: () => clock.now(),
      hasFunction: (arn) => this.#functions.has(arn),
      putFunction: (definition) => this.#putFunction(definition),
      removeFunction: (arn) => this.#removeFunction(arn),
      putPermission: (permission) => this.#permissions.set(permission.id, permission),
      removePermission: (id) => this.#permissions.delete(id),
      invokeConfigOf: (arn) => this.#invokeConfigOf(arn),
      putInvokeConfig: (config) => this.#invokeConfigs.set(config.id, config),
      removeInvokeConfig: (id) => this.#invokeConfigs.delete(id),
    });
  }

  matches(request: EdgeRequest): boolean {
    return isLambdaApiPath(request.url.pathname);
  }

  handle(request: EdgeRequest): Promise<EdgeResponse> {
    return handleLambdaRequest(this.#backend, request);
  }

  async invoke(functionArn: string, event: unknown, source: InvokeSource): Promise<InvokeResult> {
    const fn = this.#permitted(functionArn, source);
    return resultOf(await fn.run(event, newRequestId()));
  }

  async invokeAsync(functionArn: string, event: unknown, source: InvokeSource): Promise<void> {
    const fn = this.#permitted(functionArn, source);
    this.#async.enqueue(fn.definition.arn, event, newRequestId());
  }

  /** How many environments (containers) a function has started: its cold starts; 0 for no such function. */
  environmentsStarted(functionArn: string): number {
    return this.#functions.get(functionArn)?.environmentsStarted ?? 0;
  }

  /** The functions deployed, for `plgate local`'s listing. */
  functions(): FunctionDefinition[] {
    return [...this.#functions.values()].map((fn) => fn.definition);
  }

  snapshot(): LambdaSnapshot {
    return {
      version: 1,
      functions: this.functions(),
      permissions: [...this.#permissions.values()],
      invokeConfigs: [...this.#invokeConfigs.values()],
    };
  }

  restore(snapshot: unknown): void {
    const state = parseLambdaSnapshot(snapshot);
    for (const definition of state.functions) this.#putFunction(definition);
    for (const permission of state.permissions) this.#permissions.set(permission.id, permission);
    for (const config of state.invokeConfigs) this.#invokeConfigs.set(config.id, config);
  }

  /** Takes no more asynchronous invocations and wakes those waiting to retry (the cloud is stopping). */
  quiesce(): void {
    this.#async.stop();
  }

  async stop(): Promise<void> {
    this.#unsubscribeClock();
    this.#async.stop();
    await Promise.all([...this.#functions.values()].map((fn) => fn.stop()));
  }

  readonly #backend: LambdaBackend = {
    functionOf: (arn) => this.#functions.get(arn),
    functionsIn: (account, region) =>
      [...this.#functions.values()].filter(
        (fn) => fn.definition.account === account && fn.definition.region === region,
      ),
    policyOf: (arn) => {
      const permissions = this.#permissionsOf(arn);
      return { whole: resourcePolicyOf(arn, permissions), forCallers: callerPolicyOf(arn, permissions) };
    },
    authorize: (principal, requests) => this.options.authorizer.authorize(principal, requests),
    invokeNow: (fn, event, requestId) => fn.run(event, requestId),
    invokeLater: (fn, event, requestId) => this.#async.enqueue(fn.definition.arn, event, requestId),
  };

  /** The function, if `source` may invoke it. */
  #permitted(reference: string, source: InvokeSource): DeployedFunction {
    const arn = functionArnFrom(reference, this.options.account, this.options.region);
    const fn = arn === undefined ? undefined : this.#functions.get(arn);
    if (arn === undefined || fn === undefined)
      throw new FunctionNotFoundError(`Function not found: ${reference}`);
    if (source.kind === 'service' && !permitsService(this.#permissionsOf(arn), source))
      throw new InvokeDeniedError(
        `${source.principal} is not authorized to perform: lambda:InvokeFunction on resource: ${arn} for source ${source.sourceArn} (account ${source.sourceAccount}): no permission of the function allows it`,
      );
    return fn;
  }

  #permissionsOf(functionArn: string): FunctionPermission[] {
    return [...this.#permissions.values()].filter((permission) => permission.functionArn === functionArn);
  }

  #invokeConfigOf(functionArn: string): AsyncInvokeConfig | undefined {
    return [...this.#invokeConfigs.values()].find((config) => config.functionArn === functionArn);
  }

  #putFunction(definition: FunctionDefinition): void {
    const existing = this.#functions.get(definition.arn);
    if (existing !== undefined) existing.update(definition);
    else this.#functions.set(definition.arn, new DeployedFunction(definition, this.#runtime));
  }

  async #removeFunction(functionArn: string): Promise<void> {
    const fn = this.#functions.get(functionArn);
    this.#functions.delete(functionArn);
    // As Lambda does: the function's policy and async configuration go with it.
    for (const [id, permission] of this.#permissions)
      if (permission.functionArn === functionArn) this.#permissions.delete(id);
    for (const [id, config] of this.#invokeConfigs)
      if (config.functionArn === functionArn) this.#invokeConfigs.delete(id);
    await fn?.stop();
  }
}

function resultOf(outcome: Outcome): InvokeResult {
  if (outcome.ok) return { ok: true, payload: JSON.parse(outcome.payload) };
  return { ok: false, errorType: outcome.error.errorType, errorMessage: outcome.error.errorMessage };
}

/** One environment per core, between 2 (so that concurrency is real) and 4. */
export function defaultEnvironmentLimit(cores = availableParallelism()): number {
  return Math.min(4, Math.max(2, cores));
}
