import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { closestName } from '../functions/core/rules/problems.ts';
import { MESSAGES, PATTERNS } from '../functions/core/rules/schema.ts';
import { DEFAULT_STACK_NAME } from '../functions/shared/config.ts';
import { DEFAULT_SPOKE_ROLE_NAME } from '../functions/shared/fleet.ts';

/**
 * The deployment's settings: CDK context key `privatelinkGate` (an object in cdk.json,
 * or a JSON string from `cdk deploy -c privatelinkGate='{…}'`) over infra/config.json
 * over the defaults. infra/README.md documents every field.
 */
export const CONTEXT_KEY = 'privatelinkGate';

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const SQS_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}$/;
const LAMBDA_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$/;

const wholeNumber = (min: number, max: number, what: string) =>
  z
    .number({ error: `must be a number (${what})` })
    .int({ error: `must be a whole number (${what})` })
    .min(min, { error: `must be at least ${min} (${what})` })
    .max(max, { error: `must be at most ${max} (${what})` });

const region = z.string({ error: MESSAGES.region }).regex(PATTERNS.region, { error: MESSAGES.region });
const regions = z
  .array(region, { error: 'must be a list of regions' })
  .min(1, { error: 'must list at least one region' })
  .refine((list) => new Set(list).size === list.length, { error: 'must not list a region twice' });

/** An IAM role or user (a path allowed, `*` in the name for SSO's generated role names). */
const OPERATOR_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)\/[A-Za-z0-9+=,.@_/*-]{1,512}$/;

/** One account of a fleet and the regions it runs endpoint services in: a spoke stack each. */
const fleetMemberSchema = z.strictObject({
  account: z
    .string({ error: MESSAGES.account })
    .regex(PATTERNS.account, { error: `${MESSAGES.account} (quote it in JSON)` }),
  regions,
});

/**
 * How the hub's CloudFormation creates the units' service-managed StackSet (its `CallAs`, with
 * CloudFormation's two values): `SELF` in the organization's management account,
 * `DELEGATED_ADMIN` in a member account registered as StackSets' delegated administrator.
 */
export const STACK_SET_CALL_AS = ['SELF', 'DELEGATED_ADMIN'] as const;

/**
 * Many provider accounts and regions decided by this stack (the hub): listed members get a
 * spoke stack each in this app, organizational units a service-managed StackSet. docs/fleet.md.
 */
const fleetSchema = z
  .strictObject({
    members: z.array(fleetMemberSchema, { error: 'must be a list of {account, regions}' }).default([]),
    organizationalUnits: z
      .array(
        z
          .string({ error: MESSAGES.organizationalUnit })
          .regex(PATTERNS.organizationalUnit, { error: MESSAGES.organizationalUnit }),
        { error: 'must be a list of organizational unit ids' },
      )
      .default([]),
    /** The regions the StackSet deploys spokes to in every account of the organizational units. */
    regions: regions.optional(),
    /** The organization the units belong to: the hub admits their spokes by `aws:SourceOrgID`. */
    organizationId: z
      .string({ error: MESSAGES.organization })
      .regex(PATTERNS.organization, { error: MESSAGES.organization })
      .optional(),
    /**
     * Where the hub is deployed, for the StackSet: left out or `SELF`, the management account
     * (CloudFormation's default); `DELEGATED_ADMIN`, an account registered as StackSets'
     * delegated administrator. Only with organizationalUnits.
     */
    stackSetCallAs: z
      .enum(STACK_SET_CALL_AS, {
        error:
          'must be "SELF" (the hub in the management account) or "DELEGATED_ADMIN" (the hub in a delegated administrator account for StackSets)',
      })
      .optional(),
    spokeRoleName: z
      .string({ error: 'must be a string' })
      .regex(/^[A-Za-z0-9+=,.@_-]{1,40}$/, {
        error:
          "must be 1 to 40 characters of letters, digits and +=,.@_- (the region is appended to it, within IAM's 64)",
      })
      .default(DEFAULT_SPOKE_ROLE_NAME),
    /**
     * People who act in members through the spoke roles as the hub's functions do (`plgate fleet`,
     * `approve`, `deny`, the console): IAM role or user ARNs in the hub account, `*` allowed in
     * the name (an SSO permission set's role). They present the same external id.
     */
    operators: z
      .array(
        z.string({ error: 'must be an IAM role or user ARN' }).regex(OPERATOR_ARN, {
          error:
            'must be an IAM role or user ARN, like arn:aws:iam::111111111111:role/PlatformOps (* allowed in the name)',
        }),
        { error: 'must be a list of IAM role or user ARNs' },
      )
      .default([]),
    /** What the hub's functions present to `sts:AssumeRole`; default `privatelink-gate:<hub account>:<stackName>`. */
    externalId: z
      .string({ error: 'must be a string' })
      .regex(/^[A-Za-z0-9+=,.@:/_-]{2,1224}$/, {
        error: 'must be 2 to 1224 characters of letters, digits and +=,.@:/_- (what sts:ExternalId accepts)',
      })
      .optional(),
  })
  .superRefine((fleet, ctx) => {
    if (fleet.members.length === 0 && fleet.organizationalUnits.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must list members or organizationalUnits, or be left out' });
    }
    const seen = new Set<string>();
    fleet.members.forEach((member, index) => {
      if (seen.has(member.account))
        ctx.addIssue({
          code: 'custom',
          path: ['members', index, 'account'],
          message: 'is listed twice (give one entry all its regions)',
        });
      seen.add(member.account);
    });
    if (fleet.organizationalUnits.length === 0) {
      if (fleet.stackSetCallAs !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['stackSetCallAs'],
          message:
            'applies only with organizationalUnits (it says how their StackSet is created): add the units or leave it out',
        });
      return;
    }
    if (fleet.regions === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['regions'],
        message: 'is required with organizationalUnits: the regions the StackSet deploys spokes to',
      });
    if (fleet.organizationId === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['organizationId'],
        message:
          "is required with organizationalUnits: the hub's queue admits the units' spokes by aws:SourceOrgID",
      });
  });

