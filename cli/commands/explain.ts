import type { Command } from 'commander';
import { explainConnection, type NearMiss, type RuleVerdict } from '../../functions/core/rule-verdicts.ts';
import { colors } from '../../terminal/colors.ts';
import { endpointIdArgument, serviceIdOption } from '../arguments.ts';
import { findConnection, judge } from '../connection-lookup.ts';
import { withFleetTarget } from '../fleet-members.ts';
import { type FleetFlags, withFleetOptions } from '../fleet-settings.ts';
import type { TargetFlags } from '../gate-target.ts';
import { printJson, printLine, printTable } from '../output.ts';
import { targetAdapters } from '../target-adapters.ts';
import { withTargetOptions } from '../target-options.ts';

interface ExplainFlags extends TargetFlags, FleetFlags {
  service?: string;
  all?: boolean;
  json?: boolean;
}

export function registerExplain(program: Command): void {
  const command = withTargetOptions(
    program
      .command('explain')
      .description(
        'the decision the current rules give an endpoint, and every rule that matched or nearly matched',
      )
      .argument('<endpoint>', 'the endpoint id (vpce-…)')
      .option(
        '--service <id>',
        'the service the endpoint connects to (default: look in every managed service)',
      )
      .option('--all', 'show every rule, not only those that matched or nearly matched')
      .option('--json', 'print the decision and every rule verdict as JSON'),
  );
  withFleetOptions(command).action(async (endpoint: string, flags: ExplainFlags) => {
    const endpointId = endpointIdArgument(endpoint);
    const serviceId = flags.service ? serviceIdOption(flags.service) : undefined;
    const { connection, explanation } = await withFleetTarget(flags, 'plgate-explain', async (target) => {
      const adapters = targetAdapters(target);
      const found = await findConnection(adapters, endpointId, serviceId);
      const { ruleSet } = await adapters.rules.current();
      const [judged] = await judge(adapters, [found], ruleSet, { region: target.region });
      if (!judged) throw new Error(`${endpointId} could not be judged`);
      return { connection: found, explanation: explainConnection(found, judged.context, ruleSet) };
    });
    if (flags.json) {
      printJson({ connection, ...explanation });
      return;
    }
    const { record } = explanation;
    printLine(
      `${colors().bold(endpointId)} (account ${connection.account}, ${connection.state}) on ${connection.serviceId}: ` +
        `${colors().bold(record.decision)}${record.rule ? ` by rule ${record.rule}` : record.default ? ' (default)' : ''}`,
    );
    for (const reason of record.reasons) printLine(`  • ${reason}`);
    // Invalid items are shown too: they hold requests (undetermined reject rules). Matches
    // and invalid items first, then the near misses, nearest first, then (--all) the rest.
    const near = new Map(explanation.nearMisses.map((miss) => [miss.id, miss]));
    const first = explanation.rules.filter((r) => r.verdict === 'match' || r.verdict === 'invalid');
    const nearly = explanation.nearMisses.flatMap((miss) =>
      explanation.rules.filter((r) => r.id === miss.id),
    );
    const rest = flags.all ? explanation.rules.filter((r) => !first.includes(r) && !near.has(r.id)) : [];
    const shown = [...first, ...nearly, ...rest];
    printLine();
    if (shown.length === 0) {
      printLine('no rule matched or nearly matched (use --all to see every rule)');
      return;
    }
    printTable(
      ['rule', 'effect', 'verdict', 'why'],
      shown.map((r) => {
        const miss = near.get(r.id);
        return [
          r.id,
          r.effect,
          miss ? `nearly (${r.verdict})` : r.verdict,
          miss ? `${why(r)}; ${missText(miss)}` : why(r),
        ];
      }),
    );
  });
}

/** How near a near miss was, and what stopped it. */
function missText(miss: NearMiss): string {
  const stopped =
    miss.failed.length > 0
      ? `failed: ${miss.failed.join(', ')}`
      : `undetermined: ${miss.undetermined.join(', ') || 'its data'}`;
  return `${miss.held} of ${miss.of} conditions held, ${stopped}`;
}

/** Each condition's verdict; what a failing or undetermined one saw, in brackets. */
function why(verdict: RuleVerdict): string {
  if (verdict.inactive) return verdict.inactive;
  if (verdict.verdict === 'invalid') {
    return `invalid item, undetermined: holds requests for review: ${verdict.conditions[0]?.detail ?? '?'}`;
  }
  return (
    verdict.conditions
      .map((c) =>
        c.holds === true
          ? `${c.condition} holds`
          : `${c.condition} ${c.holds === false ? 'does not hold' : 'undetermined'} (${c.detail})`,
      )
      .join(', ') || 'no conditions: matches every connection'
  );
}
