import { createHash } from 'node:crypto';

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
  /** Fleets only (hub functions that act in members): what they present as sts:ExternalId. */
  fleetExternalId: 'FLEET_EXTERNAL_ID',
  /** Fleets only: the spoke names' prefix (functions/shared/fleet.ts). */
  fleetSpokeRoleName: 'FLEET_SPOKE_ROLE_NAME',
  /** Fleets only: listed members, `ACCOUNT:REGION` comma-separated. */
  fleetMembers: 'FLEET_MEMBERS',
  /** Fleets only: the organizational units whose accounts are members, comma-separated, and their regions. */
  fleetOrganizationalUnits: 'FLEET_ORGANIZATIONAL_UNITS',
  fleetRegions: 'FLEET_REGIONS',
} as const;

/**
 * Powertools' own switch, which the gate reads the other way round: SDK-level tracing is on
 * only when the stack sets it to `true` (config `sdkTracing`); Lambda's active tracing is on always.
 */
export const SDK_TRACING_ENV = 'POWERTOOLS_TRACE_ENABLED';

/** The register URL's path, on the stack's HTTP API and on the edge port of `plgate local`. */
export const REGISTER_PATH = '/register';
/** The stack name when none is configured (infra/config.ts), and the local cloud's. */
export const DEFAULT_STACK_NAME = 'PrivateLinkGate';

/**
 * The longest operator function name a Slack button can invoke: Chatbot allows a command
 * of 100 characters, and `lambda invoke --function-name NAME --payload
 * {"action":"approve","endpointId":"$id"}` is 80 without the name.
 */
export const OPERATOR_FUNCTION_NAME_MAX = 20;

/**
 * The operator function's name, from the stack's, so two stacks (staging beside
 * production) in one account and region do not collide: `<stackName>-op`, or for a stack
 * name longer than 17 characters its first 10, a hyphen and 6 hex digits of its SHA-256
 * (`<first10>-<hash>-op`), which keeps the Slack buttons' commands within Chatbot's limit.
 */
export function operatorFunctionName(stackName: string): string {
  const plain = `${stackName}-op`;
  if (plain.length <= OPERATOR_FUNCTION_NAME_MAX) return plain;
  const digest = createHash('sha256').update(stackName).digest('hex').slice(0, 6);
  return `${stackName.slice(0, 10).replace(/-+$/, '')}-${digest}-op`;
}

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

/** A hub's fleet, as the stack tells its acting functions (infra/constructs/fleet-hub.ts). */
export interface FleetSettings {
  /** Listed members, one per account and region. */
  members: { account: string; region: string }[];
  externalId: string;
  spokeRoleName: string;
  /** Organizational units whose accounts are members, in `regions`. */
  organizationalUnits: string[];
  regions: string[];
}

/** The FLEET_* variables (ENV's keys) that say a hub's fleet, as readFleetSettings reads them. */
export const FLEET_VARIABLES = [
  'fleetExternalId',
  'fleetSpokeRoleName',
  'fleetMembers',
  'fleetOrganizationalUnits',
  'fleetRegions',
] as const satisfies readonly (keyof typeof ENV)[];
export type FleetVariable = (typeof FLEET_VARIABLES)[number];

/**
 * The hub stack's outputs that say its fleet (infra/constructs/fleet-hub.ts), each holding the
 * value of the FLEET_* variable of its key, exactly as the hub's acting functions get it, so that
 * `plgate … --stack NAME` reads the fleet from them with readFleetSettings. An empty value has no
 * output (CloudFormation refuses one). Keep the keys exactly: deployed hubs carry them.
 */
export const FLEET_STACK_OUTPUTS = {
  ingestQueueArn: 'FleetIngestQueueArn',
  fleetExternalId: 'FleetExternalId',
  fleetSpokeRoleName: 'FleetSpokeRoleName',
  fleetMembers: 'FleetMembers',
  fleetOrganizationalUnits: 'FleetOrganizationalUnits',
  fleetRegions: 'FleetRegions',
} as const satisfies Record<FleetVariable | 'ingestQueueArn', string>;

const MEMBER = /^(\d{12}):([a-z]{2}(?:-[a-z]+)+-\d)$/;

/** The fleet this function is a hub of, or undefined for a stack of one (no FLEET_* set). */
export function readFleetSettings(env: NodeJS.ProcessEnv = process.env): FleetSettings | undefined {
  const externalId = env[ENV.fleetExternalId];
  const spokeRoleName = env[ENV.fleetSpokeRoleName];
  if (!externalId || !spokeRoleName) return undefined;
  const list = (key: string): string[] =>
    (env[key] ?? '')
      .split(',')
      .map((value) => value.trim())
      .filter((value) => value !== '');
  const members = list(ENV.fleetMembers).map((member) => {
    const match = MEMBER.exec(member);
    if (!match?.[1] || !match[2])
      throw new ConfigError(`${ENV.fleetMembers}: "${member}" is not ACCOUNT:REGION`);
    return { account: match[1], region: match[2] };
  });
  return {
    members,
    externalId,
    spokeRoleName,
    organizationalUnits: list(ENV.fleetOrganizationalUnits),
    regions: list(ENV.fleetRegions),
  };
}
