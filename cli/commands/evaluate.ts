import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { type Connection, readConnection } from '../../functions/core/connection.ts';
import type { DecisionRecord, Effect } from '../../functions/core/decision-record.ts';
import { evaluate } from '../../functions/core/evaluate.ts';
import { parseIsoTimestamp } from '../../functions/core/iso8601.ts';
import { loadRuleFiles, problemCountText, problemLines } from '../../functions/core/rules/load-rule-files.ts';
import type { RuleSet } from '../../functions/core/rules/rule-set.ts';
import { colors } from '../../terminal/colors.ts';
import { type ContextFile, ContextFileError, contextFor, parseContextFile } from '../context-file.ts';
import { UsageError } from '../exit.ts';
import { printTable } from '../output.ts';

interface EvaluateOptions {
  rules: string[];
  connection: string;
  now?: string;
  context?: string;
  json?: boolean;
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description(
      'judge connections against rule files, offline: no AWS call, nothing is accepted or rejected',
    )
    .requiredOption('--rules <path>', 'rule file or directory (repeatable)', collect)
    .requiredOption(
      '--connection <file>',
      'JSON: one VpcEndpointConnection, a list of them, or describe-vpc-endpoint-connections output; - for stdin',
    )
    .option('--now <iso>', 'evaluate as of this instant (ISO-8601 with a zone); default: now')
    .option(
      '--context <file>',
      'JSON with organizations, liveEndpoints and serviceRegion (see policies/README.md)',
    )
    .option('--json', 'print the decision records as a JSON array')
    .action(async (options: EvaluateOptions) => {
      const now = parseNow(options.now);
      const loaded = await loadRuleFiles(options.rules);
      const { ruleSet } = loaded;
      if (loaded.problemCount > 0) {
        for (const line of problemLines(loaded)) process.stderr.write(`${line}\n`);
        process.stderr.write(`plgate: the rules have ${problemCountText(loaded)}; nothing was evaluated\n`);
        process.exitCode = 1;
        return;
      }
      const context = options.context === undefined ? undefined : await readContext(options.context);
      const connections = await readConnections(options.connection);
      if (context === false || connections === undefined) {
        process.exitCode = 1;
        return;
      }
      const rows = connections.map((connection) => {
        const evaluationContext = contextFor(connection, now, context);
        return { connection, evaluationContext, record: evaluate(connection, evaluationContext, ruleSet) };
      });
      const needRegion = rows.flatMap(({ evaluationContext, record }) =>
        evaluationContext.serviceRegion === undefined ? crossRegionRules(ruleSet, record.undetermined) : [],
      );
      if (needRegion.length > 0) {
        const names = [...new Set(needRegion)].map((id) => `"${id}"`).join(', ');
        process.stderr.write(
          `plgate: the service's region is unknown, so crossRegion in rule ${names} is undetermined: give it with --context FILE holding {"serviceRegion": "us-east-1"} (or set AWS_REGION)\n`,
        );
      }
      if (options.json) {
        const records: DecisionRecord[] = rows.map((row) => row.record);
        process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
      } else if (rows.length === 0) {
        process.stdout.write('no connections\n');
      } else {
        printTable(
          ['endpoint', 'account', 'state', 'decision', 'rule', 'reasons'],
          rows.map(({ connection, record }) => [
            record.endpointId,
            record.account,
            connection.state,
            { text: record.decision, style: (text) => EFFECT_STYLE[record.decision](text) },
            record.rule ?? (record.default ? '(default)' : '(none)'),
            record.reasons.join('\n'),
          ]),
        );
      }
    });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parseNow(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const ms = parseIsoTimestamp(text);
  if (ms === undefined) {
    throw new UsageError(
      `--now must be an ISO-8601 timestamp with a zone, such as 2026-01-01T00:00:00Z, got "${text}"`,
    );
  }
  return new Date(ms);
}

async function readInput(file: string, option: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin)
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new UsageError(`${option}: cannot read ${file}: ${code}`, { cause: error });
  }
}

class InputFileError extends Error {
  override name = 'InputFileError';
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputFileError(
      `${source}: is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** The context file; false (after printing every problem) when it cannot be read. */
async function readContext(file: string): Promise<ContextFile | false> {
  const source = file === '-' ? 'stdin' : file;
  const value = parseJson(await readInput(file, '--context'), source);
  try {
    return parseContextFile(value, source);
  } catch (error) {
    if (!(error instanceof ContextFileError)) throw error;
    for (const line of error.message.split('\n')) process.stderr.write(`plgate: ${line}\n`);
    return false;
  }
}

/** The undetermined rules that hold a crossRegion condition: the ones the service's region would settle. */
function crossRegionRules(ruleSet: RuleSet, undetermined: readonly string[]): string[] {
  return undetermined.filter((id) =>
    ruleSet.rules.some((rule) => rule.id === id && rule.match?.crossRegion !== undefined),
  );
}

/** Connections from the file; undefined (after printing every problem) when any cannot be parsed. */
async function readConnections(file: string): Promise<Connection[] | undefined> {
  const source = file === '-' ? 'stdin' : file;
  const value = parseJson(await readInput(file, '--connection'), source);
  let items: unknown[];
  let prefix: (index: number) => string;
  if (Array.isArray(value)) {
    items = value;
    prefix = (index) => `[${index}]`;
  } else if (typeof value === 'object' && value !== null && 'VpcEndpointConnections' in value) {
    const list = value.VpcEndpointConnections;
    if (!Array.isArray(list)) throw new InputFileError(`${source}: VpcEndpointConnections must be a list`);
    items = list;
    prefix = (index) => `VpcEndpointConnections[${index}]`;
  } else {
    items = [value];
    prefix = () => '';
  }
  const connections: Connection[] = [];
  let problemCount = 0;
  items.forEach((item, index) => {
    const read = readConnection(item);
    const where = prefix(index);
    for (const problem of read.problems) {
      process.stderr.write(`plgate: ${source}: ${where ? `${where}.` : ''}${problem.message}\n`);
      problemCount += 1;
    }
    if (read.connection !== undefined && read.problems.length === 0) connections.push(read.connection);
  });
  if (problemCount === 0) return connections;
  process.stderr.write(
    `plgate: the connections have ${problemCount} ${problemCount === 1 ? 'problem' : 'problems'}; nothing was evaluated (see policies/README.md for an example connection)\n`,
  );
  return undefined;
}

const EFFECT_STYLE: Record<Effect, (text: string) => string> = {
  accept: (text) => colors().green(text),
  reject: (text) => colors().red(text),
  review: (text) => colors().yellow(text),
};
