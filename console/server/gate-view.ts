/**
 * What the console shows of a gate, read through the same adapters and the same judging as
 * the commands (`plgate connections`, `explain`, `policy validate`): requests with today's
 * decision and near misses, services with their mode and connections by state, the rules in
 * force with their problems, and a what-if for any connection. In a fleet's hub the adapters
 * hold every member's services (cli/target-adapters.ts): each request says which member's
 * service it is on, and the Fleet page shows `plgate fleet`'s rows.
 */
import pLimit from 'p-limit';
import { judge } from '../../cli/connection-lookup.ts';
import { MEMBER_COLUMNS, type MemberCells } from '../../cli/fleet-status.ts';
import type { TargetAdapters } from '../../cli/target-adapters.ts';
import type { MemberListing } from '../../functions/aws/fleet-endpoint-services.ts';
import { type Connection, readConnection, type ServicePlace } from '../../functions/core/connection.ts';
import type { DecisionRecord } from '../../functions/core/decision-record.ts';
import { explainConnection, type NearMiss, type RuleVerdict } from '../../functions/core/rule-verdicts.ts';
import { openAcceptWarnings } from '../../functions/core/rules/open-accepts.ts';
import { formatProblem } from '../../functions/core/rules/problems.ts';
import type { RuleSet } from '../../functions/core/rules/rule-set.ts';
import { reviewTtlMs, settingsFor } from '../../functions/core/rules/settings.ts';

/** How many services are read from EC2 at once. */
const SERVICE_READS = 4;
/** Near misses shown with a request; `explain` has them all. */
const NEAR_MISSES_SHOWN = 3;

export interface RequestRow {
  endpointId: string;
  serviceId: string;
  account: string;
  region: string | null;
  /**
   * Where the service lives: the fleet member's account (null in a stack of one, where the
   * commands do not know it) and region (the gate's own in a stack of one), as
   * `plgate connections --service-account/--service-region` match them.
   */
  serviceAccount: string | null;
  serviceRegion: string | null;
  state: string;
  createdAt: string;
  tags: Record<string, string>;
  mode: string;
  decision: DecisionRecord['decision'];
  rule: string | null;
  default: boolean;
  /** An operator's approval or denial that decides it: `approve` / `deny`. */
  operator: 'approve' | 'deny' | null;
  reasons: string[];
  nearMisses: NearMiss[];
  /** When the gate rejects it as expired, if it is held for review in an enforcing service. */
  expiresAt: string | null;
}

export interface ServiceRow {
  serviceId: string;
  /** The fleet member the service is in; null in a stack of one (the gate's own account and region). */
  serviceAccount: string | null;
  serviceRegion: string | null;
  mode: string;
  held: string | null;
  pendingTtl: string;
  defaultEffect: string;
  onRevoke: string;
  /** Connections by state (deleted ones included: EC2 keeps them a while). */
  connections: Record<string, number>;
}

/**
 * A fleet's members: the hub's view of each (account, region) as `plgate fleet` reports it
 * (console/server/fleet-view.ts over cli/fleet-status.ts). The console shows a Fleet page when
 * the gate has one.
 */
export interface FleetView {
  members(): Promise<FleetMemberRow[]>;
}
export interface FleetMemberRow {
  account: string;
  region: string;
  healthy: boolean;
  /** `plgate fleet`'s cells for the member, in its words. */
  cells: MemberCells;
}

/** What the view reads: the managed services' connections (a hub's: every member's), the rules, organizations. */
export type GateViewAdapters = Pick<TargetAdapters, 'rules' | 'organizations'> & {
  /** A hub's (FleetEndpointServices) also says which member each service is in, and which members it could not list. */
  endpointServices: TargetAdapters['endpointServices'] & {
    placeOf?(serviceId: string): ServicePlace | undefined;
    listings?(): readonly MemberListing[];
  };
};

export class GateView {
  constructor(
    private readonly adapters: GateViewAdapters,
    private readonly options: { region?: string; fleet?: FleetView; now?: () => Date } = {},
  ) {}

  get hasFleet(): boolean {
    return this.options.fleet !== undefined;
  }

  /** `plgate fleet`'s columns and rows; none without a fleet. */
  async fleet(): Promise<{ columns: readonly string[]; members: FleetMemberRow[] }> {
    return { columns: MEMBER_COLUMNS, members: (await this.options.fleet?.members()) ?? [] };
  }

  /** The members the last listing could not read (their requests are not in the list), with why. */
  unlistedMembers(): { account: string; region: string; reason: string }[] {
    return (this.adapters.endpointServices.listings?.() ?? []).flatMap((listing) =>
      listing.ok ? [] : [{ account: listing.account, region: listing.region, reason: listing.reason }],
    );
  }

  async serviceIds(): Promise<string[]> {
    return (await this.adapters.endpointServices.listManagedServices()).map((s) => s.serviceId).sort();
  }

