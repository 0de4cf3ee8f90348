/**
 * `plgate` loads only the module of the command it runs: the table that says which module
 * registers which commands must say what the modules really register.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES, modulesFor } from '../../../cli/command-modules.ts';
import { buildProgram } from '../../../cli/main.ts';

describe('the command modules', () => {
  it.each(COMMAND_MODULES.map((m) => ({ names: m.names.join(', '), module: m })))(
    'the module of $names registers those commands and no other',
    async ({ module }) => {
      const program = new Command('plgate');
      (await module.load())(program);
      expect(program.commands.map((c) => c.name())).toEqual([...module.names]);
    },
  );

  it('every command of the program, in the order of its help', async () => {
    const program = await buildProgram();
    expect(program.commands.map((c) => c.name())).toEqual(COMMAND_MODULES.flatMap((m) => m.names));
  });

  it("a command line loads its command's module; the version none; help, nothing or an unknown command all", () => {
    const names = (argv: string[]) => modulesFor(argv).flatMap((m) => m.names);
    expect(names(['deny', 'vpce-0123456789abcdef0'])).toEqual(['approve', 'deny']);
    expect(names(['invites', 'revoke', 'x'])).toEqual(['invite', 'invites']);
    expect(names(['--version'])).toEqual([]);
    expect(names(['-V'])).toEqual([]);
    const all = COMMAND_MODULES.flatMap((m) => m.names);
    expect(names([])).toEqual(all);
    expect(names(['--help'])).toEqual(all);
    expect(names(['help', 'fleet'])).toEqual(all);
    expect(names(['flet'])).toEqual(all);
  });
});
