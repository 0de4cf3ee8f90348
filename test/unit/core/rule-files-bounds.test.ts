/**
 * Rule files of any size or shape cost bounded work and bounded output: problems are
 * capped per item and per rule set (then counted), huge lists never overflow the call
 * stack, and alias bombs are refused.
 */
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../functions/core/evaluate.ts';
import { explainConnection } from '../../../functions/core/rule-verdicts.ts';
import { MAX_PROBLEMS_PER_ITEM } from '../../../functions/core/rules/problems.ts';
import { ruleSetFromFiles } from '../../../functions/core/rules/rule-files.ts';
import { MAX_LISTED_PROBLEMS } from '../../../functions/core/rules/rule-set.ts';
import { connection, context } from './rules-for-tests.ts';

const HUGE = 200_000;

function ruleWithAccounts(accounts: readonly string[]): string {
  return [
    'rules:',
    '  - id: everyone',
    '    effect: accept',
    '    match:',
    '      accounts:',
    ...accounts.map((account) => `        - "${account}"`),
    '',
  ].join('\n');
}

describe('a rule with 200,000 accounts', () => {
  it('validates without crashing: lists the first problems, counts the rest, never opens the gate', () => {
    const accounts = Array.from({ length: HUGE }, (_, index) => `acct-${index}`);
    const loaded = ruleSetFromFiles([{ path: 'huge.yaml', text: ruleWithAccounts(accounts) }]);
    expect(loaded.problemCount).toBe(HUGE);
    expect(loaded.problems).toHaveLength(MAX_LISTED_PROBLEMS);
    expect(loaded.problems[0]?.path).toBe('match.accounts[0]');
    const [invalid] = loaded.ruleSet.invalid;
    // The item keeps its first problems and one that counts the rest (for notices and the ledger).
    expect(invalid?.problems).toHaveLength(MAX_PROBLEMS_PER_ITEM + 1);
    expect(invalid?.problems.at(-1)).toMatchObject({
      path: '',
      message: `and ${HUGE - MAX_PROBLEMS_PER_ITEM} more problems in this item (not listed)`,
      unlisted: HUGE - MAX_PROBLEMS_PER_ITEM,
    });
    // The invalid accept rule is ignored; nothing else accepts.
    expect(evaluate(connection(), context(), loaded.ruleSet).decision).toBe('review');
    // `plgate explain` counts every problem, listed or not.
    const verdict = explainConnection(connection(), context(), loaded.ruleSet).rules.find(
      (rule) => rule.id === 'everyone',
    );
    expect(verdict?.inactive).toContain(
      `match.accounts[0]: must be a 12-digit account id, got "acct-0" (and ${HUGE - 1} more)`,
    );
  }, 180_000);
});

describe('problems across a rule set', () => {
  it(`lists the first ${MAX_LISTED_PROBLEMS} and counts every one`, () => {
    const files = Array.from({ length: 150 }, (_, index) => ({
      path: `bad-${index}.yaml`,
      text: `rules:\n  - id: r${index}\n    effect: maybe\n`,
    }));
    const loaded = ruleSetFromFiles(files);
    expect(loaded.problemCount).toBe(150);
    expect(loaded.problems).toHaveLength(MAX_LISTED_PROBLEMS);
    expect(loaded.ruleSet.invalid).toHaveLength(150);
  });
});

describe('alias-heavy YAML', () => {
  it('refuses a "billion laughs" file at once, naming the file, as an undetermined reject rule', () => {
    const levels = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let level = 1; level < 10; level += 1) {
      const previous = `*l${level - 1}`;
      levels.push(`l${level}: &l${level} [${Array.from({ length: 9 }, () => previous).join(', ')}]`);
    }
    const text = [
      'rules:',
      '  - id: laughs',
      '    effect: accept',
      '    meta:',
      ...levels.map((line) => `      ${line}`),
      '',
    ].join('\n');
    const loaded = ruleSetFromFiles([{ path: 'laughs.yaml', text }]);
    expect(loaded.problems).toEqual([
      {
        source: 'laughs.yaml',
        kind: 'file',
        path: '',
        message:
          'is refused: its YAML aliases expand past 100 nodes (an alias bomb, "billion laughs"); write the values out instead',
      },
    ]);
    expect(evaluate(connection(), context(), loaded.ruleSet)).toMatchObject({
      decision: 'review',
      undetermined: ['laughs.yaml'],
    });
  });

  it('still reads a file that reuses an anchor a few times', () => {
    const text = [
      'rules:',
      '  - id: a',
      '    effect: accept',
      '    match: { accounts: &partners ["111111111111", "222222222222"] }',
      '  - id: b',
      '    effect: review',
      '    services: [vpce-svc-0123456789abcdef0]',
      '    match: { accounts: *partners }',
      '',
    ].join('\n');
    const loaded = ruleSetFromFiles([{ path: 'anchors.yaml', text }]);
    expect(loaded.problems).toEqual([]);
    expect(loaded.ruleSet.rules.map((rule) => rule.match?.accounts)).toEqual([
      ['111111111111', '222222222222'],
      ['111111111111', '222222222222'],
    ]);
  });
});
