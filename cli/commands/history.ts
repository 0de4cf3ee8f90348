import type { Command } from 'commander';
import { createGateAdapters } from '../../functions/aws/gate-adapters.ts';
import { MAX_HISTORY_LIMIT } from '../../functions/aws/ledger.ts';
import { decidedBy } from '../../functions/gate/ledger-entry.ts';
import type { HistoryQuery } from '../../functions/gate/ports.ts';
import { OUTCOME_STYLE } from '../../terminal/outcome-style.ts';
import { accountOption, endpointIdArgument, positiveInteger, serviceIdOption } from '../arguments.ts';
import { parseDuration } from '../duration.ts';
import { UsageError } from '../exit.ts';
import { type TargetFlags, withTarget } from '../gate-target.ts';
import { printJson, printLine, printTable } from '../output.ts';
import { withTargetOptions } from '../target-options.ts';

interface HistoryFlags extends TargetFlags {
  service?: string;
  account?: string;
  since?: string;
  limit?: string;
  json?: boolean;
  serviceAccount?: string;
  serviceRegion?: string;
}

/**
 * Fleets: whether an entry's service is in the member account and region asked for. Entries
 * of a stack of one (and of releases before fleets) carry neither and match neither filter.
 */
export function entryInServicePlace(
  entry: { serviceAccount?: string; serviceRegion?: string },
  filter: { serviceAccount?: string; serviceRegion?: string },
): boolean {
  if (filter.serviceAccount !== undefined && entry.serviceAccount !== filter.serviceAccount) return false;
  if (filter.serviceRegion !== undefined && entry.serviceRegion !== filter.serviceRegion) return false;
  return true;
}

export function registerHistory(program: Command): void {
  withTargetOptions(
    program
      .command('history')
      .description('what the gate did, from the ledger, newest first')
      .argument('[endpoint]', 'an endpoint id (vpce-…)')
      .option('--service <id>', 'every endpoint of a service')
      .option('--account <id>', 'every endpoint of a consumer account')
      .option('--since <duration>', 'only entries this recent (e.g. 30m, 7d, PT30M, P7D)')
      .option('--limit <n>', 'at most this many entries', '100')
      .option(
        '--service-account <id>',
        "fleets: only entries of services in this member account (the service's)",
      )
      .option('--service-region <region>', 'fleets: only entries of services in this region')
      .option('--json', 'print the entries as JSON'),
  ).action(async (endpoint: string | undefined, flags: HistoryFlags) => {
    const selectors = [endpoint, flags.service, flags.account].filter((s) => s !== undefined);
    if (selectors.length !== 1) {
      throw new UsageError('give exactly one of: an endpoint id, --service ID, --account ID');
    }
    const limit = positiveInteger('--limit', flags.limit ?? '100', MAX_HISTORY_LIMIT);
    const since = flags.since ? new Date(Date.now() - parseDuration('--since', flags.since)) : undefined;
    const scope = { limit, ...(since ? { since } : {}) };
    const query: HistoryQuery = endpoint
      ? { endpointId: endpointIdArgument(endpoint), ...scope }
      : flags.service
        ? { serviceId: serviceIdOption(flags.service), ...scope }
        : { account: accountOption(flags.account ?? ''), ...scope };

    const entries = (
      await withTarget(flags, (target) =>
        createGateAdapters(target.config, target.clients).ledger.history(query),
      )
    ).filter((entry) => entryInServicePlace(entry, flags));
    if (flags.json) {
      printJson(entries);
      return;
    }
    if (entries.length === 0) {
      printLine('no ledger entries');
      return;
    }
    printTable(
      ['at', 'endpoint', 'account', 'trigger', 'outcome', 'decided by', 'reason', 'reasons'],
      entries.map((e) => [
        e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
        e.endpointId,
        e.account,
        e.trigger,
        { text: e.dryRun ? `would be ${e.outcome}` : e.outcome, style: OUTCOME_STYLE[e.outcome] },
        decidedBy(e),
        e.reason ?? '-',
        e.reasons.join('; '),
      ]),
    );
  });
}
