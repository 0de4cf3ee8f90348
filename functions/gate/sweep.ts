/**
 * The sweep: reconcile every managed service against what EC2 says now. It enrolls
 * services, decides what no event decided, expires reviews past their TTL and finds drift.
 * It stops before the invocation's time runs out and asks for its own continuation.
 */
import type { Connection } from '../core/connection.ts';
import { settingsFor } from '../core/rules/settings.ts';
import type { SweepRequestedDetail } from '../shared/events.ts';
import { type DecideDeps, decideService } from './decide-service.ts';
import { enrollService } from './enroll.ts';
import { removeGoneDecisions } from './operator-cleanup.ts';
import type { LedgerEntry, RulesItemWriter } from './ports.ts';
import type { RuleSetCache } from './rules-cache.ts';

export interface SweepDeps extends DecideDeps {
  rules: RuleSetCache;
  ingestTopicArn: string;
  /** Milliseconds left in this invocation. */
  remainingMs: () => number;
  /** Stop and continue in a new invocation when less than this is left (default 90 s). */
  reserveMs?: number;
  pageSize?: number;
  /** Removes operators' decisions whose endpoint is gone; without it they are kept. */
  rulesWriter?: RulesItemWriter;
}

export interface ServiceSweep {
  serviceId: string;
  mode: string;
  enrolled: string[];
  connections: number;
  waiting: number;
  entries: LedgerEntry[];
}

export interface SweepReport {
  services: ServiceSweep[];
  /** Set when the sweep ran out of time and asked for a continuation from here. */
  continuedFrom?: { serviceId: string; nextToken?: string };
}

export type SweepRequest = Pick<SweepRequestedDetail, 'serviceIds' | 'cursor'>;

/**
 * Services the sweep could not finish (a member's role that lost a permission, a fault): the
 * others were swept all the same, and the invocation fails so that it is retried and seen.
 */
export class SweepIncompleteError extends Error {
  override name = 'SweepIncompleteError';
  constructor(
    readonly serviceIds: string[],
    /** What the sweep had done when it finished the others. */
    readonly report: SweepReport,
    options: { cause: unknown },
  ) {
    const cause = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`the sweep could not finish ${serviceIds.join(', ')}: ${cause}`, options);
  }
}

const ACTED: ReadonlySet<string> = new Set(['accepted', 'rejected', 'expired', 'failed']);

export async function sweep(request: SweepRequest, deps: SweepDeps): Promise<SweepReport> {
  const reserveMs = deps.reserveMs ?? 90_000;
  const wanted = request.serviceIds ? new Set(request.serviceIds) : undefined;
  const managed = (await deps.endpointServices.listManagedServices())
    .filter((s) => !wanted || wanted.has(s.serviceId))
    .sort((a, b) => a.serviceId.localeCompare(b.serviceId));
  const services = managed.map((s) => s.serviceId);
  const cursor = request.cursor;
  const start = cursor ? services.indexOf(cursor.serviceId) : 0;
  const report: SweepReport = { services: [] };
  const failed: { serviceId: string; error: unknown }[] = [];
  // What needs no enrollment, read once per account and region: those services cost the sweep
  // no describe of their own and no lease. The others are enrolled under their lease as before,
  // which reads them again, so a snapshot that is already stale only costs that.
  const enrolled =
    managed.length === 0
      ? new Set<string>()
      : await deps.endpointServices.enrolledServices(managed, deps.ingestTopicArn);
  // Every connection of the services still to sweep (but one resumed mid-way), read with one
  // call per account and region when they fit in one page; the others are paged one by one.
  // Acting on what this read says is safe however old it gets: every action re-reads its
  // endpoints under their leases, and what is newer than this read is the next sweep's.
  const toRead = services.slice(Math.max(start, 0)).filter((id) => id !== cursor?.serviceId);
  const read = toRead.length === 0 ? new Map() : await deps.endpointServices.connectionsOfServices(toRead);

  for (const serviceId of services.slice(Math.max(start, 0))) {
    // One service that cannot be swept (in a fleet, a member whose role lost accept) does not
    // stop the others: each step is safe to repeat, and the next sweep tries it again.
    let outcome: 'continued' | 'done';
    try {
      outcome = await sweepService(serviceId, request, deps, report, reserveMs, {
        enrolled: enrolled.has(serviceId),
        connections: read.get(serviceId),
      });
    } catch (error) {
      failed.push({ serviceId, error });
      continue;
    }
    if (outcome === 'continued') break;
  }
  const [first] = failed;
  if (first !== undefined)
    throw new SweepIncompleteError(
      failed.map((f) => f.serviceId),
      report,
      { cause: first.error },
    );
  return report;
}

