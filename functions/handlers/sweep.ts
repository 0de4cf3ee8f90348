import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { memberKey } from '../aws/fleet-endpoint-services.ts';
import { probeAccept } from '../aws/member-probe.ts';
import { AcceptProbes } from '../gate/accept-probes.ts';
import { type MemberLook, reportMemberHealth } from '../gate/member-health.ts';
import { SweepIncompleteError, type SweepRequest, sweep as sweepServices } from '../gate/sweep.ts';
import { gateNow } from '../shared/clock.ts';
import { METRIC } from '../shared/metrics.ts';
import { parseEvent, SweepEventSchema } from './event-schemas.ts';
import { flushMemberThrottles } from './member-throttles.ts';
import { countOutcomes, countRulesUnreadable, logger, metrics, tracing } from './observability.ts';
import { type FleetRuntime, type Runtime, runtime } from './runtime.ts';

/** Whether each member may accept, asked when due (gate/accept-probes.ts); kept per container. */
const acceptProbes = new AcceptProbes();

/**
 * Each member as the sweep's listing found it, and for one that listed its services whether
 * it may accept (a DryRun probe, when due): a role that lost accept is unhealthy within the
 * hour, or at once when a request waits on it.
 */
async function memberLooks(fleet: FleetRuntime, failedServiceIds: readonly string[]): Promise<MemberLook[]> {
  const failed = new Set(
    failedServiceIds.flatMap((id) => {
      const place = fleet.services.placeOf(id);
      return place === undefined ? [] : [memberKey(place)];
    }),
  );
  const looks: MemberLook[] = [];
  for (const listing of fleet.services.listings()) {
    const place = { account: listing.account, region: listing.region };
    if (!listing.ok) {
      acceptProbes.forget(place);
      if (listing.unreachable) looks.push({ ...place, healthy: false, reason: listing.reason });
      continue;
    }
    const [probeService] = listing.services;
    if (probeService === undefined || !acceptProbes.due(place, gateNow(), failed.has(memberKey(place)))) {
      looks.push({ ...place, healthy: true });
      continue;
    }
    const probe = await probeAccept(fleet.ec2.clientFor(place.account, place.region), probeService);
    if (probe.allowed === true) {
      acceptProbes.allowed(place, gateNow());
      looks.push({ ...place, healthy: true });
      continue;
    }
    // Refused, or no answer (a passing fault: the member's recorded health is left as it was).
    acceptProbes.forget(place);
    if (probe.allowed === false)
      looks.push({ ...place, healthy: false, reason: `accept not allowed: ${probe.reason}` });
  }
  return looks;
}

/** Records each member's health (a notice per change), its last sweep, and the UnhealthyMembers gauge. */
async function reportFleet(
  gate: Runtime,
  fleet: FleetRuntime,
  failedServiceIds: readonly string[] = [],
): Promise<number> {
  const looks = await memberLooks(fleet, failedServiceIds);
  const unhealthy = await reportMemberHealth(looks, {
    // A healthy member was swept: its last sweep is noted in the same write.
    recordHealth: (place, healthy, now, reason) =>
      fleet.memberStates.recordHealth(place, healthy, now, reason, { swept: healthy }),
    notifier: gate.notifier,
    now: gateNow,
  });
  metrics.addMetric(METRIC.unhealthyMembers, MetricUnit.Count, unhealthy.length);
  if (unhealthy.length > 0)
    logger.warn('fleet members unreachable: their requests wait', {
      members: unhealthy.map((m) => ({
        account: m.account,
        region: m.region,
        reason: m.healthy ? '' : m.reason,
      })),
    });
  return unhealthy.length;
}

/** Schedule or `Sweep Requested` → reconcile every managed service with EC2. */
async function sweep(event: unknown, context: Context) {
  const parsed = parseEvent(SweepEventSchema, event, 'sweep event');
  const request: SweepRequest = 'detail' in parsed ? parsed.detail : {};
  metrics.addMetric(METRIC.sweeps, MetricUnit.Count, 1);
  const gate = runtime();
  let report: Awaited<ReturnType<typeof sweepServices>>;
  try {
    report = await sweepServices(request, {
      ...gate.decideDeps(context.awsRequestId),
      rules: gate.rules,
      rulesWriter: gate.rulesStore,
      ingestTopicArn: gate.config.ingestTopicArn,
      remainingMs: () => context.getRemainingTimeInMillis(),
    });
  } catch (error) {
    countRulesUnreadable(error);
    // A member that failed its services is reported all the same (its health is why), then
    // the invocation fails so that it is retried.
    if (error instanceof SweepIncompleteError && gate.fleet)
      await reportFleet(gate, gate.fleet, error.serviceIds);
    throw error;
  }
  if (gate.fleet) await reportFleet(gate, gate.fleet);
  const entries = report.services.flatMap((s) => s.entries);
  countOutcomes(entries);
  const waiting = report.services.reduce((sum, s) => sum + s.waiting, 0);
  if (!report.continuedFrom && !request.serviceIds)
    metrics.addMetric(METRIC.heldRequests, MetricUnit.Count, waiting);
  logger.info('sweep done', {
    services: report.services.map((s) => ({
      serviceId: s.serviceId,
      mode: s.mode,
      enrolled: s.enrolled,
      connections: s.connections,
      waiting: s.waiting,
      decisions: s.entries.length,
    })),
    continuedFrom: report.continuedFrom,
  });
  return report;
}

export const handler = middy(sweep)
  .use(tracing)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(flushMemberThrottles(runtime));
