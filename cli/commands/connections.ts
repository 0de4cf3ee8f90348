import type { Command } from 'commander';
import { createGateAdapters } from '../../functions/aws/gate-adapters.ts';
import { normalizeState } from '../../functions/core/connection.ts';
import { settingsFor } from '../../functions/core/rules/settings.ts';
import { serviceIdOption } from '../arguments.ts';
import { judge, servicesOf } from '../connection-lookup.ts';
import { UsageError } from '../exit.ts';
import { type TargetFlags, withTarget, withTargetOptions } from '../gate-target.ts';
import { age, printJson, printLine, printTable, progress } from '../output.ts';

interface ConnectionsFlags extends TargetFlags {
  service?: string;
  state?: string;
  all?: boolean;
  json?: boolean;
}

/** Gone for good: kept by EC2 for a while, of no interest unless asked for. */
const GONE = 'deleted';

export function registerConnections(program: Command): void {
  withTargetOptions(
    program
      .command('connections')
      .description(
        'what the gate sees: every connection of the managed services, with the decision the current rules give',
      )
      .option('--service <id>', 'only this service')
      .option('--state <state>', 'only connections in this state (e.g. pendingAcceptance, available)')
      .option('--all', 'include deleted endpoints')
      .option('--json', 'print connections and decisions as JSON'),
  ).action(async (flags: ConnectionsFlags) => {
    const serviceId = flags.service ? serviceIdOption(flags.service) : undefined;
    let state: string | undefined;
    try {
      state = flags.state ? normalizeState(flags.state) : undefined;
    } catch {
      throw new UsageError(
        `--state must be a connection state such as pendingAcceptance or available, got '${flags.state}'`,
      );
    }
    const judged = await withTarget(flags, async (target) => {
      const adapters = createGateAdapters(target.config, target.clients);
      const { ruleSet } = await adapters.rules.current();
      const connections = [];
      for (const id of await servicesOf(adapters, serviceId)) {
        progress(`reading connections of ${id}…`);
        for (const connection of await adapters.endpointServices.describeConnections(id)) {
          connections.push(connection);
        }
      }
      const shown = connections.filter((c) =>
        state ? c.state === state : flags.all === true || c.state !== GONE,
      );
      const judged = await judge(adapters, shown, ruleSet, {
        allOfTheirServices: connections,
        region: target.region,
      });
      return judged.map((row) => ({ ...row, mode: settingsFor(ruleSet, row.connection.serviceId).mode }));
    });
    if (flags.json) {
      printJson(judged.map(({ connection, record, mode }) => ({ ...connection, mode, decision: record })));
      return;
    }
    if (judged.length === 0) {
      printLine('no connections');
      return;
    }
    printTable(
      ['endpoint', 'service', 'mode', 'account', 'state', 'age', 'decision', 'rule', 'why'],
      judged.map(({ connection, record, mode }) => [
        connection.endpointId,
        connection.serviceId,
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