  /** Every connection of the managed services but deleted ones, judged as `plgate connections` judges them. */
  async requests(): Promise<RequestRow[]> {
    const { ruleSet } = await this.adapters.rules.current();
    const connections = await this.connectionsOf(await this.serviceIds());
    const shown = connections.filter((c) => c.state !== 'deleted');
    const now = this.now();
    const judged = await judge(this.adapters, shown, ruleSet, {
      now,
      allOfTheirServices: connections,
      region: this.options.region,
    });
    return judged.map(({ connection, context, record }) => {
      const settings = settingsFor(ruleSet, connection.serviceId);
      const { nearMisses } = explainConnection(connection, context, ruleSet);
      const waits =
        connection.state === 'pendingAcceptance' &&
        record.decision === 'review' &&
        settings.mode === 'enforce';
      return {
        endpointId: connection.endpointId,
        serviceId: connection.serviceId,
        account: connection.account,
        region: connection.region ?? null,
        serviceAccount: connection.serviceAccount ?? null,
        serviceRegion: connection.serviceRegion ?? this.options.region ?? null,
        state: connection.state,
        createdAt: connection.createdAt.toISOString(),
        tags: connection.tags,
        mode: settings.held ? 'held' : settings.mode,
        decision: record.decision,
        rule: record.rule,
        default: record.default,
        operator: record.operator?.decided ? record.operator.verdict : null,
        reasons: record.reasons,
        nearMisses: nearMisses.slice(0, NEAR_MISSES_SHOWN),
        expiresAt: waits
          ? new Date(connection.createdAt.getTime() + reviewTtlMs(ruleSet, record)).toISOString()
          : null,
      };
    });
  }

  /** What `plgate explain ENDPOINT --all` says, for the row a person opened. */
  async explain(endpointId: string, serviceId: string | undefined) {
    const services = serviceId ? [serviceId] : await this.serviceIds();
    for (const id of services) {
      const [found] = await this.adapters.endpointServices.describeConnections(id, {
        endpointIds: [endpointId],
      });
      if (found) return this.explainOne(found, (await this.adapters.rules.current()).ruleSet);
    }
    return undefined;
  }

  async services(): Promise<ServiceRow[]> {
    const { ruleSet } = await this.adapters.rules.current();
    const ids = await this.serviceIds();
    const connections = await this.connectionsOf(ids);
    return ids.map((serviceId) => {
      const settings = settingsFor(ruleSet, serviceId);
      const counts: Record<string, number> = {};
      for (const c of connections)
        if (c.serviceId === serviceId) counts[c.state] = (counts[c.state] ?? 0) + 1;
      const place = this.adapters.endpointServices.placeOf?.(serviceId);
      return {
        serviceId,
        serviceAccount: place?.account ?? null,
        serviceRegion: place?.region ?? null,
        mode: settings.mode,
        held: settings.held ? settings.held.id : null,
        pendingTtl: settings.pendingTtl,
        defaultEffect: settings.defaultEffect,
        onRevoke: settings.onRevoke,
        connections: counts,
      };
    });
  }

  /** The rules in force, with their problems as `policy validate` words them. */
  async rules() {
    const { ruleSet, version, problems } = await this.adapters.rules.current();
    return {
      version,
      defaults: ruleSet.defaults ?? null,
      services: [...ruleSet.services.entries()].map(([id, settings]) => ({ id, ...settings })),
      rules: ruleSet.rules,
      problems: problems.map((problem) => ({ ruleId: problem.ruleId ?? null, text: formatProblem(problem) })),
      warnings: problems.length > 0 ? [] : openAcceptWarnings(ruleSet),
      approvals: [...(ruleSet.operatorDecisions?.values() ?? [])],
    };
  }

  /**
   * The decision the rules give a connection a person pasted (one, a list, or
   * describe-vpc-endpoint-connections output) or picked (an endpoint id), and why.
   */
  async whatIf(input: { endpointId?: string; serviceId?: string; connection?: unknown }) {
    if (input.endpointId !== undefined) {
      const explained = await this.explain(input.endpointId, input.serviceId);
      if (!explained) {
        return { problems: [`${input.endpointId} is not a connection of any managed service`], results: [] };
      }
      return { problems: [], results: [explained] };
    }
    const raw = input.connection;
    const list =
      raw !== null && typeof raw === 'object' && 'VpcEndpointConnections' in raw
        ? (raw as { VpcEndpointConnections: unknown }).VpcEndpointConnections
        : raw;
    const items = Array.isArray(list) ? list : [list];
    const problems: string[] = [];
    const connections: Connection[] = [];
    items.forEach((item, index) => {
      const read = readConnection(item);
      const where = items.length > 1 ? `connection ${index + 1}: ` : '';
      for (const problem of read.problems) problems.push(`${where}${problem.message}`);
      if (read.connection) connections.push(read.connection);
    });
    if (problems.length > 0) return { problems, results: [] };
    const { ruleSet } = await this.adapters.rules.current();
    const managed = new Set(await this.serviceIds());
    const results = [];
    for (const connection of connections) {
      if (managed.has(connection.serviceId)) {
        results.push(await this.explainOne(connection, ruleSet));
      } else {
        const region = this.options.region;
        const context = { now: this.now(), liveEndpoints: 0, ...(region ? { serviceRegion: region } : {}) };
        results.push(explained(connection, explainConnection(connection, context, ruleSet), ruleSet));
      }
    }
    return { problems: [], results };
  }

  private async explainOne(connection: Connection, ruleSet: RuleSet) {
    const [judged] = await judge(this.adapters, [connection], ruleSet, {
      now: this.now(),
      region: this.options.region,
    });
    if (!judged) throw new Error(`${connection.endpointId} could not be judged`);
    return explained(connection, explainConnection(connection, judged.context, ruleSet), ruleSet);
  }

  private async connectionsOf(serviceIds: readonly string[]): Promise<Connection[]> {
    const limit = pLimit(SERVICE_READS);
    const lists = await Promise.all(
      serviceIds.map((id) => limit(() => this.adapters.endpointServices.describeConnections(id))),
    );
    return lists.flat();
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

function explained(
  connection: Connection,
  explanation: { record: DecisionRecord; rules: RuleVerdict[]; nearMisses: NearMiss[] },
  ruleSet: RuleSet,
) {
  return {
    connection: { ...connection, createdAt: connection.createdAt.toISOString() },
    mode: settingsFor(ruleSet, connection.serviceId).mode,
    ...explanation,
  };
}
