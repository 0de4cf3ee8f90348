import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plgateInProcess as plgate } from './run-plgate-in-process.ts';

describe('plgate policy validate on a rule with thousands of problems', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'plgate-validate-bounds-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the first 100 problems, then counts the rest: exit 1', async () => {
    const accounts = Array.from({ length: 2_000 }, (_, index) => `        - "acct-${index}"`);
    const file = join(dir, 'huge.yaml');
    writeFileSync(
      file,
      [
        'rules:',
        '  - id: everyone',
        '    effect: accept',
        '    match:',
        '      accounts:',
        ...accounts,
        '',
      ].join('\n'),
    );
    const run = await plgate(['policy', 'validate', file]);
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(102);
    expect(lines[0]).toBe(
      `${file}: rule "everyone": match.accounts[0]: must be a 12-digit account id, got "acct-0" (line 6)`,
    );
    expect(lines[100]).toBe('and 1900 more problems (the first 100 are listed)');
    expect(lines[101]).toBe('2000 problems in 1 file');
  });
});
