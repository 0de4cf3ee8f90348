/**
 * The rule model: one zod schema for defaults, service settings and rules, used for YAML
 * rule files and rules-table items alike (DESIGN §3). Strict: unknown fields, wrong
 * types and malformed ids are refused. `policies/schema.json` is generated from it.
 */
import * as z from '../../shared/zod.ts';
import { IP_ADDRESS_TYPES } from '../connection.ts';
import { EFFECTS } from '../decision-record.ts';
import {
  DURATION_PATTERN,
  DurationParseError,
  parseIsoDuration,
  parseIsoTimestamp,
  TIMESTAMP_PATTERN,
} from '../iso8601.ts';

export const PATTERNS = {
  ruleId: /^[A-Za-z0-9._-]{1,64}$/,
  account: /^\d{12}$/,
  endpoint: /^vpce-[0-9a-f]{8,17}$/,
  service: /^vpce-svc-[0-9a-f]{8,17}$/,
  organization: /^o-[a-z0-9]{10,32}$/,
  organizationalUnit: /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/,
  region:
    /^[a-z]{2}(-(gov|iso|isob|isoe|isof))?-(central|north|south|east|west|northeast|northwest|southeast|southwest)-[1-9][0-9]?$/,
} as const;

export const MESSAGES = {
  ruleId: 'must be 1 to 64 characters of A-Z, a-z, 0-9, ".", "_" or "-"',
  account: 'must be a 12-digit account id',
  endpoint: 'must be an endpoint id (vpce- and 8 to 17 hex digits)',
  service: 'must be an endpoint service id (vpce-svc- and 8 to 17 hex digits)',
  organization: 'must be an organization id (o- and 10 to 32 lowercase letters or digits)',
  organizationalUnit: 'must be an organizational unit id such as ou-ab12-cd34ef56',
  region: 'must be an AWS region such as us-east-1',
  timestamp: 'must be an ISO-8601 timestamp with a time zone, such as 2026-01-01T00:00:00Z',
} as const;

export const ON_REVOKE = ['notify', 'reject'] as const;
export const MODES = ['enforce', 'dry-run', 'off'] as const;

const id = (pattern: RegExp, message: string) => z.string().check(z.regex(pattern, { error: message }));

export const AccountIdSchema = id(PATTERNS.account, MESSAGES.account);
export const EndpointIdSchema = id(PATTERNS.endpoint, MESSAGES.endpoint);
export const ServiceIdSchema = id(PATTERNS.service, MESSAGES.service);
export const OrganizationIdSchema = id(PATTERNS.organization, MESSAGES.organization);
export const OrganizationalUnitIdSchema = id(PATTERNS.organizationalUnit, MESSAGES.organizationalUnit);
export const RegionSchema = id(PATTERNS.region, MESSAGES.region);
export const RuleIdSchema = id(PATTERNS.ruleId, MESSAGES.ruleId);

export const TimestampSchema = z.string().check(
  z.refine((text: string) => parseIsoTimestamp(text) !== undefined, { error: MESSAGES.timestamp }),
  z.meta({ pattern: TIMESTAMP_PATTERN, examples: ['2026-01-01T00:00:00Z'] }),
);

export const DurationSchema = z.string().check(
  (ctx) => {
    try {
      if (parseIsoDuration(ctx.value) === 0) {
        ctx.issues.push({ code: 'custom', message: 'must be longer than zero', input: ctx.value });
      }
    } catch (error) {
      if (!(error instanceof DurationParseError)) throw error;
      ctx.issues.push({ code: 'custom', message: error.reason, input: ctx.value });
    }
  },
  z.meta({ pattern: DURATION_PATTERN, examples: ['P7D', 'PT12H', 'P1DT6H'] }),
);

/** A list condition: any listed value satisfies it. Empty lists are refused: they could never match. */
const list = <T extends z.ZodMiniType>(item: T, description: string) =>
  z
    .optional(z.array(item).check(z.minLength(1, { error: 'must list at least one value' })))
    .check(z.meta({ description }));

const settingsShape = {
  defaultEffect: z
    .optional(z.enum(EFFECTS))
    .check(z.meta({ description: 'What happens to a connection no rule decides (default review).' })),
  pendingTtl: z.optional(DurationSchema).check(
    z.meta({
      description:
        'How long a request may wait in review, counted from its creation, before it is rejected as expired (default P7D).',
    }),
  ),
  onRevoke: z.optional(z.enum(ON_REVOKE)).check(
    z.meta({
      description:
        'What happens to an accepted connection that now evaluates to reject: notify (default) or reject.',
    }),
  ),
  mode: z.optional(z.enum(MODES)).check(
    z.meta({
      description:
        'enforce (default) acts; dry-run records and notifies what it would do; off ignores the service.',
    }),
  ),
};

