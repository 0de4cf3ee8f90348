import type { Command } from 'commander';

export function registerPolicy(program: Command): void {
  program.command('policy').description('validate, push, pull and diff rule files');
}
