import { describe, expect, it } from 'vitest';
import { explainConnection } from '../../../functions/core/rule-verdicts.ts';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-items.ts';
import { connection } from '../../support/gate-fakes.ts';

const SERVICE = 'vpce-svc-0123456789abcdef0';
const NOW = new Date('2026-11-21T12:00:00Z');

function rules(items: Record<string, unknown>[]) {
  const { ruleSet, problems } = ruleSetFromItems(items);
  expect(problems).toEqual([]);
  return ruleSet;
}

describe('rule verdicts for plgate explain', () => {
  it('names the deciding rule, the rule that failed one condition, and why the others are out', () => {
    const ruleSet = rules([
      { kind: 'rule', id: 'acme', effect: 'accept', match: { accounts: ['111111111111'] } },
      {
        kind: 'rule',
        id: 'acme-eu',
        effect: 'accept',
        match: { accounts: ['111111111111'], regions: ['eu-west-1'] },
      },
      {
        kind: 'rule',
        id: 'other-service',
        effect: 'reject',
        services: ['vpce-svc-0aaaaaaaaaaaaaaa0'],
        match: {},
      },
      { kind: 'rule', id: 'expired', effect: 'reject', validUntil: '2026-01-01T00:00:00Z', match: {} },
      { kind: 'rule', id: 'off', effect: 'reject', enabled: false, match: {} },
      {
        kind: 'rule',
        id: 'quota',
        effect: 'accept',
        match: { accounts: ['111111111111'] },
        limits: { maxEndpointsPerAccount: 1 },
      },
      { kind: 'rule', id: 'our-org', effect: 'review', match: { organizations: ['o-abcdefghij'] } },
    ]);
    const c = connection({ serviceId: SERVICE, account: '111111111111', region: 'us-east-1' });
    const { record, rules: verdicts } = explainConnection(c, { now: NOW, liveEndpoints: 1 }, ruleSet);
    const byId = new Map(verdicts.map((v) => [v.id, v]));

    expect(record.decision).toBe('review'); // the undetermined review rule holds it
    expect(byId.get('acme')).toMatchObject({ verdict: 'match', failed: [] });
    expect(byId.get('acme-eu')).toMatchObject({
      verdict: 'no-match',
      failed: ['regions'],
      conditions: [
        { condition: 'accounts', holds: true },
        { condition: 'regions', holds: false },
      ],
    });
    expect(byId.get('quota')).toMatchObject({
      verdict: 'limit-reached',
      failed: ['limits.maxEndpointsPerAccount'],
    });
    expect(explainConnection(c, { now: NOW, liveEndpoints: 1 }, ruleSet).nearMisses.map((m) => m.id)).toEqual(
      ['acme-eu', 'quota', 'our-org'],
    );
    expect(byId.get('our-org')).toMatchObject({
      verdict: 'undetermined',
      conditions: [{ holds: 'undetermined' }],
    });
    expect(byId.get('other-service')?.inactive).toMatch(/applies to vpce-svc-0aaaaaaaaaaaaaaa0 only/);
    expect(byId.get('expired')?.inactive).toMatch(/outside its validity window/);
    expect(byId.get('off')?.inactive).toBe('disabled');
  });

  it('agrees with the engine: a rule is a match exactly when the record lists it', () => {
    const ruleSet = rules([
      { kind: 'rule', id: 'a', effect: 'accept', match: { tags: { env: 'prod' } } },
      { kind: 'rule', id: 'b', effect: 'reject', match: { ipAddressTypes: ['ipv6'] } },
    ]);
    const cases: Record<string, string>[] = [{ env: 'prod' }, { env: 'dev' }, {}];
    for (const tags of cases) {
      const c = connection({ serviceId: SERVICE, tags });
      const { record, rules: verdicts } = explainConnection(c, { now: NOW }, ruleSet);
      expect(verdicts.filter((v) => v.verdict === 'match').map((v) => v.id)).toEqual(record.matched);
    }
  });
});

describe('crossRegion and invalid accept rules in explanations', () => {
  it('says where the endpoint and the service are, and that an invalid accept rule accepts nothing', () => {
    const { ruleSet } = ruleSetFromItems([
      { kind: 'rule', id: 'home', effect: 'accept', match: { crossRegion: false } },
      { kind: 'rule', id: 'broken', effect: 'accept', match: { accounts: 'all' } },
    ]);
    const c = connection({ region: 'eu-west-1' });
    const { rules: verdicts } = explainConnection(c, { now: NOW, serviceRegion: 'us-east-1' }, ruleSet);
    expect(verdicts.find((v) => v.id === 'home')).toMatchObject({
      verdict: 'no-match',
      conditions: [
        {
          condition: 'crossRegion',
          holds: false,
          detail: 'endpoint in eu-west-1, service in us-east-1: rule asks for same region',
        },
      ],
    });
    expect(verdicts.find((v) => v.id === 'broken')).toMatchObject({ effect: 'accept', verdict: 'inactive' });
    expect(verdicts.find((v) => v.id === 'broken')?.inactive).toMatch(
      /^an invalid accept rule accepts nothing/,
    );
  });
});
