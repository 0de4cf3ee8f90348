import type { Command } from 'commander';
import { loadRuleFiles, problemLine } from '../policy-files.ts';
import { registerPolicySync } from './policy-sync.ts';

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('validate, push, pull and diff rule files');

  policy
    .command('validate')
    .description('check rule files (*.yaml, *.yml; directories recursively) against the rule model')
    .argument('<paths...>', 'rule files or directories')
    .action(async (paths: string[]) => {
      const { ruleSet, problems, files } = await loadRuleFiles(paths);
      const fileCount = `${files.length} file${files.length === 1 ? '' : 's'}`;
      if (problems.length > 0) {
        for (const problem of problems) process.stderr.write(`${problemLine(problem)}\n`);
        const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
        process.stderr.write(`${count} in ${fileCount}\n`);
        process.exitCode = 1;
        return;
      }
      const rules = ruleSet.rules.length;
      process.stdout.write(`${rules} rule${rules === 1 ? '' : 's'} valid (${fileCount})\n`);
    });

  registerPolicySync(policy);
}
