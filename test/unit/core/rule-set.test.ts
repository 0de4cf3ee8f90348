import { describe, expect, it } from 'vitest';
import type { DecisionRecord } from '../../../functions/core/decision-record.ts';
import { evaluate } from '../../../functions/core/evaluate.ts';
import { ruleSetFromFiles } from '../../../functions/core/rules/rule-files.ts';
import { candidateLists } from '../../../functions/core/rules/rule-index.ts';
import { ruleSetFromItems, ruleSetToItems } from '../../../functions/core/rules/rule-items.ts';
import { needsOrganization } from '../../../functions/core/rules/rule-set.ts';
import { BUILT_IN_SETTINGS, reviewTtlMs, settingsFor } from '../../../functions/core/rules/settings.ts';
import { connection, context, NOW, OTHER_SERVICE, rules, SERVICE } from './rules-for-tests.ts';

const DAY = 86_400_000;

describe('settingsFor', () => {
  it('service fields over defaults over built-in (review, P7D, notify, enforce), field by field', () => {
    const set = rules(
      { kind: 'defaults', id: 'defaults', pendingTtl: 'P3D', onRevoke: 'reject' },
      { kind: 'service', id: SERVICE, defaultEffect: 'reject', mode: 'dry-run' },
    );
    expect(settingsFor(set, SERVICE)).toEqual({
      defaultEffect: 'reject',
      pendingTtl: 'P3D',
      pendingTtlMs: 3 * DAY,
      onRevoke: 'reject',
      mode: 'dry-run',
    });
    expect(settingsFor(set, OTHER_SERVICE)).toEqual({
      ...BUILT_IN_SETTINGS,
      pendingTtl: 'P3D',
      pendingTtlMs: 3 * DAY,
      onRevoke: 'reject',
    });
    expect(settingsFor(rules(), SERVICE)).toEqual({
      defaultEffect: 'review',
      pendingTtl: 'P7D',
      pendingTtlMs: 7 * DAY,
      onRevoke: 'notify',
      mode: 'enforce',
    });
  });

  it('an invalid service item holds that service; it never falls back to the defaults', () => {
    const { ruleSet } = ruleSetFromItems([
      { kind: 'defaults', id: 'defaults', mode: 'dry-run', pendingTtl: 'P1D' },
      { kind: 'service', id: SERVICE, mode: 'off', pendingTtl: 'forever' },
    ]);
    expect(settingsFor(ruleSet, SERVICE).held).toMatchObject({ id: SERVICE, kind: 'service' });
    expect(settingsFor(ruleSet, OTHER_SERVICE)).toMatchObject({ mode: 'dry-run', pendingTtlMs: DAY });
    expect(settingsFor(ruleSet, OTHER_SERVICE).held).toBeUndefined();
  });

  it('an invalid defaults item holds every service without complete settings of its own', () => {
    const complete = { defaultEffect: 'reject', pendingTtl: 'P1D', onRevoke: 'notify', mode: 'enforce' };
    const { ruleSet } = ruleSetFromItems([
      { kind: 'defaults', id: 'defaults', mode: 'off', extra: true },
      { kind: 'service', id: SERVICE, defaultEffect: 'reject' },
      { kind: 'service', id: OTHER_SERVICE, ...complete },
    ]);
    expect(settingsFor(ruleSet, SERVICE).held).toMatchObject({ id: 'defaults', kind: 'defaults' });
    expect(settingsFor(ruleSet, 'vpce-svc-0ffffffffffffffff').held).toMatchObject({ id: 'defaults' });
    // Its own item sets every field, so nothing of the broken defaults could reach it.
    expect(settingsFor(ruleSet, OTHER_SERVICE)).toEqual({ ...complete, pendingTtlMs: DAY });
  });

  it('an item that may have been any settings item holds every service without complete settings', () => {
    for (const item of [
      { kind: 'service', id: 'not-a-service', mode: 'off' },
      { kind: 'servce', id: SERVICE, mode: 'off' },
    ]) {
      const { ruleSet } = ruleSetFromItems([item]);
      expect(settingsFor(ruleSet, OTHER_SERVICE).held).toMatchObject({ kind: item.kind });
    }
  });
});

