/**
 * Names of the gate's resources, from the environment. The CDK stack sets these on
 * every function; `plgate local` sets them for the in-process gate.
 */
export interface GateConfig {
  rulesTable: string;
  ledgerTable: string;
  decisionsTopicArn: string;
  ingestTopicArn: string;
  gateBusName: string;
  /** Look up consumer accounts in AWS Organizations (needs organizations:Describe and List actions in the org's management or delegated admin account). */
  organizationsLookup: boolean;
  /** Days a ledger entry is kept before DynamoDB's TTL removes it. */
  ledgerRetentionDays: number;
}

export const ENV = {
  rulesTable: 'RULES_TABLE',
  ledgerTable: 'LEDGER_TABLE',
  decisionsTopicArn: 'DECISIONS_TOPIC_ARN',
  ingestTopicArn: 'INGEST_TOPIC_ARN',
  gateBusName: 'GATE_BUS_NAME',
  organizationsLookup: 'ORGANIZATIONS_LOOKUP',
  ledgerRetentionDays: 'LEDGER_RETENTION_DAYS',
  /** Ingest only: the gate's own role ARNs, comma-separated; their accepts and rejects in CloudTrail are not manual. */
  gateRoleArns: 'GATE_ROLE_ARNS',
  /**
   * Register only: origins besides AWS STS that proofs may be sent to, comma-separated.
   * Set by `plgate local` to its own edge; never set in the stack.
   */
  registerStsOrigins: 'REGISTER_STS_ORIGINS',
} as const;

/**
 * Powertools' own switch, which the gate reads the other way round: SDK-level tracing is on
 * only when the stack sets it to `true` (config `sdkTracing`); Lambda's active tracing is on always.
 */
export const SDK_TRACING_ENV = 'POWERTOOLS_TRACE_ENABLED';

/** The register URL's path, on the stack's HTTP API and on the edge port of `plgate local`. */
export const REGISTER_PATH = '/register';
/**
 * The operator function's name, fixed so that a Slack button's command fits Chatbot's
 * 100 characters: `lambda invoke --function-name plgate-operator --payload {...}`.
 */
export const OPERATOR_FUNCTION_NAME = 'plgate-operator';

/** Operator function only: who acts, the chat channel's role ARN (the one caller the stack allows). */
export const OPERATOR_ACTOR_ENV = 'OPERATOR_ACTOR';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): GateConfig {
  const required = (key: string): string => {
    const value = env[key];
    if (value === undefined || value === '') throw new ConfigError(`environment variable ${key} is not set`);
    return value;
  };
  const days = Number(env[ENV.ledgerRetentionDays] ?? '400');
  if (!Number.isInteger(days) || days < 1) {
    throw new ConfigError(
      `${ENV.ledgerRetentionDays} must be a whole number of days, got "${env[ENV.ledgerRetentionDays]}"`,
    );
  }
  return {
    rulesTable: required(ENV.rulesTable),
    ledgerTable: required(ENV.ledgerTable),
    decisionsTopicArn: required(ENV.decisionsTopicArn),
    ingestTopicArn: required(ENV.ingestTopicArn),
    gateBusName: required(ENV.gateBusName),
    organizationsLookup: env[ENV.organizationsLookup] === 'true',
    ledgerRetentionDays: days,
  };
}
