/**
 * `plgate sweep`: one sweep now, as the sweep function runs it (functions/gate/sweep.ts). In a
 * fleet's hub it sweeps every member's managed services through the members' EC2, as the
 * hub's sweep does (fleet-members.ts), and says which member each service is in.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { decideDepsOf } from '../../functions/aws/gate-adapters.ts';
import { sweep } from '../../functions/gate/sweep.ts';
import { serviceIdOption } from '../arguments.ts';
import { ServiceNotManagedError } from '../connection-lookup.ts';
import { EXIT } from '../exit.ts';
import { withFleetTarget } from '../fleet-members.ts';
import { type FleetFlags, withFleetOptions } from '../fleet-settings.ts';
import type { TargetFlags } from '../gate-target.ts';
import { printJson, printLine, printTable, progress } from '../output.ts';
import { targetAdapters } from '../target-adapters.ts';
import { withTargetOptions } from '../target-options.ts';

interface SweepFlags extends TargetFlags, FleetFlags {
  service?: string;
  json?: boolean;
}

export function registerSweep(program: Command): void {
  const command = withTargetOptions(
    program
      .command('sweep')
      .description(
        "run one sweep now (a hub's: of every member's services): enroll, decide what waits, expire, find drift; print what it did",
      )
      .option('--service <id>', 'sweep only this service')
      .option('--json', 'print the sweep report as JSON'),
  );
  withFleetOptions(command).action(async (flags: SweepFlags) => {
    const serviceIds = flags.service ? [serviceIdOption(flags.service)] : undefined;
    const { report, places, unswept } = await withFleetTarget(flags, 'plgate-sweep', async (target) => {
      const adapters = targetAdapters(target);
      if (serviceIds) {
        const managed = new Set(
          (await adapters.endpointServices.listManagedServices()).map((s) => s.serviceId),
        );
        const unmanaged = serviceIds.find((id) => !managed.has(id));
        if (unmanaged) throw new ServiceNotManagedError(unmanaged);
      }
      progress('sweeping…');
      const report = await sweep(serviceIds ? { serviceIds } : {}, {
        ...decideDepsOf(adapters, `plgate-cli-${randomUUID()}`, {
          ...(target.region ? { region: target.region } : {}),
        }),
        rules: adapters.rules,
        rulesWriter: adapters.rulesStore,
        ingestTopicArn: target.config.ingestTopicArn,
        // A CLI run has no Lambda deadline: it pages through to the end.
        remainingMs: () => Number.POSITIVE_INFINITY,
      });
      const fleet = target.fleet?.endpointServices;
      return {
        report,
        // In a hub, the member each service is in (a stack of one's have no place).
        places: fleet
          ? new Map(report.services.map((s) => [s.serviceId, fleet.placeOf(s.serviceId)]))
          : undefined,
        // Members the sweep could not list: their services were not swept.
        unswept: (fleet?.listings() ?? []).flatMap((listing) => (listing.ok ? [] : [listing])),
      };
    });
    for (const member of unswept) {
      process.stderr.write(
        `plgate: member ${member.account} ${member.region} not swept: ${member.reason} (see plgate fleet)\n`,
      );
    }
    if (unswept.length > 0) process.exitCode = EXIT.failure;
    // Exit 1 when any action failed: the sweep did not get those endpoints where it meant to.
    const failed = report.services.flatMap((s) => s.entries).filter((e) => e.outcome === 'failed');
    for (const entry of failed) {
      process.stderr.write(
        `plgate: ${entry.endpointId} on ${entry.serviceId}: ${entry.action} failed: ${entry.error?.code ?? '?'}: ${entry.error?.message ?? ''}\n`,
      );
    }
    if (failed.length > 0) process.exitCode = EXIT.failure;
    if (flags.json) {
      printJson(
        places
          ? {
              ...report,
              services: report.services.map((s) => ({
                ...s,
                serviceAccount: places.get(s.serviceId)?.account,
                serviceRegion: places.get(s.serviceId)?.region,
              })),
            }
          : report,
      );
      return;
    }
    if (report.services.length === 0) {
      printLine('no managed services (tag a service privatelink-gate:managed=true)');
      return;
    }
    const member = (serviceId: string): string[] => {
      if (!places) return [];
      const place = places.get(serviceId);
      return [`${place?.account ?? '?'} ${place?.region ?? '?'}`];
    };
    printTable(
      ['service', ...(places ? ['member'] : []), 'mode', 'enrolled', 'connections', 'waiting', 'decisions'],
      report.services.map((s) => [
        s.serviceId,
        ...member(s.serviceId),
        s.mode,
        s.enrolled.join(', ') || '-',
        String(s.connections),
        String(s.waiting),
        summarize(s.entries.map((e) => (e.dryRun ? `would be ${e.outcome}` : e.outcome))) || '-',
      ]),
    );
  });
}

function summarize(outcomes: string[]): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  return [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
}