describe('reviewTtlMs', () => {
  const set = rules(
    { kind: 'service', id: SERVICE, pendingTtl: 'P3D' },
    { id: 'short-review', effect: 'review', match: { accounts: ['111111111111'] }, pendingTtl: 'PT12H' },
    { id: 'plain-review', effect: 'review', match: { accounts: ['222222222222'] } },
  );

  it("the deciding review rule's pendingTtl when it has one", () => {
    expect(reviewTtlMs(set, evaluate(connection(), context(), set))).toBe(12 * 3_600_000);
  });

  it("else the service's settings", () => {
    expect(reviewTtlMs(set, evaluate(connection({ account: '222222222222' }), context(), set))).toBe(3 * DAY);
    expect(reviewTtlMs(set, evaluate(connection({ account: '333333333333' }), context(), set))).toBe(3 * DAY);
    const other: DecisionRecord = {
      ...evaluate(connection(), context(), set),
      serviceId: OTHER_SERVICE,
      rule: null,
    };
    expect(reviewTtlMs(set, other)).toBe(7 * DAY);
  });
});

describe('needsOrganization', () => {
  const set = rules(
    { id: 'org', effect: 'accept', services: [SERVICE], match: { organizations: ['o-abcdefghij'] } },
    {
      id: 'ou-later',
      effect: 'review',
      match: { organizationalUnits: ['ou-ab12-cd34ef56'] },
      validFrom: '2030-01-01T00:00:00Z',
    },
    { id: 'ou-off', effect: 'review', enabled: false, match: { organizationalUnits: ['ou-ab12-cd34ef56'] } },
    { id: 'plain', effect: 'accept', match: { accounts: ['111111111111'] } },
  );

  it('is true when an active rule for the service has an organization condition', () => {
    expect(needsOrganization(set, SERVICE, NOW)).toBe(true);
    expect(needsOrganization(set, OTHER_SERVICE, NOW)).toBe(false);
    expect(needsOrganization(set, OTHER_SERVICE, new Date('2030-01-01T00:00:00Z'))).toBe(true);
  });
});

describe('indexes', () => {
  it('evaluation only visits rules keyed by the connection’s endpoint, account or neither, in its service or everywhere', () => {
    const items = [];
    for (let i = 0; i < 200; i++) {
      items.push({ id: `acct-${i}`, effect: 'accept', match: { accounts: [String(100000000000 + i)] } });
      items.push({
        id: `ep-${i}`,
        effect: 'reject',
        match: { endpoints: [`vpce-${(0x10000000 + i).toString(16)}`] },
      });
      items.push({
        id: `svc-${i}`,
        effect: 'review',
        services: [`vpce-svc-${(0x10000000 + i).toString(16)}`],
      });
    }
    items.push({ id: 'global', effect: 'review', match: { tags: { env: '*' } } });
    const set = rules(...items);
    const candidates = candidateLists(set.index, {
      serviceId: 'vpce-svc-10000005',
      endpointId: 'vpce-10000007',
      account: '100000000009',
    }).flat();
    expect(candidates.map((rule) => rule.id).sort()).toEqual(['acct-9', 'ep-7', 'global', 'svc-5']);
  });

  it('a rule listing several services is found in each, never twice', () => {
    const set = rules({
      id: 'two',
      effect: 'accept',
      services: [SERVICE, OTHER_SERVICE],
      match: { accounts: ['111111111111', '222222222222'] },
    });
    for (const serviceId of [SERVICE, OTHER_SERVICE]) {
      const found = candidateLists(set.index, {
        serviceId,
        endpointId: 'vpce-0b7a3c9d1e2f40516',
        account: '222222222222',
      }).flat();
      expect(found.map((rule) => rule.id)).toEqual(['two']);
    }
  });
});

