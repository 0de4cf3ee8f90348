import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { createGateAdapters, decideDepsOf } from '../../functions/aws/gate-adapters.ts';
import { sweep } from '../../functions/gate/sweep.ts';
import { serviceIdOption } from '../arguments.ts';
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
      progress('sweeping…');
      return sweep(serviceIds ? { serviceIds } : {}, {
        ...decideDepsOf(adapters, `plgate-cli-${randomUUID()}`, {
          ...(process.env.AWS_REGION ? { region: process.env.AWS_REGION } : {}),
        }),
        rules: adapters.rules,
        rulesWriter: adapters.rulesStore,
        ingestTopicArn: target.config.ingestTopicArn,
        // A CLI run has no Lambda deadline: it pages through to the end.
        remainingMs: () => Number.POSITIVE_INFINITY,
      });
    });
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
