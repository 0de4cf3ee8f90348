import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { RuleFilesNotFoundError } from '../functions/core/rules/load-rule-files.ts';
import { COMMAND_MODULES, type CommandModule, modulesFor } from './command-modules.ts';
import { hintFor } from './error-hints.ts';
import { EXIT, UsageError } from './exit.ts';

/** The version of this package: what `npm ls` and a bug report name. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * Builds the `plgate` program with the commands of these modules (default: every one). Each
 * command lives in its own file under commands/ (command-modules.ts says which).
 */
export async function buildProgram(modules: readonly CommandModule[] = COMMAND_MODULES): Promise<Command> {
  const program = new Command('plgate')
    .description('privatelink-gate: rule-driven acceptance of AWS PrivateLink connection requests')
    .version(VERSION, '-V, --version', 'print the version of plgate')
    .showHelpAfterError()
    // A command's options are its own, wherever they stand (see invites and invites revoke).
    .enablePositionalOptions()
    .exitOverride();
  const registers = await Promise.all(modules.map((m) => m.load()));
  for (const register of registers) register(program);
  return program;
}

/** Runs the CLI and returns its exit code: 0 ok, 1 failure or invalid input, 2 usage. */
export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(modulesFor(argv));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; everything else commander throws is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError || error instanceof RuleFilesNotFoundError) {
      process.stderr.write(`plgate: ${error.message}\n`);
      return EXIT.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`plgate: ${message}\n`);
    const hint = hintFor(error);
    if (hint) process.stderr.write(`hint: ${hint}\n`);
    return EXIT.failure;
  }
}