export const DefaultsSchema = z
  .strictObject(settingsShape)
  .check(
    z.meta({ description: 'Settings for every managed service that has no service settings of its own.' }),
  );

export const ServiceSettingsSchema = z.strictObject(settingsShape).check(
  z.meta({
    description: 'Settings of one endpoint service; any field not given falls back to the defaults.',
  }),
);

export const TAG_KEY_MAX = 128;
export const TAG_VALUE_MAX = 256;

export const MatchSchema = z
  .strictObjectOfLists({
    accounts: list(AccountIdSchema, 'Consumer account ids (VpcEndpointOwner). Quote them in YAML.'),
    endpoints: list(EndpointIdSchema, 'Consumer endpoint ids.'),
    organizations: list(OrganizationIdSchema, "The consumer account's AWS Organization."),
    organizationalUnits: list(
      OrganizationalUnitIdSchema,
      'Organizational units; an account anywhere under one of them matches.',
    ),
    regions: list(RegionSchema, "The consumer endpoint's region (cross-region PrivateLink)."),
    crossRegion: z.optional(z.boolean({ error: 'must be true or false' })).check(
      z.meta({
        description:
          "true: the consumer endpoint's region differs from the service's; false: same region only. An endpoint EC2 shows no region for is in the service's region.",
      }),
    ),
    serviceAccounts: list(
      AccountIdSchema,
      'The provider account that owns the endpoint service (fleets: which member). Quote them in YAML.',
    ),
    serviceRegions: list(
      RegionSchema,
      'The region the endpoint service lives in (fleets: which member region).',
    ),
    ipAddressTypes: list(z.enum(IP_ADDRESS_TYPES), 'The endpoint IP address type.'),
    tags: z
      .optional(
        z.record(
          z
            .string()
            .check(
              z.minLength(1, { error: 'tag keys must not be empty' }),
              z.maxLength(TAG_KEY_MAX, { error: `tag keys must be at most ${TAG_KEY_MAX} characters` }),
            ),
          z
            .string()
            .check(
              z.maxLength(TAG_VALUE_MAX, { error: `tag values must be at most ${TAG_VALUE_MAX} characters` }),
            ),
        ),
      )
      .check(
        z.meta({
          description: 'Connection tags (keys are case-sensitive); the value "*" means the key is present.',
        }),
      ),
  })
  .check(
    z.meta({
      description: 'Every condition given must hold; within a list any value. Empty: every connection.',
    }),
  );

export const LimitsSchema = z
  .strictObject({
    maxEndpointsPerAccount: z.int({ error: 'must be a whole number' }).check(
      z.gte(1, { error: 'must be at least 1' }),
      z.meta({
        description:
          "The rule stops matching once the account has this many accepted endpoints on the connection's service.",
      }),
    ),
  })
  .check(z.meta({ description: 'Accept rules only.' }));

const ruleShape = {
  id: RuleIdSchema.check(z.meta({ description: 'Unique across the rule set: [A-Za-z0-9._-]{1,64}.' })),
  effect: z.enum(EFFECTS).check(z.meta({ description: 'accept | reject | review' })),
  description: z.optional(z.string().check(z.maxLength(1024, { error: 'must be at most 1024 characters' }))),
  enabled: z.optional(z.boolean()).check(z.meta({ description: 'Default true.' })),
  services: list(
    ServiceIdSchema,
    'The endpoint services this rule applies to; absent: every managed service.',
  ),
  match: z.optional(MatchSchema),
  limits: z.optional(LimitsSchema),
  validFrom: z
    .optional(TimestampSchema)
    .check(z.meta({ description: 'The rule is active from this instant (inclusive).' })),
  validUntil: z
    .optional(TimestampSchema)
    .check(z.meta({ description: 'The rule is active until this instant (exclusive).' })),
  pendingTtl: z.optional(DurationSchema).check(
    z.meta({
      description: 'Review rules only: how long a request held by this rule may wait before it expires.',
    }),
  ),
  meta: z
    .optional(z.record(z.string(), z.unknown()))
    .check(z.meta({ description: 'Free-form bookkeeping (ticket, owner, ...); kept, never evaluated.' })),
};

