/**
 * Fuzzing helpers: hostile variations of a valid input, one field at a time, so a
 * property can say which field the refusal must name.
 */
import fc from 'fast-check';

export type Path = readonly (string | number)[];

/** Every path into a JSON-like value (objects and arrays), the value itself included. */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) paths.push(...pathsOf(item, [...prefix, i]));
  } else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  }
  return paths;
}

/** A copy of `value` with `replacement` at `path` (`undefined` removes the field). */
export function withValueAt(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    copy[Number(head)] = withValueAt(copy[Number(head)], rest, replacement);
    return copy;
  }
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const key = String(head);
    const next = withValueAt(copy[key], rest, replacement);
    if (next === undefined) delete copy[key];
    else copy[key] = next;
    return copy;
  }
  return value;
}

/** Values of every JSON type and then some: what a broken or hostile producer sends. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.constantFrom(
    undefined,
    null,
    '',
    ' ',
    '\u0000',
    'vpce-svc-XYZ',
    'vpce-',
    '<!channel>',
    '__proto__',
    'constructor',
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -1,
    2 ** 53,
    [],
    {},
    { __proto__: { polluted: true } },
    'a'.repeat(10_000),
  ),
);

/** One field of `valid` replaced by a hostile value (or removed), with the path that was changed. */
export function mutationOf(valid: unknown): fc.Arbitrary<{ path: Path; value: unknown }> {
  const paths = pathsOf(valid);
  return fc
    .tuple(fc.constantFrom(...paths), hostileValue)
    .map(([path, replacement]) => ({ path, value: withValueAt(valid, path, replacement) }));
}

/**
 * Whether `message` names `path` or one of its ancestors (a refusal may be of the
 * enclosing object, e.g. a union); `root` is how the message names the whole input.
 */
export function namesPathOrAncestor(message: string, path: Path, root: string, separator = '.'): boolean {
  if (path.length === 0) return true;
  for (let length = path.length; length > 0; length -= 1) {
    if (message.includes(path.slice(0, length).join(separator))) return true;
  }
  return message.includes(root);
}
