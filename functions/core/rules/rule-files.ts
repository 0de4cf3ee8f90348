/**
 * Rule files: YAML documents merged into one rule set, with problems that name the file,
 * the rule, the field path and the line. Only the CLI and the local cloud read files; the
 * Lambdas read the table, so this module (and its YAML parser) stays out of their bundles.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { type InvalidRule, isRecord, readableRuleId, readableServices } from './invalid-items.ts';
import {
  issuesToProblems,
  MAX_PROBLEMS_PER_ITEM,
  type PathSegment,
  type ProblemScope,
  problemAt,
  type RuleProblem,
  unlistedProblems,
} from './problems.ts';
import { restoreProtoTag } from './rule-items.ts';
import type { LoadedRuleSet } from './rule-set.ts';
import { RuleSetBuilder } from './rule-set-builder.ts';
import { DefaultsSchema, RuleSchema, ServiceIdSchema, ServiceSettingsSchema } from './schema.ts';

/** Finds the 1-based line of a path in a YAML document. */
function lineFinder(
  contents: unknown,
  counter: LineCounter,
): (path: readonly PropertyKey[]) => number | undefined {
  return (path) => {
    let node: unknown = contents;
    let offset = rangeStart(node);
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (!pair) break;
        offset = rangeStart(pair.value) ?? rangeStart(pair.key) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (item === undefined) break;
        offset = rangeStart(item) ?? offset;
        node = item;
      } else break;
    }
    return offset === undefined ? undefined : counter.linePos(offset).line;
  };
}

function rangeStart(node: unknown): number | undefined {
  if (typeof node !== 'object' || node === null || !('range' in node)) return undefined;
  const range = node.range;
  return Array.isArray(range) && typeof range[0] === 'number' ? range[0] : undefined;
}

const FILE_SECTIONS = ['defaults', 'services', 'rules'];

/**
 * How far aliases may expand when a file is read (the `yaml` package's own guard). A few
 * anchors reused by hand stay far below it; a "billion laughs" document, whose nine
 * aliases each repeat the one before, is refused at once instead of taking the memory.
 */
const MAX_ALIAS_COUNT = 100;

/**
 * A rule set from YAML rule files, merged. Ids are unique across all files; a second
 * definition (of a rule, the defaults or a service's settings) is a problem naming both
 * files. A file that cannot be read as a rule file may have held anything: it holds every
 * service without complete settings of its own and counts as an undetermined reject rule
 * for every service.
 */
export function ruleSetFromFiles(files: readonly { path: string; text: string }[]): LoadedRuleSet {
  const builder = new RuleSetBuilder();
  for (const file of files) loadFile(builder, file.path, file.text);
  return builder.build();
}

