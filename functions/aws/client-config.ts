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
  /** Total attempts per call including the first; default AWS_MAX_ATTEMPTS, else 5. */
  maxAttempts?: number;
  /** Default AWS_RETRY_MODE, else adaptive (client-side rate limiting on throttling, which EC2 needs). */
  retryMode?: RetryMode;
  /** Milliseconds a single HTTP request may take before it is abandoned and retried. */
  requestTimeoutMs?: number;
}

const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const CONNECTION_TIMEOUT_MS = 3_000;

export function clientConfig(options: ClientOptions = {}, env: NodeJS.ProcessEnv = process.env) {
  const maxAttempts = options.maxAttempts ?? maxAttemptsFrom(env);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 20) {
    throw new ConfigError(`maxAttempts must be a whole number from 1 to 20, got ${maxAttempts}`);
  }
  const retryMode = options.retryMode ?? retryModeFrom(env);
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
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    },
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  };
  return config;
}

function maxAttemptsFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.AWS_MAX_ATTEMPTS;
  if (raw === undefined || raw === '') return DEFAULT_MAX_ATTEMPTS;
  const value = Number(raw);
  if (!Number.isInteger(value))
    throw new ConfigError(`AWS_MAX_ATTEMPTS must be a whole number, got "${raw}"`);
  return value;
}

function retryModeFrom(env: NodeJS.ProcessEnv): RetryMode {
  const raw = env.AWS_RETRY_MODE;
  if (raw === undefined || raw === '') return 'adaptive';
  const mode = RETRY_MODES.find((m) => m === raw);
  if (mode === undefined) {
    throw new ConfigError(`AWS_RETRY_MODE must be one of ${RETRY_MODES.join(', ')}, got "${raw}"`);
  }
  return mode;
}
