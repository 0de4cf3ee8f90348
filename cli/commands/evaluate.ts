import type { Command } from 'commander';

export function registerEvaluate(_program: Command): void {}