function loadFile(builder: RuleSetBuilder, source: string, text: string): void {
  const counter = new LineCounter();
  const doc = parseDocument(text, {
    schema: 'core',
    uniqueKeys: true,
    prettyErrors: false,
    lineCounter: counter,
  });
  const fileScope: ProblemScope = { source, kind: 'file' };
  const failFile = (problems: RuleProblem[]) => builder.addInvalid({ id: source, kind: 'file', problems });

  if (doc.errors.length > 0) {
    const listed = doc.errors.slice(0, MAX_PROBLEMS_PER_ITEM);
    const unlisted = doc.errors.length - listed.length;
    failFile([
      ...listed.map((error) => {
        const problem: RuleProblem = {
          source,
          kind: 'file',
          path: '',
          message: `is not valid YAML: ${firstLine(error.message)}`,
        };
        problem.line = counter.linePos(error.pos[0]).line;
        return problem;
      }),
      ...(unlisted > 0 ? [unlistedProblems(fileScope, unlisted)] : []),
    ]);
    return;
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    failFile([
      {
        source,
        kind: 'file',
        path: '',
        message: /alias/i.test(reason)
          ? `is refused: its YAML aliases expand past ${MAX_ALIAS_COUNT} nodes (an alias bomb, "billion laughs"); write the values out instead`
          : `cannot be read: ${reason}`,
      },
    ]);
    return;
  }
  if (value === null || value === undefined) return; // an empty file (or only comments) holds no rules
  const lineOf = lineFinder(doc.contents, counter);
  const scope: ProblemScope = { ...fileScope, lineOf };
  if (!isRecord(value)) {
    failFile([problemAt(scope, [], 'must be a mapping with defaults, services and/or rules', { value })]);
    return;
  }
  // A section with nothing under it (`rules:` with every rule commented out) is empty.
  const structural: RuleProblem[] = [];
  for (const key of Object.keys(value)) {
    if (!FILE_SECTIONS.includes(key)) {
      const hint = FILE_SECTIONS.find((section) => section.startsWith(key.slice(0, 3).toLowerCase()));
      structural.push(
        problemAt(
          scope,
          [key],
          `is not a section of a rule file (defaults, services, rules)${hint ? `; did you mean "${hint}"?` : ''}`,
        ),
      );
    }
  }

  if (value.defaults !== undefined && value.defaults !== null) {
    const defaultsScope: ProblemScope = { source, kind: 'defaults', location: ['defaults'], lineOf };
    const parsed = DefaultsSchema.safeParse(value.defaults);
    if (parsed.success) builder.addDefaults(parsed.data, { source, where: 'defaults' }, defaultsScope);
    else {
      builder.addInvalid(
        {
          id: 'defaults',
          kind: 'defaults',
          problems: issuesToProblems(parsed.error.issues, value.defaults, defaultsScope),
        },
        { kind: 'defaults', id: 'defaults', body: value.defaults },
      );
    }
  }

  if (value.services !== undefined && value.services !== null) {
    if (!isRecord(value.services)) {
      structural.push(
        problemAt(scope, ['services'], 'must be a mapping of service id to settings', {
          value: value.services,
        }),
      );
    } else {
      for (const [serviceId, settings] of Object.entries(value.services)) {
        loadServiceSettings(builder, source, lineOf, serviceId, settings);
      }
    }
  }

  if (value.rules !== undefined && value.rules !== null) {
    if (!Array.isArray(value.rules)) {
      structural.push(problemAt(scope, ['rules'], 'must be a list of rules', { value: value.rules }));
    } else {
      value.rules.forEach((rule: unknown, position) => {
        loadFileRule(builder, source, lineOf, rule, position);
      });
    }
  }
  if (structural.length > 0) failFile(structural);
}

function loadServiceSettings(
  builder: RuleSetBuilder,
  source: string,
  lineOf: ProblemScope['lineOf'],
  serviceId: string,
  settings: unknown,
): void {
  const scope: ProblemScope = {
    source,
    kind: 'service',
    ruleId: serviceId,
    location: ['services', serviceId],
    lineOf,
  };
  const problems: RuleProblem[] = [];
  const id = ServiceIdSchema.safeParse(serviceId);
  if (!id.success) {
    problems.push(problemAt(scope, [], 'is not an endpoint service id (vpce-svc- and 8 to 17 hex digits)'));
  }
  const parsed = ServiceSettingsSchema.safeParse(settings);
  if (!parsed.success)
    for (const problem of issuesToProblems(parsed.error.issues, settings, scope)) problems.push(problem);
  if (parsed.success && problems.length === 0) {
    builder.addService(serviceId, parsed.data, { source, where: `services.${serviceId}` }, scope);
    return;
  }
  const entry: InvalidRule = { id: serviceId, kind: 'service', problems };
  if (id.success) entry.services = [serviceId];
  builder.addInvalid(entry, { kind: 'service', id: serviceId, body: settings });
}

function loadFileRule(
  builder: RuleSetBuilder,
  source: string,
  lineOf: ProblemScope['lineOf'],
  raw: unknown,
  position: number,
): void {
  const location: PathSegment[] = ['rules', position];
  const id = readableRuleId(raw);
  const scope: ProblemScope =
    id === undefined
      ? { source, kind: 'rule', prefix: location, location, lineOf }
      : { source, kind: 'rule', ruleId: id, location, lineOf };
  const parsed = RuleSchema.safeParse(raw);
  const problems = parsed.success ? [] : issuesToProblems(parsed.error.issues, raw, scope);
  const tagProblem = parsed.success ? restoreProtoTag(parsed.data, raw) : undefined;
  if (tagProblem) problems.push(problemAt(scope, ...tagProblem));
  const duplicate =
    id === undefined ? undefined : builder.claimRuleId(id, { source, where: `rules[${position}]` }, scope);
  if (duplicate) problems.unshift(duplicate);
  if (parsed.success && problems.length === 0) {
    builder.addRule(parsed.data);
    return;
  }
  const entry: InvalidRule = { id: id ?? `${source}#rules[${position}]`, kind: 'rule', problems };
  const services = readableServices(raw);
  if (services) entry.services = services;
  builder.addInvalid(entry, { kind: 'rule', id: isRecord(raw) ? raw.id : undefined, body: raw });
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
