import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './run-plgate.ts';
import { plgateInProcess as plgate } from './run-plgate-in-process.ts';

describe('plgate policy validate', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'plgate-validate-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes the example policies: exit 0, "N rules valid"', async () => {
    const run = await plgate(['policy', 'validate', 'policies']);
    expect(run).toEqual({ code: 0, stdout: '8 rules valid (4 files)\n', stderr: '' });
  });

  it('takes several files and directories, and ignores schema.json and hidden folders', async () => {
    const valid = join(dir, 'valid');
    mkdirSync(join(valid, 'nested'), { recursive: true });
    mkdirSync(join(valid, '.git'), { recursive: true });
    copyFileSync(join(ROOT, 'policies/schema.json'), join(valid, 'schema.json'));
    writeFileSync(join(valid, 'nested/one.yml'), 'rules:\n  - { id: one, effect: review }\n');
    writeFileSync(join(valid, '.git/broken.yaml'), 'rules: [');
    const run = await plgate(['policy', 'validate', valid, join(ROOT, 'policies/partners.yaml')]);
    expect(run).toEqual({ code: 0, stdout: '5 rules valid (2 files)\n', stderr: '' });
  });

  it('lists every problem of invalid files, naming file, rule, field and line: exit 1', async () => {
    const invalid = join(dir, 'invalid');
    mkdirSync(invalid);
    writeFileSync(
      join(invalid, 'partners.yaml'),
      [
        '# yaml-language-server: $schema=./schema.json',
        'rules:',
        '  - id: acme-prod',
        '    effect: accept',
        '    match:',
        '      accounts: ["1111"]',
        '  - id: old-partner',
        '    effect: reject',
        '    limits: { maxEndpointsPerAccount: 2 }',
        '    validFrom: 2027-01-01T00:00:00Z',
        '    validUntil: 2026-01-01T00:00:00Z',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(invalid, 'more.yaml'),
      'rules:\n  - id: acme-prod\n    effect: review\n    pendingTtl: P1M\n',
    );
    const run = await plgate(['policy', 'validate', invalid]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const more = join(invalid, 'more.yaml');
    const partners = join(invalid, 'partners.yaml');
    expect(run.stderr.split('\n')).toEqual([
      `${more}: rule "acme-prod": pendingTtl: must not use years or months, which have no fixed length: use days or weeks, such as P30D, got "P1M" (line 4)`,
      `${partners}: rule "acme-prod": id: is a duplicate: rule "acme-prod" is also defined in ${more} (line 3)`,
      `${partners}: rule "acme-prod": match.accounts[0]: must be a 12-digit account id, got "1111" (line 6)`,
      `${partners}: rule "old-partner": limits: is allowed only on accept rules, this rule's effect is reject, got {"maxEndpointsPerAccount":2} (line 9)`,
      `${partners}: rule "old-partner": validUntil: must be after validFrom (2027-01-01T00:00:00Z), got "2026-01-01T00:00:00Z" (line 11)`,
      '5 problems in 2 files',
      '',
    ]);
  });

  it('reports YAML syntax errors with their line', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'rules:\n  - id: a\n    effect: [accept\n');
    const run = await plgate(['policy', 'validate', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `^${file.replaceAll('.', '\\.')}: is not valid YAML: .+ \\(line \\d+\\)\\n1 problem in 1 file\\n$`,
      ),
    );
  });

  it('usage errors exit 2: no path, a missing path, a directory without rule files', async () => {
    const none = await plgate(['policy', 'validate']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("missing required argument 'paths'");

    const missing = await plgate(['policy', 'validate', join(dir, 'nope.yaml')]);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toBe(`plgate: cannot read ${join(dir, 'nope.yaml')}: ENOENT\n`);

    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const nothing = await plgate(['policy', 'validate', empty]);
    expect(nothing).toEqual({
      code: 2,
      stdout: '',
      stderr: `plgate: no rule files (*.yaml, *.yml) in ${empty}\n`,
    });
  });
});
