import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { createGateAdapters, decideDepsOf } from '../../functions/aws/gate-adapters.ts';
import { sweep } from '../../functions/gate/sweep.ts';
import { serviceIdOption } from '../arguments.ts';
import { ServiceNotManagedError } from '../connection-lookup.ts';
import { EXIT } from '../exit.ts';
import { type TargetFlags, withTarget, withTargetOptions } from '../gate-target.ts';
import { printJson, printLine, printTable, progress } from '../output.ts';

interface SweepFlags extends TargetFlags {
  service?: string;
  json?: boolean;
}

export function registerSweep(program: Command): void {
  withTargetOptions(
    program
      .command('sweep')
      .description('run one sweep now: enroll, decide what waits, expire, find drift; print what it did')
      .option('--service <id>', 'sweep only this service')
      .option('--json', 'print the sweep report as JSON'),
  ).action(async (flags: SweepFlags) => {
    const serviceIds = flags.service ? [serviceIdOption(flags.service)] : undefined;
    const report = await withTarget(flags, async (target) => {
      const adapters = createGateAdapters(target.config, target.clients);
      if (serviceIds) {
        const managed = new Set(
          (await adapters.endpointServices.listManagedServices()).map((s) => s.serviceId),
        );
        const unmanaged = serviceIds.find((id) => !managed.has(id));
        if (unmanaged) throw new ServiceNotManagedError(unmanaged);
      }
      progress('sweeping…');
      return sweep(serviceIds ? { serviceIds } : {}, {
        ...decideDepsOf(adapters, `plgate-cli-${randomUUID()}`, {
          ...(target.region ? { region: target.region } : {}),
        }),
        rules: adapters.rules,
        rulesWriter: adapters.rulesStore,
        ingestTopicArn: target.config.ingestTopicArn,
        // A CLI run has no Lambda deadline: it pages through to the end.
        remainingMs: () => Number.POSITIVE_INFINITY,
      });
    });
    // Exit 1 when any action failed: the sweep did not get those endpoints where it meant to.
    const failed = report.services.flatMap((s) => s.entries).filter((e) => e.outcome === 'failed');
    for (const entry of failed) {
      process.stderr.write(
        `plgate: ${entry.endpointId} on ${entry.serviceId}: ${entry.action} failed: ${entry.error?.code ?? '?'}: ${entry.error?.message ?? ''}\n`,
      );
    }
    if (failed.length > 0) process.exitCode = EXIT.failure;
    if (flags.json) {
      printJson(report);
      return;
    }
    if (report.services.length === 0) {
      printLine('no managed services (tag a service privatelink-gate:managed=true)');
      return;
    }
    printTable(
      ['service', 'mode', 'enrolled', 'connections', 'waiting', 'decisions'],
      report.services.map((s) => [
        s.serviceId,
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
