/**
 * The configuration every AWS SDK client of the gate is built with (attempts, retry mode,
 * timeouts, endpoint, credentials), apart from the clients themselves: a handler builds only
 * the clients it calls, so its bundle carries only those SDK packages.
 */
import { ConfigError } from '../shared/config.ts';

export const RETRY_MODES = ['standard', 'adaptive'] as const;
export type RetryMode = (typeof RETRY_MODES)[number];

/** Static credentials (the local cloud reads the account from the access key id). */
export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface ClientOptions {
  region?: string;
  /** One endpoint for every client (the local cloud serves all APIs on one port). AWS_ENDPOINT_URL is honoured by the SDK itself. */
  endpoint?: string;
  credentials?: StaticCredentials;
  /** Total attempts per call including the first, at most MAX_ATTEMPTS; default AWS_MAX_ATTEMPTS, else MAX_ATTEMPTS. */
  maxAttempts?: number;
  /** Default AWS_RETRY_MODE, else the client's own default (`defaultRetryMode`). */
  retryMode?: RetryMode;
  /** Milliseconds a single HTTP request may take before it is abandoned and retried; at most DEFAULT_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
}

/**
 * Attempts, connection and request timeouts bound how long one call can take (call-budget.ts):
 * a call made under a lease must end before the lease can run out, so these are ceilings,
 * not only defaults.
 */
export const MAX_ATTEMPTS = 3;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const CONNECTION_TIMEOUT_MS = 3_000;

/**
 * `defaultRetryMode` is the mode when neither the options nor AWS_RETRY_MODE name one: the
 * gate's EC2 client is adaptive (EC2 throttles each account's API calls with a token bucket,
 * and client-side rate limiting is what AWS advises against it); the others are standard.
 * Adaptive mode's limiter, once throttled, paces a client at a fraction of its measured send
 * rate, which for a Lambda's few calls a second means seconds between calls: under
 * DynamoDB's throttling that stalled whole batches (the chaos run took 4x as long).
 */
export function clientConfig(
  options: ClientOptions = {},
  env: NodeJS.ProcessEnv = process.env,
  defaultRetryMode: RetryMode = 'standard',
) {
  const maxAttempts = options.maxAttempts ?? maxAttemptsFrom(env);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS) {
    throw new ConfigError(
      `maxAttempts must be a whole number from 1 to ${MAX_ATTEMPTS} (more would outlast the gate's leases), got ${maxAttempts}`,
    );
  }
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (
    !Number.isInteger(requestTimeoutMs) ||
    requestTimeoutMs < 1 ||
    requestTimeoutMs > DEFAULT_REQUEST_TIMEOUT_MS
  ) {
    throw new ConfigError(
      `requestTimeoutMs must be a whole number from 1 to ${DEFAULT_REQUEST_TIMEOUT_MS}, got ${requestTimeoutMs}`,
    );
  }
  const retryMode = options.retryMode ?? retryModeFrom(env) ?? defaultRetryMode;
  if (!RETRY_MODES.includes(retryMode)) {
    throw new ConfigError(`retryMode must be one of ${RETRY_MODES.join(', ')}, got "${retryMode}"`);
  }
  const endpoint = options.endpoint;
  if (endpoint !== undefined && !URL.canParse(endpoint)) {
    throw new ConfigError(`endpoint must be a URL, got "${endpoint}"`);
  }
  const config = {
    maxAttempts,
    retryMode,
    // The options of @smithy/node-http-handler, which each client builds its handler from.
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: requestTimeoutMs },
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  };
  return config;
}

function maxAttemptsFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.AWS_MAX_ATTEMPTS;
  if (raw === undefined || raw === '') return MAX_ATTEMPTS;
  const value = Number(raw);
  if (!Number.isInteger(value))
    throw new ConfigError(`AWS_MAX_ATTEMPTS must be a whole number, got "${raw}"`);
  return value;
}

function retryModeFrom(env: NodeJS.ProcessEnv): RetryMode | undefined {
  const raw = env.AWS_RETRY_MODE;
  if (raw === undefined || raw === '') return undefined;
  const mode = RETRY_MODES.find((m) => m === raw);
  if (mode === undefined) {
    throw new ConfigError(`AWS_RETRY_MODE must be one of ${RETRY_MODES.join(', ')}, got "${raw}"`);
  }
  return mode;
}
