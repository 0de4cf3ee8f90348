import type { Command } from 'commander';
import { loadRuleFiles, problemCountText, problemLines } from '../../functions/core/rules/load-rule-files.ts';
import { openAcceptWarnings } from '../../functions/core/rules/open-accepts.ts';
import { formatProblem } from '../../functions/core/rules/problems.ts';
import { printJson } from '../output.ts';
import { registerPolicyPushPullDiff } from './policy-push-pull-diff.ts';

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('validate, push, pull and diff rule files');

  policy
    .command('validate')
    .description('check rule files (*.yaml, *.yml; directories recursively) against the rule model')
    .argument('<paths...>', 'rule files or directories')
    .option('--json', 'print {valid, files, rules, problemCount, problems, warnings} as JSON')
    .action(async (paths: string[], flags: { json?: boolean }) => {
      const loaded = await loadRuleFiles(paths);
      const { ruleSet, files } = loaded;
      const warnings = loaded.problemCount > 0 ? [] : openAcceptWarnings(ruleSet);
      if (loaded.problemCount > 0) process.exitCode = 1;
      if (flags.json) {
        printJson({
          valid: loaded.problemCount === 0,
          files,
          rules: ruleSet.rules.length,
          problemCount: loaded.problemCount,
          problems: loaded.problems.map((problem) => ({ ...problem, text: formatProblem(problem) })),
          warnings,
        });
        return;
      }
      const fileCount = `${files.length} file${files.length === 1 ? '' : 's'}`;
      if (loaded.problemCount > 0) {
        for (const line of problemLines(loaded)) process.stderr.write(`${line}\n`);
        process.stderr.write(`${problemCountText(loaded)} in ${fileCount}\n`);
        return;
      }
      for (const warning of warnings) process.stderr.write(`warning: ${warning.message}\n`);
      const rules = ruleSet.rules.length;
      process.stdout.write(`${rules} rule${rules === 1 ? '' : 's'} valid (${fileCount})\n`);
    });

  registerPolicyPushPullDiff(policy);
}
