/**
 * The fail-closed property (DESIGN §3): corrupting any one item of a rule set, in any way
 * that makes it invalid, never adds an accept and never makes a dry-run or off service
 * act. Checked on the path the gate takes: table items → ruleSetFromItems → settingsFor →
 * planDecisions (which evaluates each connection).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Connection, ConnectionState } from '../../../functions/core/connection.ts';
import { countAcceptedByAccount, type Plan, planDecisions } from '../../../functions/core/decide.ts';
import { evaluate } from '../../../functions/core/evaluate.ts';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-items.ts';
import type { RuleSet } from '../../../functions/core/rules/rule-set.ts';
import { settingsFor } from '../../../functions/core/rules/settings.ts';

const SERVICES = ['vpce-svc-0a1b2c3d4e5f67890', 'vpce-svc-0123456789abcdef0', 'vpce-svc-0fedcba9876543210'];
const ACCOUNTS = ['111111111111', '222222222222', '333333333333'];
const REGIONS = ['us-east-1', 'eu-west-1'];
const NOW = new Date('2026-06-01T00:00:00Z');
const SERVICE_REGION = 'us-east-1';
const HOUR = 3_600_000;

type Item = Record<string, unknown>;

const some = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1 });
const option = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const compact = (item: Item): Item =>
  Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined));

const settingsArb = fc.record(
  {
    defaultEffect: fc.constantFrom('accept', 'reject', 'review'),
    pendingTtl: fc.constantFrom('PT1H', 'P1D', 'P30D'),
    onRevoke: fc.constantFrom('notify', 'reject'),
    mode: fc.constantFrom('enforce', 'dry-run', 'off'),
  },
  { requiredKeys: [] },
);

const matchArb = fc.record(
  {
    accounts: some(ACCOUNTS),
    regions: some(REGIONS),
    crossRegion: fc.boolean(),
    tags: fc.dictionary(fc.constantFrom('env', 'team'), fc.constantFrom('prod', '*'), {
      minKeys: 1,
      maxKeys: 2,
    }),
  },
  { requiredKeys: [] },
);

const ruleArb = fc
  .record({
    effect: fc.constantFrom('accept', 'reject', 'review'),
    enabled: option(fc.boolean()),
    services: option(some(SERVICES)),
    match: option(matchArb),
    limit: option(fc.integer({ min: 1, max: 2 })),
    pendingTtl: option(fc.constantFrom('PT1H', 'P30D')),
    validUntil: option(fc.constantFrom('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')),
  })
  .map(({ limit, pendingTtl, ...rule }) =>
    compact({
      kind: 'rule',
      ...rule,
      limits: rule.effect === 'accept' && limit !== undefined ? { maxEndpointsPerAccount: limit } : undefined,
      pendingTtl: rule.effect === 'review' ? pendingTtl : undefined,
    }),
  );

const itemsArb: fc.Arbitrary<Item[]> = fc
  .record({
    defaults: option(settingsArb),
    services: fc.uniqueArray(fc.tuple(fc.constantFrom(...SERVICES), settingsArb), {
      selector: ([id]) => id,
    }),
    rules: fc.uniqueArray(fc.tuple(fc.stringMatching(/^r[a-z0-9]{0,4}$/), ruleArb), {
      selector: ([id]) => id,
      maxLength: 8,
    }),
  })
  .map(({ defaults, services, rules }) => [
    ...(defaults ? [{ kind: 'defaults', id: 'defaults', ...defaults }] : []),
    ...services.map(([id, settings]) => ({ kind: 'service', id, ...settings })),
    ...rules.map(([id, rule]) => ({ ...rule, id })),
  ]);

/**
 * Connections of every service. At most one request waits per (service, account): with
 * two, removing the accept of one frees a limit's slot for the other, which is the limit
 * doing its job, not the broken item opening anything.
 */
const connectionsArb: fc.Arbitrary<Connection[]> = fc
  .tuple(
    fc.uniqueArray(
      fc.record({
        serviceId: fc.constantFrom(...SERVICES),
        account: fc.constantFrom(...ACCOUNTS),
        state: fc.constant<ConnectionState>('pendingAcceptance'),
        ageHours: fc.constantFrom(0, 2, 48, 24 * 40),
        region: option(fc.constantFrom(...REGIONS)),
        env: option(fc.constantFrom('prod', 'dev')),
      }),
      { selector: (c) => `${c.serviceId}/${c.account}`, maxLength: 6 },
    ),
    fc.array(
      fc.record({
        serviceId: fc.constantFrom(...SERVICES),
        account: fc.constantFrom(...ACCOUNTS),
        state: fc.constantFrom<ConnectionState>('available', 'pending', 'rejected'),
        ageHours: fc.constant(24 * 90),
        region: option(fc.constantFrom(...REGIONS)),
        env: option(fc.constantFrom('prod', 'dev')),
      }),
      { maxLength: 4 },
    ),
  )
  .map(([waiting, live]) =>
    [...waiting, ...live].map(
      (c, n): Connection => ({
        serviceId: c.serviceId,
        endpointId: `vpce-${n.toString(16).padStart(17, '0')}`,
        account: c.account,
        state: c.state,
        createdAt: new Date(NOW.getTime() - c.ageHours * HOUR),
        ...(c.region ? { region: c.region } : {}),
        ipAddressType: 'ipv4' as const,
        tags: c.env ? { env: c.env } : ({} as Record<string, string>),
        loadBalancerArns: [],
      }),
    ),
  );