/** Checks across fields; runs even when single fields failed, so every problem is reported at once. */
function checkRule(value: unknown, ctx: z.core.$RefinementCtx): void {
  if (typeof value !== 'object' || value === null) return;
  const rule: Record<string, unknown> = { ...value };
  const effect = rule.effect;
  if (rule.limits !== undefined && effect !== 'accept') {
    ctx.addIssue({
      code: 'custom',
      path: ['limits'],
      message: `is allowed only on accept rules, this rule's effect is ${describeEffect(effect)}`,
      input: rule.limits,
    });
  }
  if (rule.pendingTtl !== undefined && effect !== 'review') {
    ctx.addIssue({
      code: 'custom',
      path: ['pendingTtl'],
      message: `is allowed only on review rules (and in defaults or service settings), this rule's effect is ${describeEffect(effect)}`,
      input: rule.pendingTtl,
    });
  }
  const from = typeof rule.validFrom === 'string' ? parseIsoTimestamp(rule.validFrom) : undefined;
  const until = typeof rule.validUntil === 'string' ? parseIsoTimestamp(rule.validUntil) : undefined;
  if (from !== undefined && until !== undefined && from >= until) {
    ctx.addIssue({
      code: 'custom',
      path: ['validUntil'],
      message: `must be after validFrom (${String(rule.validFrom)})`,
      input: rule.validUntil,
    });
  }
}

function describeEffect(effect: unknown): string {
  return typeof effect === 'string' ? effect : 'not set';
}

const isObject = (payload: { value: unknown }): boolean =>
  typeof payload.value === 'object' && payload.value !== null;

/** JSON-schema form of the cross-field checks, for editors (zod refinements are not exported). */
const ruleJsonSchemaChecks = {
  allOf: [
    {
      if: { properties: { effect: { const: 'accept' } } },
      else: { not: { required: ['limits'] } },
    },
    {
      if: { properties: { effect: { const: 'review' } } },
      else: { not: { required: ['pendingTtl'] } },
    },
  ],
};

export const RuleSchema = z.strictObjectOfLists(ruleShape).check(
  z.superRefine(checkRule, { when: isObject }),
  z.meta({
    description: 'One rule: when its conditions hold, its effect applies (DESIGN §3).',
    ...ruleJsonSchemaChecks,
  }),
);

/** A YAML rule file: any of the three sections. Duplicate ids are checked across the whole rule set. */
export const RuleFileSchema = z
  .strictObjectOfLists({
    defaults: z.optional(DefaultsSchema),
    services: z
      .optional(z.record(ServiceIdSchema, ServiceSettingsSchema))
      .check(z.meta({ description: 'Settings per endpoint service id.' })),
    rules: z.optional(z.array(RuleSchema)),
  })
  .check(
    z.meta({
      title: 'privatelink-gate rule file',
      description: 'Rules for privatelink-gate. See policies/README.md.',
    }),
  );

/** Rules-table items: the YAML fields plus `kind` and `id` (the table key). */
export const DefaultsItemSchema = z.strictObject({
  kind: z.literal('defaults'),
  id: z.literal('defaults', { error: 'must be "defaults"' }),
  ...settingsShape,
});
export const ServiceItemSchema = z.strictObject({
  kind: z.literal('service'),
  id: ServiceIdSchema,
  ...settingsShape,
});
export const RuleOnlyItemSchema = z
  .strictObjectOfLists({ kind: z.literal('rule'), ...ruleShape })
  .check(z.superRefine(checkRule, { when: isObject }));

export const RuleItemSchema = z.discriminatedUnion('kind', [
  DefaultsItemSchema,
  ServiceItemSchema,
  RuleOnlyItemSchema,
]);

export type Defaults = z.infer<typeof DefaultsSchema>;
export type ServiceSettings = z.infer<typeof ServiceSettingsSchema>;
export type Match = z.infer<typeof MatchSchema>;
export type Rule = z.infer<typeof RuleSchema>;
export type RuleFile = z.infer<typeof RuleFileSchema>;
export type RuleItem = z.infer<typeof RuleItemSchema>;

/** Every field name the model knows, for "did you mean" hints on unknown fields. */
export const KNOWN_FIELDS: readonly string[] = [
  ...new Set([
    ...Object.keys(settingsShape),
    ...Object.keys(ruleShape),
    ...Object.keys(MatchSchema.shape),
    ...Object.keys(LimitsSchema.shape),
    'defaults',
    'services',
    'rules',
    'kind',
  ]),
];

/** The JSON Schema of a rule file (draft-07, which editors' YAML plugins read). */
export function ruleFileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(RuleFileSchema, { target: 'draft-7', unrepresentable: 'any' });
}
