/**
 * The local cloud stands on its own: it may use the gate's functions and what the CLI and it
 * share (terminal/), never the CLI, so that the CLI can change without moving it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function sourcesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, statically or dynamically. */
function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) {
    if (match[1]) found.push(match[1]);
  }
  return found;
}

/** The imports of files under `folder` that resolve into `forbidden`, as `file -> specifier`. */
function importsInto(folder: string, forbidden: string): string[] {
  const target = resolve(ROOT, forbidden);
  return sourcesUnder(resolve(ROOT, folder)).flatMap((file) =>
    importsOf(readFileSync(file, 'utf8'))
      .filter((specifier) => specifier.startsWith('.'))
      .filter((specifier) => {
        const to = resolve(file, '..', specifier);
        return to === target || to.startsWith(`${target}/`);
      })
      .map((specifier) => `${relative(ROOT, file)} -> ${specifier}`),
  );
}

describe('module boundaries', () => {
  it('finds static, dynamic and re-export imports', () => {
    const source = [
      "import { a } from '../cli/a.ts';",
      "import type { B } from '../cli/b.ts';",
      "export { c } from '../cli/c.ts';",
      "const d = await import('../cli/d.ts');",
      "import '../cli/e.ts';",
    ].join('\n');
    expect(importsOf(source)).toEqual([
      '../cli/a.ts',
      '../cli/b.ts',
      '../cli/c.ts',
      '../cli/d.ts',
      '../cli/e.ts',
    ]);
  });

  it('local/ imports nothing from cli/', () => {
    expect(importsInto('local', 'cli')).toEqual([]);
  });

  it('terminal/ imports nothing from cli/ or local/', () => {
    expect([...importsInto('terminal', 'cli'), ...importsInto('terminal', 'local')]).toEqual([]);
  });

  it('the Lambda code imports nothing from cli/ or local/', () => {
    expect([...importsInto('functions', 'cli'), ...importsInto('functions', 'local')]).toEqual([]);
  });
});

/** The modules a file imports for their values (type-only imports leave no trace at run time). */
function valueImportsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of source.matchAll(
    /^\s*(import|export)\s+(type\s+)?[^'";]*?\bfrom\s*['"](\.[^'"]+)['"]/gm,
  )) {
    if (!match[2] && match[3]) found.push(resolve(file, '..', match[3]));
  }
  return found;
}

describe('the code base', () => {
  it('has no import cycle among the modules of the gate, the CLI, the local cloud and the stack', () => {
    const files = ['functions', 'cli', 'local', 'infra', 'terminal'].flatMap((folder) =>
      sourcesUnder(resolve(ROOT, folder)),
    );
    const graph = new Map(files.map((file) => [file, valueImportsOf(file)]));
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(ROOT, f)).join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
