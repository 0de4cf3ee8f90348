/**
 * `plgate policy push`, `pull` and `diff`: their options here, their work in policy-sync.ts,
 * loaded when one of them runs (it needs the SDK's clients; `policy validate` does not).
 */
import type { Command } from 'commander';
import { withFleetOptions } from '../fleet-settings.ts';
import { withTargetOptions } from '../target-options.ts';
import type { SyncFlags } from './policy-sync.ts';

const sync = () => import('./policy-sync.ts');

export function registerPolicyPushPullDiff(policy: Command): void {
  // push and diff count what a change does to the connections there are: a hub's, its members'.
  withFleetOptions(
    withTargetOptions(
      policy
        .command('push')
        .description('validate rule files, then write the difference to the rules table')
        .argument('<paths...>', 'rule files or directories')
        .option('--dry-run', 'print the plan, write nothing')
        .option('--force', 'write even if the table was edited since the last pull')
        .option(
          '--prune',
          'also delete what the files do not mention (approvals, settings and rules kept only in the table)',
        )
        .option('--json', 'print the plan as JSON'),
    ),
  ).action(async (paths: string[], flags: SyncFlags) => (await sync()).push(paths, flags));

  withTargetOptions(
    policy
      .command('pull')
      .description('write the rules table as YAML files into a directory')
      .argument('<dir>', 'the directory (created if missing)')
      .option('--json', 'print {directory, version, written, skipped} as JSON'),
  ).action(async (dir: string, flags: SyncFlags) => (await sync()).pull(dir, flags));

  withFleetOptions(
    withTargetOptions(
      policy
        .command('diff')
        .description('show what `policy push` would do, writing nothing (exit 1 when it would write)')
        .argument('<paths...>', 'rule files or directories')
        .option('--prune', 'show what `policy push --prune` would do')
        .option('--json', 'print the plan as JSON'),
    ),
  ).action(async (paths: string[], flags: SyncFlags) => (await sync()).diff(paths, flags));
}