describe('ruleSetToItems', () => {
  it('turns a rule set into table items that load back into the same rule set', () => {
    const { ruleSet, problems } = ruleSetFromFiles([
      {
        path: 'a.yaml',
        text: [
          'defaults: { defaultEffect: review, pendingTtl: P7D, onRevoke: notify, mode: enforce }',
          'services: { vpce-svc-0a1b2c3d4e5f67890: { defaultEffect: reject } }',
          'rules:',
          '  - { id: z, effect: reject, match: { accounts: ["666666666666"] }, meta: { ticket: SEC-1 } }',
          '  - { id: a, effect: accept, enabled: false, limits: { maxEndpointsPerAccount: 2 } }',
        ].join('\n'),
      },
    ]);
    expect(problems).toEqual([]);
    const items = ruleSetToItems(ruleSet);
    expect(items).toEqual([
      {
        kind: 'defaults',
        id: 'defaults',
        defaultEffect: 'review',
        pendingTtl: 'P7D',
        onRevoke: 'notify',
        mode: 'enforce',
      },
      { kind: 'service', id: SERVICE, defaultEffect: 'reject' },
      { kind: 'rule', id: 'a', effect: 'accept', enabled: false, limits: { maxEndpointsPerAccount: 2 } },
      {
        kind: 'rule',
        id: 'z',
        effect: 'reject',
        match: { accounts: ['666666666666'] },
        meta: { ticket: 'SEC-1' },
      },
    ]);
    const reloaded = ruleSetFromItems(items);
    expect(reloaded.problems).toEqual([]);
    expect(ruleSetToItems(reloaded.ruleSet)).toEqual(items);
  });
});

describe('ruleSetFromFiles', () => {
  it('merges a directory of files into one rule set', () => {
    const { ruleSet, problems } = ruleSetFromFiles([
      { path: 'defaults.yaml', text: 'defaults: { defaultEffect: reject }' },
      {
        path: 'partners.yaml',
        text: 'rules:\n  - { id: p, effect: accept, match: { accounts: ["111111111111"] } }',
      },
      { path: 'empty.yaml', text: '' },
    ]);
    expect(problems).toEqual([]);
    expect(evaluate(connection(), context(), ruleSet).decision).toBe('accept');
    expect(evaluate(connection({ account: '333333333333' }), context(), ruleSet).decision).toBe('reject');
  });

  it('a file that cannot be read holds every service without complete settings, and blocks every accept', () => {
    const { ruleSet, problems } = ruleSetFromFiles([
      { path: 'partners.yaml', text: 'rules:\n  - { id: p, effect: accept }' },
      { path: 'broken.yaml', text: 'rules: [ {' },
    ]);
    expect(problems.length).toBeGreaterThan(0);
    expect(settingsFor(ruleSet, SERVICE).held).toMatchObject({ id: 'broken.yaml', kind: 'file' });
    const record = evaluate(connection(), context(), ruleSet);
    expect(record).toMatchObject({ decision: 'review', rule: null, undetermined: ['broken.yaml'] });
    expect(record.reasons[0]).toMatch(/^held: rule file broken\.yaml is invalid \(is not valid YAML/);
    expect(
      record.reasons.some((reason) =>
        reason.startsWith(
          'rule file broken.yaml is invalid, so it is undetermined and holds requests for review',
        ),
      ),
    ).toBe(true);
  });
});

describe('settings given twice', () => {
  it('a valid and an invalid definition of the same settings hold as if both were invalid', () => {
    const { ruleSet, problems } = ruleSetFromFiles([
      {
        path: 'a.yaml',
        text: 'defaults: { defaultEffect: accept }\nservices: { vpce-svc-0a1b2c3d4e5f67890: { mode: off } }',
      },
      {
        path: 'b.yaml',
        text: 'defaults: { defaultEffect: sure }\nservices: { vpce-svc-0a1b2c3d4e5f67890: { mode: maybe } }',
      },
    ]);
    expect(problems).toHaveLength(2);
    expect(ruleSet.defaults).toBeUndefined();
    expect(ruleSet.services.size).toBe(0);
    expect(settingsFor(ruleSet, SERVICE).held).toMatchObject({ id: SERVICE, kind: 'service' });
    expect(settingsFor(ruleSet, OTHER_SERVICE).held).toMatchObject({ id: 'defaults', kind: 'defaults' });
  });
});