const gateConfigSchema = z.strictObject({
  stackName: z
    .string({ error: 'must be a string' })
    .regex(STACK_NAME, {
      error: 'must start with a letter and hold only letters, digits and hyphens (at most 128)',
    })
    .default(DEFAULT_STACK_NAME),
  sweepRate: wholeNumber(1, 1440, 'minutes between sweeps').default(5),
  logRetentionDays: z
    .number({ error: 'must be a number of days' })
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
      error: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .default(90),
  ledgerRetentionDays: wholeNumber(1, 36_500, 'days a ledger entry is kept').default(400),
  emailSubscriptions: z.array(z.email({ error: 'must be an e-mail address' })).default([]),
  slack: z
    .strictObject({
      workspaceId: z.string().regex(/^[0-9A-Z]{1,255}$/, {
        error: 'must be the Slack workspace id (upper-case letters and digits, e.g. T0123ABCD)',
      }),
      channelId: z.string().regex(/^[A-Za-z0-9]{1,255}$/, {
        error: 'must be the Slack channel id (letters and digits, e.g. C0123ABCD)',
      }),
    })
    .optional(),
  extraSubscriberArns: z
    .array(
      z.string().refine((arn) => SQS_ARN.test(arn) || LAMBDA_ARN.test(arn), {
        error: 'must be the ARN of a standard SQS queue or of a Lambda function',
      }),
    )
    .default([]),
  organizationsLookup: z.boolean({ error: 'must be true or false' }).default(false),
  sdkTracing: z.boolean({ error: 'must be true or false' }).default(false),
  alarmEmail: z.email({ error: 'must be an e-mail address' }).optional(),
  decideReservedConcurrency: wholeNumber(1, 1000, 'concurrent decide invocations').optional(),
  registerApi: z.boolean({ error: 'must be true or false' }).default(true),
  fleet: fleetSchema.optional(),
});

export type FleetConfig = z.output<typeof fleetSchema>;

export type GateStackConfig = z.output<typeof gateConfigSchema>;

export class GateConfigError extends Error {
  override name = 'GateConfigError';
}

/** Validates settings from any source; the error names the field and the value it got. */
export function parseGateConfig(input: unknown, source = CONTEXT_KEY): GateStackConfig {
  const result = gateConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const field = path === '' ? source : `${source}.${path}`;
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys(shapeAt(issue.path));
      const keys = issue.keys.map((key) => {
        const meant = closestName(key, known);
        return meant === undefined ? `"${key}"` : `"${key}" (did you mean "${meant}"?)`;
      });
      return `${field}: unknown field(s) ${keys.join(', ')}`;
    }
    return `${field}: ${issue.message}, got ${describe(valueAt(input, issue.path))}`;
  });
  throw new GateConfigError(`invalid privatelink-gate config: ${problems.join('; ')}`);
}

export interface ConfigSources {
  /** The value of the CDK context key `privatelinkGate`, if any. */
  context?: unknown;
  /** A JSON config file; missing is fine, unreadable or invalid is an error. */
  filePath?: string;
}

/** Reads the file (if present) and the context, context winning field by field, then validates. */
export function loadGateConfig({ context, filePath }: ConfigSources): GateStackConfig {
  const fromFile = filePath !== undefined && existsSync(filePath) ? readJsonObject(filePath) : {};
  const fromContext = context === undefined ? {} : contextObject(context);
  return parseGateConfig({ ...fromFile, ...fromContext }, 'config');
}

function readJsonObject(filePath: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(filePath, 'utf8'));
  } catch (error) {
    throw new GateConfigError(`cannot read ${filePath} as JSON`, { cause: error });
  }
  if (!isRecord(parsed))
    throw new GateConfigError(`${filePath} must hold a JSON object, got ${describe(parsed)}`);
  return parsed;
}

function contextObject(context: unknown): Record<string, unknown> {
  let value = context;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (error) {
      throw new GateConfigError(`context ${CONTEXT_KEY} must be a JSON object, got ${describe(context)}`, {
        cause: error,
      });
    }
  }
  if (!isRecord(value))
    throw new GateConfigError(`context ${CONTEXT_KEY} must be an object, got ${describe(value)}`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The fields the schema knows at a path (the top level, the slack object, the fleet and its members). */
function shapeAt(path: readonly PropertyKey[]): Record<string, unknown> {
  const [first, second] = path;
  if (path.length === 1 && first === 'slack') return gateConfigSchema.shape.slack.unwrap().shape;
  if (path.length === 1 && first === 'fleet') return fleetSchema.shape;
  if (path.length === 3 && first === 'fleet' && second === 'members') return fleetMemberSchema.shape;
  return path.length === 0 ? gateConfigSchema.shape : {};
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (Array.isArray(current) && typeof key === 'number') current = current[key];
    else if (isRecord(current) && typeof key === 'string') current = current[key];
    else return undefined;
  }
  return current;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
