import type { Command } from 'commander';

export function registerLocal(_program: Command): void {}
