import type { Command } from 'commander';
import type { OperatorResult } from '../../functions/gate/operator.ts';
import { outcomeText } from '../../terminal/outcome-style.ts';
import { endpointIdArgument, serviceIdOption } from '../arguments.ts';
import { EXIT } from '../exit.ts';
import { withFleetTarget } from '../fleet-members.ts';
import { type FleetFlags, withFleetOptions } from '../fleet-settings.ts';
import type { TargetFlags } from '../gate-target.ts';
import { decideAsOperator } from '../operator-action.ts';
import { printJson, printLine } from '../output.ts';
import { withTargetOptions } from '../target-options.ts';

interface ApproveFlags extends TargetFlags, FleetFlags {
  service?: string;
  reason?: string;
  json?: boolean;
}

const DESCRIPTION = {
  approve:
    'accept one pending request now, whatever holds it for review; refused when a reject rule matches it',
  deny: 'reject one endpoint now, pending or already accepted',
} as const;

export function registerApprove(program: Command): void {
  for (const action of ['approve', 'deny'] as const) {
    const command = withTargetOptions(
      program
        .command(action)
        .description(DESCRIPTION[action])
        .argument('<endpoint>', 'the endpoint id (vpce-…)')
        .option(
          '--service <id>',
          'the service the endpoint connects to (default: look in every managed service)',
        )
        .option('--reason <text>', 'why, kept in the ledger with who decided')
        .option('--json', 'print the result as JSON'),
    );
    withFleetOptions(command).action(async (endpoint: string, flags: ApproveFlags) => {
      const endpointId = endpointIdArgument(endpoint);
      const serviceId = flags.service ? serviceIdOption(flags.service) : undefined;
      const result = await withFleetTarget(flags, `plgate-${action}`, (target) =>
        decideAsOperator(
          target,
          {
            action,
            endpointId,
            ...(serviceId ? { serviceId } : {}),
            ...(flags.reason ? { reason: flags.reason } : {}),
          },
          { onWait: (message) => process.stderr.write(`plgate: ${message}\n`) },
        ),
      );
      if (flags.json) printJson(result);
      else printResult(result);
      // 0 only when the endpoint is where it was asked to be; the reason otherwise on stderr.
      if (result.status === 'done' || result.status === 'already') return;
      if (!flags.json) process.stderr.write(`plgate: ${result.message}\n`);
      process.exitCode = EXIT.failure;
    });
  }
}

function printResult(result: OperatorResult): void {
  if (result.status !== 'done' && result.status !== 'already') return;
  for (const entry of result.entries) {
    printLine(`${entry.endpointId}: ${outcomeText(entry.outcome, entry.dryRun)} — ${entry.reasons[0] ?? ''}`);
  }
  if (result.entries.length === 0) printLine(result.message);
}
