/**
 * `plgate explain`'s verdicts in detail: what each condition saw, the invalid items that
 * hold requests, and, over random rule sets, agreement with the engine's own record.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../functions/core/connection.ts';
import { evaluate } from '../../../functions/core/evaluate.ts';
import type { EvaluationContext } from '../../../functions/core/evaluation-context.ts';
import { explainConnection } from '../../../functions/core/rule-verdicts.ts';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-items.ts';
import { connection } from '../../support/gate-fakes.ts';

const SERVICE = 'vpce-svc-0123456789abcdef0';
const OTHER = 'vpce-svc-0aaaaaaaaaaaaaaa0';
const NOW = new Date('2026-11-21T12:00:00Z');

describe('condition details', () => {
  it('say what the connection has against what each condition asks', () => {
    const { ruleSet } = ruleSetFromItems([
      {
        kind: 'rule',
        id: 'prod-eu',
        effect: 'accept',
        match: {
          accounts: ['111111111111'],
          regions: ['eu-west-1', 'eu-central-1'],
          tags: { env: 'prod', team: '*', tier: 'web' },
        },
        limits: { maxEndpointsPerAccount: 2 },
      },
      { kind: 'rule', id: 'org', effect: 'review', match: { organizations: ['o-abcdefghij'] } },
    ]);
    const c = connection({
      serviceId: SERVICE,
      account: '111111111111',
      region: 'us-east-1',
      tags: { env: 'dev', tier: 'web' },
    });
    const { rules } = explainConnection(c, { now: NOW, liveEndpoints: 2 }, ruleSet);
    const prod = rules.find((r) => r.id === 'prod-eu');
    expect(prod?.conditions).toEqual([
      { condition: 'accounts', holds: true, detail: 'account 111111111111 is listed' },
      {
        condition: 'regions',
        holds: false,
        detail: 'region us-east-1 is not listed (eu-west-1, eu-central-1)',
      },
      { condition: 'tags', holds: false, detail: 'tag env is "dev", not "prod"; tag team is missing' },
      {
        condition: 'limits.maxEndpointsPerAccount',
        holds: false,
        detail: 'limit reached: 2 of 2 endpoints of account 111111111111 on this service',
      },
    ]);
    expect(rules.find((r) => r.id === 'org')?.conditions).toEqual([
      {
        condition: 'organizations',
        holds: 'undetermined',
        detail: 'the organization of account 111111111111 is unknown',
      },
    ]);
  });

  it('list invalid items: an undetermined reject rule where it applies, out of play elsewhere', () => {
    const { ruleSet } = ruleSetFromItems([
      { kind: 'rule', id: 'typo', effect: 'reject', match: { accounts: ['12345'] } },
      { kind: 'rule', id: 'typo-other', effect: 'reject', services: [OTHER], match: { acounts: [] } },
      { kind: 'rule', id: 'partner', effect: 'accept', match: { accounts: ['111111111111'] } },
    ]);
    const c = connection({ serviceId: SERVICE, account: '111111111111' });
    const { record, rules } = explainConnection(c, { now: NOW }, ruleSet);
    expect(record.decision).toBe('review');
    expect(rules.map((r) => [r.id, r.verdict])).toEqual([
      ['partner', 'match'],
      ['typo', 'invalid'],
      ['typo-other', 'inactive'],
    ]);
    expect(rules[1]?.conditions[0]).toMatchObject({ condition: 'valid', holds: 'undetermined' });
    expect(rules[1]?.conditions[0]?.detail).toMatch(/match\.accounts\[0\]/);
  });
});

const ACCOUNTS = ['111111111111', '222222222222'];
const ENDPOINTS = ['vpce-0000000000000000a', 'vpce-0000000000000000b'];
const ruleArbitrary = (index: number) =>
  fc
    .record(
      {
        effect: fc.constantFrom('accept', 'reject', 'review'),
        enabled: fc.boolean(),
        services: fc.constantFrom(undefined, [SERVICE], [OTHER]),
        accounts: fc.subarray(ACCOUNTS, { minLength: 1 }),
        endpoints: fc.subarray(ENDPOINTS, { minLength: 1 }),
        regions: fc.subarray(['us-east-1', 'eu-west-1'], { minLength: 1 }),
        ipAddressTypes: fc.subarray(['ipv4', 'ipv6'], { minLength: 1 }),
        organizations: fc.subarray(['o-abcdefghij', 'o-klmnopqrst'], { minLength: 1 }),
        tags: fc.dictionary(fc.constantFrom('env', 'team'), fc.constantFrom('prod', '*')),
        limit: fc.integer({ min: 1, max: 3 }),
        validUntil: fc.constantFrom(undefined, '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'),
        broken: fc.boolean(),
      },
      {
        requiredKeys: ['effect', 'broken'],
      },
    )
    .map((r) => {
      const match: Record<string, unknown> = {};
      for (const key of [
        'accounts',
        'endpoints',
        'regions',
        'ipAddressTypes',
        'organizations',
        'tags',
      ] as const) {
        if (r[key] !== undefined) match[key] = r[key];
      }
      const item: Record<string, unknown> = { kind: 'rule', id: `r${index}`, effect: r.effect, match };
      if (r.enabled === false) item.enabled = false;
      if (r.services) item.services = r.services;
      if (r.validUntil) item.validUntil = r.validUntil;
      if (r.limit !== undefined && r.effect === 'accept') item.limits = { maxEndpointsPerAccount: r.limit };
      if (r.broken) item.match = { ...match, accounts: ['1'] };
      return item;
    });

describe('agreement with the engine', () => {
  it('a rule is a match exactly when the record lists it, undetermined exactly when the record says so', () => {
    fc.assert(
      fc.property(
        fc.tuple(...Array.from({ length: 6 }, (_, i) => ruleArbitrary(i))),
        fc.record({
          account: fc.constantFrom(...ACCOUNTS),
          endpointId: fc.constantFrom(...ENDPOINTS),
          region: fc.constantFrom(undefined, 'us-east-1', 'eu-west-1'),
          ipAddressType: fc.constantFrom(undefined, 'ipv4', 'ipv6'),
          tags: fc.dictionary(fc.constantFrom('env', 'team'), fc.constantFrom('prod', 'dev')),
          organization: fc.constantFrom(undefined, 'o-abcdefghij'),
          live: fc.constantFrom(undefined, 0, 2),
        }),
        (items, drawn) => {
          const { ruleSet } = ruleSetFromItems(items);
          const c: Connection = connection({
            serviceId: SERVICE,
            account: drawn.account,
            endpointId: drawn.endpointId,
            region: drawn.region,
            ipAddressType: drawn.ipAddressType,
            tags: drawn.tags,
          });
          const context: EvaluationContext = { now: NOW };
          if (drawn.organization) context.organization = { organizationId: drawn.organization, ouIds: [] };
          if (drawn.live !== undefined) context.liveEndpoints = drawn.live;
          const { record, rules } = explainConnection(c, context, ruleSet);
          expect(record).toEqual(evaluate(c, context, ruleSet));
          const ids = (verdicts: string[]) =>
            rules
              .filter((r) => verdicts.includes(r.verdict))
              .map((r) => r.id)
              .sort();
          expect(ids(['match'])).toEqual(record.matched);
          expect(ids(['undetermined', 'invalid'])).toEqual(record.undetermined);
          for (const rule of rules) {
            if (rule.verdict === 'no-match' || rule.verdict === 'limit-reached')
              expect(rule.failed.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
