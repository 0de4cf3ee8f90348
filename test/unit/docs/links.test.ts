/**
 * Every link in the repository's Markdown resolves to a file or folder inside the
 * repository: nothing points outside it (a reader of the repository has nothing there),
 * and nothing points at a file that has moved or gone.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SKIPPED_FOLDERS = new Set(['node_modules', '.git', 'cdk.out', 'coverage', 'dist']);

function markdownFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory())
      return SKIPPED_FOLDERS.has(entry.name) || entry.name.startsWith('.')
        ? []
        : markdownFiles(join(folder, entry.name));
    return entry.name.endsWith('.md') ? [join(folder, entry.name)] : [];
  });
}

/** Link targets in Markdown text, outside fenced code blocks and inline code. */
function linkTargets(markdown: string): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = [];
  let fenced = false;
  markdown.split('\n').forEach((text, index) => {
    if (/^\s*(```|~~~)/.test(text)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    const prose = text.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      found.push({ line: index + 1, target: match[1] ?? '' });
    for (const match of prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g))
      found.push({ line: index + 1, target: match[1] ?? '' });
  });
  return found;
}

/** What is wrong with a link from `file`, or undefined when it resolves inside `root`. */
function linkProblem(root: string, file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) return undefined;
  const path = decodeURIComponent(target.split('#')[0] ?? '');
  if (path === '') return undefined;
  const resolved = path.startsWith('/') ? join(root, path) : resolve(dirname(file), path);
  const inside = relative(root, resolved);
  if (inside === '..' || inside.startsWith(`..${sep}`)) return `${target} leads outside the repository`;
  if (!existsSync(resolved)) return `${target} does not exist`;
  return undefined;
}

describe('links in the Markdown', () => {
  it('finds links that leave the repository or lead nowhere, and only those', () => {
    // Prepare
    const file = join(ROOT, 'docs', 'example.md');
    const markdown = [
      'See [design](../../shared/DESIGN.md), [missing](gone.md) and [fine](architecture.md#the-flow).',
      '[web](https://example.com) [anchor](#top) `[code](../../x.md)`',
      '```',
      '[fenced](../../nowhere.md)',
      '```',
      '[ref]: ../../outside.md',
    ].join('\n');
    // Act
    const problems = linkTargets(markdown).flatMap(({ line, target }) => {
      const problem = linkProblem(ROOT, file, target);
      return problem === undefined ? [] : [`${line}: ${problem}`];
    });
    // Assess
    expect(problems).toEqual([
      '1: ../../shared/DESIGN.md leads outside the repository',
      '1: gone.md does not exist',
      '6: ../../outside.md leads outside the repository',
    ]);
  });

  it('resolve inside the repository, to files that exist, in every .md file', () => {
    const files = markdownFiles(ROOT);
    expect(files.map((file) => relative(ROOT, file))).toContain(join('docs', 'architecture.md'));
    const problems = files.flatMap((file) =>
      linkTargets(readFileSync(file, 'utf8')).flatMap(({ line, target }) => {
        const problem = linkProblem(ROOT, file, target);
        return problem === undefined ? [] : [`${relative(ROOT, file)}:${line}: ${problem}`];
      }),
    );
    expect(problems).toEqual([]);
  });
});
