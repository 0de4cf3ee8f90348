/**
 * The provider's own EC2 calls, seen in CloudTrail: a service created, changed or tagged is
 * enrolled and swept; a person's accept or reject is recorded as a manual action.
 */
import type { RuleSet } from '../core/rules/rule-set.ts';
import { settingsFor } from '../core/rules/settings.ts';
import type { ConnectionEventDetail } from '../shared/events.ts';
import type { CloudTrailDetail } from './cloudtrail-detail.ts';
import { type EnrollDeps, enrollService } from './enroll.ts';
import { type IngestDeps, managedCheck } from './ingest.ts';
import { type ManualAction, type ManualActionDeps, recordManualAction } from './manual-action.ts';
import { idsIn } from './named-ids.ts';
import type { LedgerEntry } from './ports.ts';

export interface CloudTrailDeps extends IngestDeps, ManualActionDeps, Omit<EnrollDeps, 'endpointStates'> {
  ingestTopicArn: string;
  /** The current rule set: enrollment leaves alone a service that is off or held. */
  ruleSet: () => Promise<RuleSet>;
}

export type CloudTrailResult =
  | { kind: 'enrolled'; services: string[]; forwarded: ConnectionEventDetail[] }
  | { kind: 'manual'; entries: LedgerEntry[] }
  | { kind: 'ignored'; why: string };

const SERVICE_CHANGES = new Set([
  'CreateVpcEndpointServiceConfiguration',
  'ModifyVpcEndpointServiceConfiguration',
  'CreateTags',
]);
const MANUAL_ACTIONS: Record<string, ManualAction> = {
  AcceptVpcEndpointConnections: 'accept',
  RejectVpcEndpointConnections: 'reject',
};

/** The provider's own EC2 calls, as CloudTrail puts them on the default bus. */
export async function ingestCloudTrail(
  detail: CloudTrailDetail,
  deps: CloudTrailDeps,
): Promise<CloudTrailResult> {
  // A person's accept or reject that EC2 refused is still recorded, as a failed attempt.
  if (detail.errorCode && !MANUAL_ACTIONS[detail.eventName])
    return { kind: 'ignored', why: `the call failed with ${detail.errorCode}` };
  if (SERVICE_CHANGES.has(detail.eventName)) {
    const text = JSON.stringify([detail.requestParameters ?? null, detail.responseElements ?? null]);
    const { serviceIds } = idsIn(text);
    // The call may just have tagged or created the service: what a cache knows is stale.
    const isManaged = managedCheck(deps.endpointServices, true);
    const services: string[] = [];
    const ruleSet = serviceIds.length > 0 ? await deps.ruleSet() : undefined;
    for (const serviceId of serviceIds) {
      if (!(await isManaged(serviceId))) continue;
      // An off service is the operator's to run; a held one has settings nobody can read.
      const settings = ruleSet && settingsFor(ruleSet, serviceId);
      if (settings?.mode === 'off' || settings?.held) {
        deps.log?.('service not enrolled: it is off or held', { serviceId });
        continue;
      }
      await enrollService(serviceId, deps.ingestTopicArn, deps);
      services.push(serviceId);
    }
    if (services.length === 0) return { kind: 'ignored', why: 'names no managed service that is on' };
    const forwarded = services.map(
      (serviceId): ConnectionEventDetail => ({ serviceId, trigger: 'cloudtrail' }),
    );
    await deps.events.connectionEvents(forwarded);
    return { kind: 'enrolled', services, forwarded };
  }

  const action = MANUAL_ACTIONS[detail.eventName];
  if (!action) return { kind: 'ignored', why: `${detail.eventName} is not a call the gate follows` };
  return recordManualAction(action, detail, deps);
}
