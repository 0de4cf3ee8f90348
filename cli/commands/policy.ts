import type { Command } from 'commander';
import { loadRuleFiles, problemCountText, problemLines } from '../policy-files.ts';
import { registerPolicySync } from './policy-sync.ts';

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('validate, push, pull and diff rule files');

  policy
    .command('validate')
    .description('check rule files (*.yaml, *.yml; directories recursively) against the rule model')
    .argument('<paths...>', 'rule files or directories')
    .action(async (paths: string[]) => {
      const loaded = await loadRuleFiles(paths);
      const { ruleSet, files } = loaded;
      const fileCount = `${files.length} file${files.length === 1 ? '' : 's'}`;
      if (loaded.problemCount > 0) {
        for (const line of problemLines(loaded)) process.stderr.write(`${line}\n`);
        process.stderr.write(`${problemCountText(loaded)} in ${fileCount}\n`);
        process.exitCode = 1;
        return;
      }
      const rules = ruleSet.rules.length;
      process.stdout.write(`${rules} rule${rules === 1 ? '' : 's'} valid (${fileCount})\n`);
    });

  registerPolicySync(policy);
}
