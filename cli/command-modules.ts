/**
 * Which module registers which `plgate` commands, loaded only when needed: a command's run
 * loads its own module (and the SDK clients it imports), not every command's; help, an unknown
 * command and the fuzz tests load them all. The order is the order of `plgate --help`.
 */
import type { Command } from 'commander';

type Register = (program: Command) => void;

export interface CommandModule {
  /** The top-level commands the module registers. */
  names: readonly string[];
  load: () => Promise<Register>;
}

export const COMMAND_MODULES: readonly CommandModule[] = [
  { names: ['policy'], load: async () => (await import('./commands/policy.ts')).registerPolicy },
  { names: ['evaluate'], load: async () => (await import('./commands/evaluate.ts')).registerEvaluate },
  { names: ['local'], load: async () => (await import('./commands/local.ts')).registerLocal },
  {
    names: ['connections'],
    load: async () => (await import('./commands/connections.ts')).registerConnections,
  },
  { names: ['approve', 'deny'], load: async () => (await import('./commands/approve.ts')).registerApprove },
  { names: ['explain'], load: async () => (await import('./commands/explain.ts')).registerExplain },
  { names: ['history'], load: async () => (await import('./commands/history.ts')).registerHistory },
  { names: ['sweep'], load: async () => (await import('./commands/sweep.ts')).registerSweep },
  { names: ['fleet'], load: async () => (await import('./commands/fleet.ts')).registerFleet },
  { names: ['console'], load: async () => (await import('./commands/console.ts')).registerConsole },
  { names: ['invite', 'invites'], load: async () => (await import('./commands/invite.ts')).registerInvite },
  { names: ['register'], load: async () => (await import('./commands/register.ts')).registerRegister },
];

/**
 * The modules a command line needs: the one that registers its command; none for the
 * version alone; every one otherwise (help, no command, an unknown one, for commander's hints).
 */
export function modulesFor(argv: readonly string[]): readonly CommandModule[] {
  const [first] = argv;
  if (first === undefined) return COMMAND_MODULES;
  if (first === '-V' || first === '--version') return [];
  const own = COMMAND_MODULES.find((m) => m.names.includes(first));
  return own === undefined ? COMMAND_MODULES : [own];
}