/** Sweeps one service into `report`; 'continued' when it ran out of time and asked for a continuation. */
async function sweepService(
  serviceId: string,
  request: SweepRequest,
  deps: SweepDeps,
  report: SweepReport,
  reserveMs: number,
  known: {
    /** The service needs no enrollment (the sweep's one read of notifications). */
    enrolled: boolean;
    /** All its connections, when the sweep's one read of connections held them. */
    connections: Connection[] | undefined;
  },
): Promise<'continued' | 'done'> {
  const cursor = request.cursor;
  // Rules are read again for every service, for every page after the first and after an
  // enrollment (one small version read each): a long sweep must never act on rules that
  // changed while it ran.
  let rules = await deps.rules.current();
  const settings = settingsFor(rules.ruleSet, serviceId);
  const resuming = cursor?.serviceId === serviceId ? cursor.nextToken : undefined;
  const done: ServiceSweep = {
    serviceId,
    mode: settings.held ? 'held' : settings.mode,
    enrolled: [],
    connections: 0,
    waiting: 0,
    entries: [],
  };
  report.services.push(done);
  if (settings.mode === 'off' && !settings.held) return 'done';
  // Enrollment changes the service itself: neither an off service nor a held one (whose
  // settings are unknown) is touched. A held one is still read, to record its requests as held.
  if (!resuming && !settings.held && !known.enrolled) {
    done.enrolled =
      (await enrollService(serviceId, deps.ingestTopicArn, { ...deps, endpointStates: deps.ledger })) ?? [];
    rules = await deps.rules.current();
  }

  let nextToken = resuming;
  // Every connection of the service, when this invocation reads all its pages: what the
  // removal of gone approvals and denials needs, without asking EC2 again.
  const listed = resuming === undefined ? new Map<string, string>() : undefined;
  let firstPage = true;
  do {
    if (deps.remainingMs() < reserveMs) {
      report.continuedFrom = nextToken ? { serviceId, nextToken } : { serviceId };
      await deps.events.requestSweep({
        reason: 'continuation',
        cursor: report.continuedFrom,
        ...(request.serviceIds ? { serviceIds: request.serviceIds } : {}),
      });
      return 'continued';
    }
    const page =
      firstPage && known.connections !== undefined
        ? { connections: known.connections }
        : await deps.endpointServices.pageConnections(serviceId, nextToken, deps.pageSize);
    if (!firstPage) rules = await deps.rules.current();
    firstPage = false;
    const entries = await decideService(
      { serviceId, connections: page.connections, trigger: 'sweep', rules },
      deps,
    );
    const acted = new Set(entries.filter((e) => ACTED.has(e.outcome)).map((e) => e.endpointId));
    for (const c of page.connections) listed?.set(c.endpointId, c.state);
    done.connections += page.connections.length;
    done.waiting += page.connections.filter(
      (c) => c.state === 'pendingAcceptance' && !acted.has(c.endpointId),
    ).length;
    done.entries.push(...entries);
    nextToken = page.nextToken;
  } while (nextToken);
  if (deps.rulesWriter) {
    done.entries.push(...(await removeGoneDecisions(serviceId, rules, deps.rulesWriter, deps, listed)));
  }
  return 'done';
}
