/**
 * `plgate fleet`: each member account and region of the hub's fleet, as the hub would find it
 * now (cli/fleet-status.ts says what each row holds; the console's Fleet page shows the same).
 * The live checks run with the caller's credentials, which the spoke roles trust when the stack
 * config names the caller among `fleet.operators`; the recorded health is what the hub's own functions found. The
 * members are the listed ones and, with organizational units, every active account of the
 * units (Organizations, with the caller's credentials) in the fleet's regions, as the hub has them.
 * The fleet is found once the gate is (fleet-settings.ts): a hub's stack outputs say it.
 */
import type { Command } from 'commander';
import { EXIT } from '../exit.ts';
import { memberClientOptions, reachFleet, stderrWarnings } from '../fleet-members.ts';
import { type FleetFlags, fleetOf, hasMembers, withFleetOptions } from '../fleet-settings.ts';
import { MEMBER_COLUMNS, memberCells } from '../fleet-status.ts';
import { type TargetFlags, withTarget } from '../gate-target.ts';
import { printJson, printLine, printTable, progress } from '../output.ts';
import { withTargetOptions } from '../target-options.ts';

interface FleetCommandFlags extends TargetFlags, FleetFlags {
  json?: boolean;
}

export function registerFleet(program: Command): void {
  withTargetOptions(
    withFleetOptions(
      program
        .command('fleet')
        .description(
          "the hub's fleet: each member account and region, whether the hub can act there, what waits",
        ),
    ).option('--json', 'print the rows as JSON'),
  ).action(async (flags: FleetCommandFlags) => {
    const rows = await withTarget(flags, async (target) => {
      const fleet = fleetOf(flags, process.env, target.stackOutputs);
      if (!hasMembers(fleet)) return undefined;
      const members = reachFleet(target, fleet, {
        sessionName: 'plgate-fleet',
        clientOptions: memberClientOptions(),
        organizations: target.clients.organizations,
        warnings: stderrWarnings,
      });
      if (fleet.organizationalUnits.length > 0) progress("listing the organizational units' accounts…");
      try {
        return await members.status((member) => progress(`checking ${member.account} ${member.region}…`));
      } finally {
        members.close();
      }
    });
    if (rows === undefined) {
      if (flags.json) printJson({ fleet: false, members: [] });
      else printLine('no fleet configured: this gate manages its own account and region (a stack of one)');
      return;
    }
    if (rows.some((row) => !row.healthy)) process.exitCode = EXIT.failure;
    if (flags.json) {
      printJson({ fleet: true, members: rows });
      return;
    }
    printTable(
      [...MEMBER_COLUMNS],
      rows.map((row) => {
        const cells = memberCells(row);
        return MEMBER_COLUMNS.map((column) => cells[column]);
      }),
    );
  });
}
