import { describe, expect, it } from 'vitest';
import { openAcceptWarnings } from '../../../functions/core/rules/open-accepts.ts';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-items.ts';

const SERVICE = 'vpce-svc-0123456789abcdef0';
const warningsOf = (items: unknown[]) => openAcceptWarnings(ruleSetFromItems(items).ruleSet);

describe('accept rules without conditions', () => {
  it('warns of one with no match, naming what it lets in', () => {
    expect(
      warningsOf([
        { kind: 'rule', id: 'open', effect: 'accept' },
        { kind: 'rule', id: 'open-one', effect: 'accept', match: {}, services: [SERVICE] },
        {
          kind: 'rule',
          id: 'open-limited',
          effect: 'accept',
          limits: { maxEndpointsPerAccount: 2 },
        },
      ]).map((w) => w.message),
    ).toEqual([
      'rule "open" has no match conditions: it accepts every connection to every managed service',
      `rule "open-limited" has no match conditions: it accepts every connection to every managed service (up to 2 per account)`,
      `rule "open-one" has no match conditions: it accepts every connection to ${SERVICE}`,
    ]);
  });

  it('is silent for rules with a condition, disabled ones, and other effects', () => {
    expect(
      warningsOf([
        { kind: 'rule', id: 'partner', effect: 'accept', match: { accounts: ['111111111111'] } },
        { kind: 'rule', id: 'same-region', effect: 'accept', match: { crossRegion: false } },
        { kind: 'rule', id: 'off', effect: 'accept', enabled: false },
        { kind: 'rule', id: 'hold-all', effect: 'review' },
        { kind: 'rule', id: 'deny-all', effect: 'reject', match: {} },
      ]),
    ).toEqual([]);
  });
});
