/**
 * Key design of the gate's two DynamoDB tables, shared by the adapters, the CDK
 * stack, the local cloud and the CLI.
 *
 * Rules table: one item per defaults / service settings / rule, fields exactly as
 * in a YAML rule file plus `kind`. The `meta`/`version` item holds the rules
 * version (a number bumped on every change) that caches and `policy push` use.
 *
 * Ledger table: history entries (`sk` = `entry#<ISO time>#<suffix>`) and one
 * `state` item per endpoint that makes actions idempotent (conditional writes).
 * Entries carry `at`, so the service/account indexes are sparse and hold only
 * entries. `expiresAt` (epoch seconds) is the TTL attribute.
 */
export const RULES_TABLE_KEY = { partitionKey: 'kind', sortKey: 'id' } as const;
export const RULE_ITEM_KINDS = ['defaults', 'service', 'rule'] as const;
export type RuleItemKind = (typeof RULE_ITEM_KINDS)[number];
export const DEFAULTS_ITEM_ID = 'defaults';
export const VERSION_ITEM = { kind: 'meta', id: 'version' } as const;
/**
 * Invitations to register (`plgate invite`) live in the rules table too, under their own
 * kind: they are not rules, the engine and rule validation skip them, and a policy
 * push or pull never touches them.
 */
export const INVITATION_KIND = 'invitation';

/** Whether a rules-table item is a rule-file item (defaults, service, rule, or an unknown kind), not bookkeeping. */
export function isRuleFileItem(item: { kind?: unknown }): boolean {
  return item.kind !== VERSION_ITEM.kind && item.kind !== INVITATION_KIND;
}

export const LEDGER_TABLE_KEY = { partitionKey: 'endpointId', sortKey: 'sk' } as const;
export const LEDGER_ENTRY_PREFIX = 'entry#';
export const LEDGER_STATE_SK = 'state';
export const LEDGER_TTL_ATTRIBUTE = 'expiresAt';
export const LEDGER_BY_SERVICE_INDEX = {
  name: 'byService',
  partitionKey: 'serviceId',
  sortKey: 'at',
} as const;
export const LEDGER_BY_ACCOUNT_INDEX = { name: 'byAccount', partitionKey: 'account', sortKey: 'at' } as const;

/** Tag that puts an endpoint service under the gate. */
export const MANAGED_TAG = { key: 'privatelink-gate:managed', value: 'true' } as const;
