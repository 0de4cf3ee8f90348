import type { Command } from 'commander';
import { normalizeState } from '../../functions/core/connection.ts';
import { settingsFor } from '../../functions/core/rules/settings.ts';
import { serviceIdOption } from '../arguments.ts';
import { judge, servicesOf } from '../connection-lookup.ts';
import { UsageError } from '../exit.ts';
import { withFleetTarget } from '../fleet-members.ts';
import { type FleetFlags, withFleetOptions } from '../fleet-settings.ts';
import type { TargetFlags } from '../gate-target.ts';
import { age, printJson, printLine, printTable, progress } from '../output.ts';
import { targetAdapters } from '../target-adapters.ts';
import { withTargetOptions } from '../target-options.ts';

interface ConnectionsFlags extends TargetFlags, FleetFlags {
  service?: string;
  state?: string;
  all?: boolean;
  json?: boolean;
  serviceAccount?: string;
  serviceRegion?: string;
}

/** Gone for good: kept by EC2 for a while, of no interest unless asked for. */
const GONE = 'deleted';

/**
 * Whether a connection's service is in the member account and region asked for. A connection
 * read without a place (a stack of one) lives where the CLI reads EC2: its region is the
 * client's, its account is not known here and never matches a --service-account.
 */
export function inServicePlace(
  connection: { serviceAccount?: string; serviceRegion?: string },
  flags: Pick<ConnectionsFlags, 'serviceAccount' | 'serviceRegion'>,
  clientRegion: string,
): boolean {
  if (flags.serviceAccount !== undefined && connection.serviceAccount !== flags.serviceAccount) return false;
  if (flags.serviceRegion === undefined) return true;
  return (connection.serviceRegion ?? clientRegion) === flags.serviceRegion;
}

export function registerConnections(program: Command): void {
  const command = withTargetOptions(
    program
      .command('connections')
      .description(
        'what the gate sees: every connection of the managed services, with the decision the current rules give',
      )
      .option('--service <id>', 'only this service')
      .option('--state <state>', 'only connections in this state (e.g. pendingAcceptance, available)')
      .option('--all', 'include deleted endpoints')
      .option(
        '--service-account <id>',
        "fleets: only services in this member account (the service's, not the consumer's)",
      )
      .option('--service-region <region>', 'fleets: only services in this region')
      .option('--json', 'print connections and decisions as JSON'),
  );
  withFleetOptions(command).action(async (flags: ConnectionsFlags) => {
    const serviceId = flags.service ? serviceIdOption(flags.service) : undefined;
    let state: string | undefined;
    try {
      state = flags.state ? normalizeState(flags.state) : undefined;
    } catch {
      throw new UsageError(
        `--state must be a connection state such as pendingAcceptance or available, got '${flags.state}'`,
      );
    }
    const { judged, fleet } = await withFleetTarget(flags, 'plgate-connections', async (target) => {
      const adapters = targetAdapters(target);
      const { ruleSet } = await adapters.rules.current();
      const connections = [];
      for (const id of await servicesOf(adapters, serviceId)) {
        progress(`reading connections of ${id}…`);
        for (const connection of await adapters.endpointServices.describeConnections(id)) {
          connections.push(connection);
        }
      }
      const clientRegion = await target.clients.ec2.config.region();
      const shown = connections.filter(
        (c) =>
          (state ? c.state === state : flags.all === true || c.state !== GONE) &&
          inServicePlace(c, flags, clientRegion),
      );
      const judged = await judge(adapters, shown, ruleSet, {
        allOfTheirServices: connections,
        region: target.region,
      });
      return {
        judged: judged.map((row) => ({ ...row, mode: settingsFor(ruleSet, row.connection.serviceId).mode })),
        fleet: target.fleet !== undefined,
      };
    });
    if (flags.json) {
      printJson(judged.map(({ connection, record, mode }) => ({ ...connection, mode, decision: record })));
      return;
    }
    if (judged.length === 0) {
      printLine('no connections');
      return;
    }
    // A hub's connections say which member's service they are on (where a stack of one has no column).
    const member = (c: { serviceAccount?: string; serviceRegion?: string }) =>
      fleet ? [`${c.serviceAccount ?? '?'} ${c.serviceRegion ?? '?'}`] : [];
    printTable(
      [
        'endpoint',
        'service',
        ...(fleet ? ['member'] : []),
        'mode',
        'account',
        'state',
        'age',
        'decision',
        'rule',
        'why',
      ],
      judged.map(({ connection, record, mode }) => [
        connection.endpointId,
        connection.serviceId,
        ...member(connection),
        mode,
        connection.account,
        connection.state,
        age(connection.createdAt),
        mode === 'enforce' ? record.decision : `${record.decision} (${mode})`,
        record.rule ?? '(default)',
        record.reasons[0] ?? '',
      ]),
    );
  });
}
