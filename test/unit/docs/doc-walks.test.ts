import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { walkScript, walkSteps } from '../../support/doc-walks.ts';

const MARKDOWN = [
  '```bash',
  'X=1',
  '```',
  '<!-- not run by the docs test: a deploy -->',
  '```bash',
  'exit 7',
  '```',
  '```yaml',
  'a: b',
  '```',
  '<!-- the docs test expects this to fail with: NoSuchThing -->',
  '',
  '```sh',
  'echo "NoSuchThing $X" >&2; false',
  '```',
  '```sh',
  'echo "done $X"',
  '```',
].join('\n');

const run = (script: string) => spawnSync('bash', ['-c', script], { encoding: 'utf8' });

describe('docs walks', () => {
  it('takes the bash and sh blocks, skips the marked ones, and knows which must fail', () => {
    expect(walkSteps(MARKDOWN)).toEqual([
      { line: 1, script: 'X=1' },
      { line: 13, script: 'echo "NoSuchThing $X" >&2; false', fails: 'NoSuchThing' },
      { line: 16, script: 'echo "done $X"' },
    ]);
  });

  it('runs them in one shell, in order', () => {
    const result = run(walkScript('doc.md', walkSteps(MARKDOWN)));
    expect([result.status, result.stdout]).toEqual([0, 'done 1\n']);
  });

  it('stops at a step that fails, one that should fail and does not, or fails otherwise', () => {
    for (const [markdown, message] of [
      ['```sh\nfalse\necho after\n```', /--- doc\.md:1/],
      [
        '<!-- the docs test expects this to fail with: Oops -->\n```sh\ntrue\n```',
        /succeeded, the docs say it fails/,
      ],
      [
        '<!-- the docs test expects this to fail with: Oops -->\n```sh\necho Other; false\n```',
        /failed without 'Oops'/,
      ],
    ] as const) {
      const result = run(walkScript('doc.md', walkSteps(markdown)));
      expect(result.status).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(message);
    }
  });
});