const GARBAGE: readonly unknown[] = [42, 'soon', 'dryrun', 'deny', '', [], ['?'], { x: 1 }, null, true, -1];
const FIELDS = [
  'id',
  'kind',
  'effect',
  'mode',
  'pendingTtl',
  'defaultEffect',
  'onRevoke',
  'enabled',
  'services',
  'match',
  'limits',
  'validUntil',
  'description',
  'colour',
];

/** One way to break one item. Every field of every item can be hit, including its kind and id. */
const corruptionArb: fc.Arbitrary<(item: Item) => unknown> = fc.oneof(
  fc.tuple(fc.constantFrom(...FIELDS), fc.constantFrom(...GARBAGE)).map(([field, value]) => (item: Item) => ({
    ...item,
    [field]: value,
  })),
  fc.constantFrom('id', 'effect', 'kind').map((field) => (item: Item) => {
    const { [field]: _gone, ...rest } = item;
    return rest;
  }),
  fc.constantFrom('rule', 'service', 'defaults', 'rules', 'Service').map((kind) => (item: Item) => ({
    ...item,
    kind,
  })),
  fc
    .tuple(
      fc.constantFrom('accounts', 'regions', 'crossRegion', 'tags', 'colour'),
      fc.constantFrom(...GARBAGE, ['mars-central-9'], ['1111']),
    )
    .map(([field, value]) => (item: Item) => ({
      ...item,
      match: { ...(typeof item.match === 'object' ? item.match : {}), [field]: value },
    })),
  fc
    .dictionary(fc.constantFrom('a', 'mode', 'effect', 'services'), fc.constantFrom(...GARBAGE), {
      minKeys: 1,
    })
    .map((junk) => (item: Item) => ({ kind: item.kind, id: item.id, ...junk })),
  fc.constantFrom(...GARBAGE).map((value) => () => value),
);

function plans(ruleSet: RuleSet, connections: readonly Connection[]): Map<string, Plan> {
  const byService = new Map<string, Plan>();
  for (const serviceId of SERVICES) {
    const ofService = connections.filter((c) => c.serviceId === serviceId);
    byService.set(
      serviceId,
      planDecisions({
        connections: ofService,
        ruleSet,
        settings: settingsFor(ruleSet, serviceId),
        now: NOW,
        serviceRegion: SERVICE_REGION,
        flags: new Map(),
        acceptedByAccount: countAcceptedByAccount(ofService),
      }),
    );
  }
  return byService;
}

const acts = (plan: Plan | undefined) =>
  (plan?.decisions ?? []).filter((d) => d.action !== 'none' && !d.dryRun);
const accepted = (plan: Plan | undefined) =>
  acts(plan)
    .filter((d) => d.action === 'accept')
    .map((d) => d.connection.endpointId);

describe('fail closed, whatever one item becomes', () => {
  it('corrupting one item never adds an accept and never makes a dry-run or off service act', () => {
    fc.assert(
      fc.property(
        itemsArb.filter((items) => items.length > 0),
        connectionsArb,
        fc.nat(),
        corruptionArb,
        (items, connections, pick, corrupt) => {
          const position = pick % items.length;
          const original = items[position] as Item;
          const broken = corrupt(original);
          // Only corruptions that make the item invalid: a valid edit is a change of rules.
          fc.pre(ruleSetFromItems([broken]).problems.length > 0);
          const intact = ruleSetFromItems(items);
          expect(intact.problems).toEqual([]);
          const corrupted = ruleSetFromItems(items.map((item, n) => (n === position ? broken : item)));
          expect(corrupted.problems.length).toBeGreaterThan(0);

          const before = plans(intact.ruleSet, connections);
          const after = plans(corrupted.ruleSet, connections);
          for (const serviceId of SERVICES) {
            const was = new Set(accepted(before.get(serviceId)));
            for (const id of accepted(after.get(serviceId))) expect(was).toContain(id);
            const mode = settingsFor(intact.ruleSet, serviceId).mode;
            if (mode !== 'enforce') expect(acts(after.get(serviceId))).toEqual([]);
          }
          for (const connection of connections) {
            const context = { now: NOW, serviceRegion: SERVICE_REGION, liveEndpoints: 0 };
            if (evaluate(connection, context, corrupted.ruleSet).decision === 'accept') {
              expect(evaluate(connection, context, intact.ruleSet).decision).toBe('accept');
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
