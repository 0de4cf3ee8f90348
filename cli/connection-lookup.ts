/** Finding connections the way the gate sees them, and judging them with the current rules. */

import type { Connection } from '../functions/core/connection.ts';
import { countAcceptedByAccount } from '../functions/core/decide.ts';
import type { DecisionRecord } from '../functions/core/decision-record.ts';
import { evaluate } from '../functions/core/evaluate.ts';
import type { EvaluationContext } from '../functions/core/evaluation-context.ts';
import type { RuleSet } from '../functions/core/rules/rule-set.ts';
import type { TargetAdapters } from './target-adapters.ts';

/** What finding and judging read: the managed services' connections (a hub's: its members'), organizations. */
type Lookup = Pick<TargetAdapters, 'endpointServices' | 'organizations'>;

export class ConnectionNotFoundError extends Error {
  override name = 'ConnectionNotFoundError';
}

/** A service named on the command line that the gate does not manage: a refusal (exit 1), not a usage error. */
export class ServiceNotManagedError extends Error {
  override name = 'ServiceNotManagedError';
  constructor(readonly serviceId: string) {
    super(
      `${serviceId} is not an endpoint service the gate manages: tag it privatelink-gate:managed=true first`,
    );
  }
}

/** The managed services to look at: the one named, or every one tagged managed. */
export async function servicesOf(adapters: Lookup, serviceId?: string): Promise<string[]> {
  if (serviceId) return [serviceId];
  return (await adapters.endpointServices.listManagedServices()).map((s) => s.serviceId).sort();
}

/** One endpoint's connection, on the service named or on any managed service. */
export async function findConnection(
  adapters: Lookup,
  endpointId: string,
  serviceId?: string,
): Promise<Connection> {
  for (const id of await servicesOf(adapters, serviceId)) {
    const [found] = await adapters.endpointServices.describeConnections(id, { endpointIds: [endpointId] });
    if (found) return found;
  }
  throw new ConnectionNotFoundError(
    `${endpointId} is not a connection of ${serviceId ?? 'any managed service (tagged privatelink-gate:managed=true)'}`,
  );
}

/**
 * The context the gate would evaluate each connection with: accepted endpoints of its
 * account on its service from the same data, organizations when looked up.
 */
export async function judge(
  adapters: Lookup,
  connections: readonly Connection[],
  ruleSet: RuleSet,
  options: {
    now?: Date;
    allOfTheirServices?: readonly Connection[];
    /** The gate's region (GateTarget.region): the services' region, as the gate judges them. */
    region?: string | undefined;
  } = {},
): Promise<{ connection: Connection; context: EvaluationContext; record: DecisionRecord }[]> {
  const now = options.now ?? new Date();
  const accepted = new Map<string, Map<string, number>>();
  for (const serviceId of new Set(connections.map((c) => c.serviceId))) {
    // The caller may already hold every connection of the services: no second read then.
    const all =
      options.allOfTheirServices?.filter((c) => c.serviceId === serviceId) ??
      (await adapters.endpointServices.describeConnections(serviceId));
    accepted.set(serviceId, countAcceptedByAccount(all));
  }
  const region = options.region;
  const judged = [];
  for (const connection of connections) {
    const live = connection.state === 'pending' || connection.state === 'available' ? 1 : 0;
    const context: EvaluationContext = {
      now,
      liveEndpoints: Math.max(0, (accepted.get(connection.serviceId)?.get(connection.account) ?? 0) - live),
      ...(region ? { serviceRegion: region } : {}),
    };
    const organization = await adapters.organizations?.pathOf(connection.account);
    if (organization) context.organization = organization;
    judged.push({ connection, context, record: evaluate(connection, context, ruleSet) });
  }
  return judged;
}
