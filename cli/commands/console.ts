import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { FleetSettings } from '../../functions/shared/config.ts';
import { UsageError } from '../exit.ts';
import { memberClientOptions, stderrWarnings, withFleetMembers } from '../fleet-members.ts';
import { type FleetFlags, fleetOf, withFleetOptions } from '../fleet-settings.ts';
import { resolveTarget, type TargetFlags } from '../gate-target.ts';
import { printLine } from '../output.ts';
import { withTargetOptions } from '../target-options.ts';

interface ConsoleFlags extends TargetFlags, FleetFlags {
  port: string;
  readOnly?: boolean;
  open?: boolean;
}

export function registerConsole(program: Command): void {
  const command = withTargetOptions(
    program
      .command('console')
      .description(
        'serve the web console on 127.0.0.1: requests, ledger, services and rules, live; approve and deny',
      )
      .option('--port <port>', 'port on 127.0.0.1; 0 takes a free one', '0')
      .option('--read-only', 'show everything, offer and accept no action')
      .option('--open', 'open the console in the default browser'),
  );
  withFleetOptions(command).action(async (flags: ConsoleFlags) => {
    const port = Number(flags.port);
    if (!/^\d+$/.test(flags.port) || port > 65_535) {
      throw new UsageError(`--port must be a port number from 0 to 65535, got '${flags.port}'`);
    }
    // A hub's console shows its members' requests and a Fleet page, found as `plgate fleet` finds them.
    const resolved = await resolveTarget(flags);
    let fleet: FleetSettings | undefined;
    try {
      fleet = fleetOf(flags, process.env, resolved.stackOutputs);
    } catch (error) {
      resolved.close();
      throw error;
    }
    const target = withFleetMembers(resolved, fleet, {
      sessionName: 'plgate-console',
      clientOptions: memberClientOptions(),
      organizations: resolved.clients.organizations,
      warnings: stderrWarnings,
    });
    // Loaded here: every other command starts faster without the console's server.
    const { startConsole } = await import('../../console/server/server.ts');
    const region = target.region;
    let running: Awaited<ReturnType<typeof startConsole>>;
    try {
      running = await startConsole({
        target,
        port,
        readOnly: flags.readOnly === true,
        ...(region ? { region } : {}),
        log: (line) => process.stderr.write(`plgate: ${line}\n`),
      });
    } catch (error) {
      target.close();
      if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
        throw new Error(`port ${port} on 127.0.0.1 is in use; choose another with --port`, { cause: error });
      }
      throw error;
    }
    printLine(`console: ${running.url}`);
    printLine(
      `acting as ${running.actor}${flags.readOnly ? ' (read-only: no action)' : ''}; the URL holds this run's token, keep it to yourself. Ctrl-C stops it.`,
    );
    if (flags.open) openBrowser(running.url);
    await new Promise<void>((done) => {
      process.once('SIGINT', () => done());
      process.once('SIGTERM', () => done());
    });
    await running.stop();
    target.close();
  });
}

/** The platform's own opener; when there is none, the printed URL is enough. */
function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  const child = spawn(command, args, { detached: true, stdio: 'ignore' });
  child.on('error', () =>
    process.stderr.write(`plgate: could not open a browser (${command}); open the URL above\n`),
  );
  child.unref();
}
