import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../functions/core/connection.ts';
import { planDecisions } from '../../../functions/core/decide.ts';
import { evaluate } from '../../../functions/core/evaluate.ts';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-items.ts';
import { settingsFor } from '../../../functions/core/rules/settings.ts';
import { connection, context, NOW, OTHER_SERVICE, rules, SERVICE } from './rules-for-tests.ts';

const ENDPOINT = 'vpce-0b7a3c9d1e2f40516';
const approval = (overrides: Record<string, unknown> = {}) => ({
  kind: 'approval',
  id: ENDPOINT,
  serviceId: SERVICE,
  account: '111111111111',
  actor: 'arn:aws:iam::000000000000:user/alice',
  reason: 'signed contract',
  at: '2026-11-21T11:30:00Z',
  ...overrides,
});
const denial = (overrides: Record<string, unknown> = {}) => ({ ...approval(), kind: 'denial', ...overrides });

describe('operator decisions in evaluation', () => {
  it('an approval outranks a review rule, a review default and an undetermined condition', () => {
    const set = rules(
      { id: 'hold-all', effect: 'review' },
      { id: 'org-check', effect: 'reject', match: { organizations: ['o-abcdefghij'] } },
      { kind: 'defaults', id: 'defaults', defaultEffect: 'review' },
      approval(),
    );
    const record = evaluate(connection(), context(), set);
    expect(record).toMatchObject({
      decision: 'accept',
      rule: null,
      operator: { verdict: 'approve', actor: 'arn:aws:iam::000000000000:user/alice', decided: true },
    });
    expect(record.reasons[0]).toBe(
      'approved by arn:aws:iam::000000000000:user/alice at 2026-11-21T11:30:00Z: signed contract',
    );
    // Without the approval the same connection is held.
    expect(evaluate(connection(), context(), rules({ id: 'hold-all', effect: 'review' })).decision).toBe(
      'review',
    );
  });

  it('a matching reject rule outranks an approval, and the reasons say so', () => {
    const set = rules({ id: 'block', effect: 'reject', match: { accounts: ['111111111111'] } }, approval());
    const record = evaluate(connection(), context(), set);
    expect(record).toMatchObject({ decision: 'reject', rule: 'block', operator: { decided: false } });
    expect(record.reasons.join('\n')).toMatch(/an approval never outranks a reject rule/);
  });

  it('a denial rejects what an accept rule would accept', () => {
    const set = rules({ id: 'partner', effect: 'accept', match: { accounts: ['111111111111'] } }, denial());
    const record = evaluate(connection(), context(), set);
    expect(record).toMatchObject({ decision: 'reject', rule: null, operator: { verdict: 'deny' } });
  });

  it('a denial wins over an approval of the same endpoint, in any item order', () => {
    for (const items of [
      [approval(), denial()],
      [denial(), approval()],
    ]) {
      expect(evaluate(connection(), context(), rules(...items)).decision).toBe('reject');
    }
  });

  it('applies only to its endpoint on its service', () => {
    const set = rules(approval());
    expect(evaluate(connection({ endpointId: 'vpce-0000000000000000a' }), context(), set).decision).toBe(
      'review',
    );
    expect(evaluate(connection({ serviceId: OTHER_SERVICE }), context(), set).decision).toBe('review');
  });

  it('an unreadable approval never accepts: it holds its service like an invalid rule', () => {
    const { ruleSet, problems } = ruleSetFromItems([
      { kind: 'rule', id: 'partner', effect: 'accept', match: { accounts: ['111111111111'] } },
      approval({ actor: '', at: 'yesterday' }),
    ]);
    expect(problems.map((p) => p.path).sort()).toEqual(['actor', 'at']);
    const held = evaluate(connection(), context(), ruleSet);
    expect(held.decision).toBe('review');
    expect(evaluate(connection({ serviceId: OTHER_SERVICE }), context(), ruleSet).decision).toBe('accept');
  });
});

describe('operator decisions in the plan', () => {
  const plan = (
    items: Record<string, unknown>[],
    state: Connection['state'],
    onRevoke: 'notify' | 'reject',
  ) => {
    const set = rules({ kind: 'defaults', id: 'defaults', onRevoke }, ...items);
    return planDecisions({
      connections: [connection({ state })],
      ruleSet: set,
      settings: settingsFor(set, SERVICE),
      now: NOW,
      flags: new Map(),
    }).decisions.map((d) => [d.outcome, d.action]);
  };

  it('a denial rejects a live connection now even when onRevoke is notify', () => {
    expect(plan([denial()], 'available', 'notify')).toEqual([['revoked', 'reject']]);
    expect(plan([denial()], 'pendingAcceptance', 'notify')).toEqual([['rejected', 'reject']]);
    // A reject rule on a live connection still only notifies drift under onRevoke: notify.
    expect(plan([{ id: 'block', effect: 'reject' }], 'available', 'notify')).toEqual([['drift', 'none']]);
  });

  it('an approval accepts a pending request a review rule holds', () => {
    expect(plan([{ id: 'hold', effect: 'review' }, approval()], 'pendingAcceptance', 'notify')).toEqual([
      ['accepted', 'accept'],
    ]);
  });
});
