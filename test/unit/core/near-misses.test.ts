/**
 * Near misses on plain verdicts: the limit is no match condition, a single failing condition
 * is a plain miss, and the nearest (most conditions held) come first.
 */
import { describe, expect, it } from 'vitest';
import {
  type ConditionVerdict,
  nearMisses,
  type RuleVerdict,
} from '../../../functions/core/rule-verdicts.ts';

const holds = (condition: string): ConditionVerdict => ({ condition, holds: true, detail: '' });
const fails = (condition: string): ConditionVerdict => ({ condition, holds: false, detail: '' });
const unknown = (condition: string): ConditionVerdict => ({ condition, holds: 'undetermined', detail: '' });

function verdict(id: string, kind: RuleVerdict['verdict'], conditions: ConditionVerdict[]): RuleVerdict {
  return {
    id,
    effect: 'accept',
    verdict: kind,
    conditions,
    failed: conditions.filter((c) => c.holds === false).map((c) => c.condition),
  };
}

describe('nearMisses', () => {
  it('a rule whose account does not match is no near miss because its limit holds', () => {
    const misses = nearMisses([
      verdict('other-account', 'no-match', [fails('accounts'), holds('limits.maxEndpointsPerAccount')]),
    ]);
    expect(misses).toEqual([]);
  });

  it('a rule held back only by its limit is a near miss, the limit named as what failed', () => {
    const misses = nearMisses([
      verdict('quota', 'limit-reached', [holds('accounts'), fails('limits.maxEndpointsPerAccount')]),
    ]);
    expect(misses).toEqual([
      {
        id: 'quota',
        effect: 'accept',
        held: 1,
        of: 1,
        failed: ['limits.maxEndpointsPerAccount'],
        undetermined: [],
      },
    ]);
  });

  it('one failed condition while another held is near; one failed of one, or two failed, is not', () => {
    const misses = nearMisses([
      verdict('eu-only', 'no-match', [holds('accounts'), fails('regions')]),
      verdict('single', 'no-match', [fails('accounts')]),
      verdict('two-failed', 'no-match', [holds('tags'), fails('accounts'), fails('regions')]),
      verdict('failed-and-unknown', 'no-match', [fails('accounts'), unknown('organizations')]),
      verdict('matched', 'match', [holds('accounts')]),
      { ...verdict('inactive', 'inactive', []), inactive: 'disabled' },
    ]);
    expect(misses.map((miss) => [miss.id, miss.failed])).toEqual([['eu-only', ['regions']]]);
  });

  it('an undetermined rule is near, naming what could not be told', () => {
    const misses = nearMisses([
      verdict('our-org', 'undetermined', [holds('accounts'), unknown('organizations')]),
    ]);
    expect(misses).toEqual([
      { id: 'our-org', effect: 'accept', held: 1, of: 2, failed: [], undetermined: ['organizations'] },
    ]);
  });

  it('ranks by how many conditions held, then by id', () => {
    const misses = nearMisses([
      verdict('a-one-held', 'no-match', [holds('accounts'), fails('regions')]),
      verdict('c-three-held', 'no-match', [
        holds('accounts'),
        holds('tags'),
        holds('ipAddressTypes'),
        fails('regions'),
      ]),
      verdict('b-two-held', 'no-match', [holds('accounts'), holds('tags'), fails('regions')]),
      verdict('d-two-held', 'limit-reached', [
        holds('accounts'),
        holds('tags'),
        fails('limits.maxEndpointsPerAccount'),
      ]),
    ]);
    expect(misses.map((miss) => [miss.id, miss.held])).toEqual([
      ['c-three-held', 3],
      ['b-two-held', 2],
      ['d-two-held', 2],
      ['a-one-held', 1],
    ]);
  });
});
