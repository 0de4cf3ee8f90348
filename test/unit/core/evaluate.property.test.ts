/**
 * Properties of the engine over generated rule sets, connections and contexts, drawn
 * from small pools of ids so that rules and connections actually meet.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../functions/core/connection.ts';
import { evaluate, evaluateScanningAll } from '../../../functions/core/evaluate.ts';
import type { EvaluationContext } from '../../../functions/core/evaluation-context.ts';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-items.ts';
import type { RuleSet } from '../../../functions/core/rules/rule-set.ts';

const ACCOUNTS = ['111111111111', '222222222222', '333333333333'];
const SERVICES = ['vpce-svc-0a1b2c3d4e5f67890', 'vpce-svc-0123456789abcdef0'];
const ENDPOINTS = ['vpce-0b7a3c9d1e2f40516', 'vpce-07c6d5e4f3a2b1908'];
const REGIONS = ['us-east-1', 'eu-west-1'];
const IP_TYPES = ['ipv4', 'dualstack', 'ipv6'] as const;
const ORGS = ['o-aaaaaaaaaa', 'o-bbbbbbbbbb'];
const OUS = ['ou-aaaa-aaaaaaaa', 'ou-bbbb-bbbbbbbb', 'ou-cccc-cccccccc'];
const INSTANTS = ['2026-01-01T00:00:00Z', '2026-06-01T00:00:00Z', '2027-01-01T00:00:00Z'];
const NOWS = [
  '2025-12-31T00:00:00Z',
  '2026-01-01T00:00:00Z',
  '2026-03-01T00:00:00Z',
  '2026-12-31T23:59:59Z',
  '2027-06-01T00:00:00Z',
];

const some = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1 });

const matchArb = fc.record(
  {
    accounts: some(ACCOUNTS),
    endpoints: some(ENDPOINTS),
    organizations: some(ORGS),
    organizationalUnits: some(OUS),
    regions: some(REGIONS),
    ipAddressTypes: some(IP_TYPES),
    tags: fc.dictionary(fc.constantFrom('env', 'Env', 'team'), fc.constantFrom('prod', 'dev', '*'), {
      minKeys: 1,
      maxKeys: 2,
    }),
  },
  { requiredKeys: [] },
);

const windowArb = fc
  .tuple(
    fc.option(fc.constantFrom(...INSTANTS), { nil: undefined }),
    fc.option(fc.constantFrom(...INSTANTS), { nil: undefined }),
  )
  .filter(([from, until]) => from === undefined || until === undefined || from < until)
  .map(([from, until]) => ({
    ...(from ? { validFrom: from } : {}),
    ...(until ? { validUntil: until } : {}),
  }));

const ruleBody = fc
  .record({
    effect: fc.constantFrom('accept', 'reject', 'review'),
    enabled: fc.option(fc.boolean(), { nil: undefined }),
    services: fc.option(some(SERVICES), { nil: undefined }),
    match: fc.option(matchArb, { nil: undefined }),
    limit: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    window: windowArb,
  })
  .map(({ effect, enabled, services, match, limit, window }) => ({
    kind: 'rule',
    effect,
    ...(enabled === undefined ? {} : { enabled }),
    ...(services ? { services } : {}),
    ...(match ? { match } : {}),
    ...(limit !== undefined && effect === 'accept' ? { limits: { maxEndpointsPerAccount: limit } } : {}),
    ...window,
  }));

const ruleItemsArb = fc
  .uniqueArray(fc.tuple(fc.stringMatching(/^[a-zA-Z0-9._-]{1,6}$/), ruleBody), {
    selector: ([id]) => id,
    maxLength: 12,
  })
  .map((pairs) => pairs.map(([id, body]) => ({ ...body, id })));

const settingsItemsArb = fc.record({
  defaults: fc.option(fc.constantFrom('accept', 'reject', 'review'), { nil: undefined }),
  service: fc.option(fc.constantFrom('accept', 'reject', 'review'), { nil: undefined }),
});

const connectionArb: fc.Arbitrary<Connection> = fc
  .record({
    serviceId: fc.constantFrom(...SERVICES),
    endpointId: fc.constantFrom(...ENDPOINTS),
    account: fc.constantFrom(...ACCOUNTS),
    region: fc.option(fc.constantFrom(...REGIONS), { nil: undefined }),
    ipAddressType: fc.option(fc.constantFrom(...IP_TYPES), { nil: undefined }),
    tags: fc.dictionary(fc.constantFrom('env', 'Env', 'team', 'other'), fc.constantFrom('prod', 'dev', ''), {
      maxKeys: 3,
    }),
  })
  .map((fields) => {
    const c: Connection = {
      serviceId: fields.serviceId,
      endpointId: fields.endpointId,
      account: fields.account,
      state: 'pendingAcceptance',
      createdAt: new Date('2025-12-01T00:00:00Z'),
      tags: fields.tags,
      loadBalancerArns: [],
    };
    if (fields.region !== undefined) c.region = fields.region;
    if (fields.ipAddressType !== undefined) c.ipAddressType = fields.ipAddressType;
    return c;
  });

const organizationArb = fc.record({ organizationId: fc.constantFrom(...ORGS), ouIds: fc.subarray(OUS) });

const contextArb: fc.Arbitrary<EvaluationContext> = fc
  .record({
    now: fc.constantFrom(...NOWS).map((iso) => new Date(iso)),
    organization: fc.option(organizationArb, { nil: undefined }),
    liveEndpoints: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
    serviceRegion: fc.option(fc.constantFrom(...REGIONS), { nil: undefined }),
  })
  .map(({ now, organization, liveEndpoints, serviceRegion }) => {
    const context: EvaluationContext = { now };
    if (organization !== undefined) context.organization = organization;
    if (liveEndpoints !== undefined) context.liveEndpoints = liveEndpoints;
    if (serviceRegion !== undefined) context.serviceRegion = serviceRegion;
    return context;
  });

function load(
  items: readonly Record<string, unknown>[],
  settings: { defaults?: string; service?: string } = {},
): RuleSet {
  const all: Record<string, unknown>[] = [...items];
  if (settings.defaults) all.push({ kind: 'defaults', id: 'defaults', defaultEffect: settings.defaults });
  if (settings.service) all.push({ kind: 'service', id: SERVICES[0], defaultEffect: settings.service });
  const { ruleSet, problems } = ruleSetFromItems(all);
  if (problems.length > 0) throw new Error(`generated an invalid rule: ${JSON.stringify(problems)}`);
  return ruleSet;
}

const runs = { numRuns: 400 };

describe('engine properties', () => {
  it('rule order never changes the result', () => {
    fc.assert(
      fc.property(
        ruleItemsArb,
        settingsItemsArb,
        connectionArb,
        contextArb,
        fc.infiniteStream(fc.double()),
        (items, settings, c, ctx, keys) => {
          const shuffled = items
            .map((item) => ({ item, key: keys.next().value }))
            .sort((a, b) => a.key - b.key)
            .map(({ item }) => item);
          expect(evaluate(c, ctx, load(shuffled, settings))).toEqual(evaluate(c, ctx, load(items, settings)));
        },
      ),
      runs,
    );
  });

  it('the indexes give exactly what scanning every rule gives', () => {
    fc.assert(
      fc.property(ruleItemsArb, settingsItemsArb, connectionArb, contextArb, (items, settings, c, ctx) => {
        const ruleSet = load(items, settings);
        expect(evaluate(c, ctx, ruleSet)).toEqual(evaluateScanningAll(c, ctx, ruleSet));
      }),
      runs,
    );
  });

  it('adding an accept rule never turns a rule-made reject or review into accept', () => {
    fc.assert(
      fc.property(
        ruleItemsArb,
        ruleBody,
        settingsItemsArb,
        connectionArb,
        contextArb,
        (items, extra, settings, c, ctx) => {
          const before = evaluate(c, ctx, load(items, settings));
          fc.pre(!before.default && before.decision !== 'accept');
          const after = evaluate(
            c,
            ctx,
            load([...items, { ...extra, effect: 'accept', id: 'added-accept-rule' }], settings),
          );
          expect(after.decision).toBe(before.decision);
        },
      ),
      runs,
    );
  });

  it('adding a reject rule that matches always yields reject', () => {
    fc.assert(
      fc.property(
        ruleItemsArb,
        settingsItemsArb,
        connectionArb,
        contextArb,
        fc.boolean(),
        (items, settings, c, ctx, narrow) => {
          const match = narrow ? { accounts: [c.account], endpoints: [c.endpointId] } : {};
          const added = {
            kind: 'rule',
            id: 'added-reject-rule',
            effect: 'reject',
            services: [c.serviceId],
            match,
          };
          const record = evaluate(c, ctx, load([...items, added], settings));
          expect(record.decision).toBe('reject');
          expect(record.matched).toContain('added-reject-rule');
        },
      ),
      runs,
    );
  });

  it('undetermined data never yields accept where complete data would not', () => {
    fc.assert(
      fc.property(
        ruleItemsArb,
        settingsItemsArb,
        connectionArb,
        contextArb,
        organizationArb,
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(...REGIONS),
        fc.constantFrom(...IP_TYPES),
        (items, settings, partial, partialContext, organization, liveEndpoints, region, ipAddressType) => {
          const ruleSet = load(items, settings);
          // Fill in only what was missing; what was known stays as it was.
          const complete: Connection = {
            ...partial,
            region: partial.region ?? partialContext.serviceRegion ?? region,
            ipAddressType: partial.ipAddressType ?? ipAddressType,
          };
          const completeContext: EvaluationContext = {
            now: partialContext.now,
            organization: partialContext.organization ?? organization,
            liveEndpoints: partialContext.liveEndpoints ?? liveEndpoints,
          };
          if (evaluate(partial, partialContext, ruleSet).decision === 'accept') {
            expect(evaluate(complete, completeContext, ruleSet).decision).toBe('accept');
          }
        },
      ),
      runs,
    );
  });

  it('the same input always gives the same record', () => {
    fc.assert(
      fc.property(ruleItemsArb, connectionArb, contextArb, (items, c, ctx) => {
        const ruleSet = load(items);
        expect(evaluate(c, ctx, ruleSet)).toEqual(evaluate(c, ctx, ruleSet));
      }),
      { numRuns: 100 },
    );
  });
});
