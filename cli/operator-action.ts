/**
 * A person's approve or deny, as `plgate approve` / `deny` and the console carry it out:
 * the caller's ARN as actor, the gate's decision pipeline through decideByOperator; in a
 * fleet's hub, over every member's endpoint services (the target's `fleet`).
 */
import { randomUUID } from 'node:crypto';
import { callerArn } from '../functions/aws/caller-identity.ts';
import { decideDepsOf } from '../functions/aws/gate-adapters.ts';
import { decideByOperator, type OperatorResult } from '../functions/gate/operator.ts';
import type { GateTarget } from './gate-target.ts';
import { targetAdapters } from './target-adapters.ts';

export interface OperatorAction {
  action: 'approve' | 'deny';
  endpointId: string;
  serviceId?: string;
  reason?: string;
}

/** Who the target's credentials are: the ARN STS gives, as the ledger's actor. */
export function actorOf(target: GateTarget): Promise<string> {
  return callerArn({
    region: target.clients.ec2.config.region,
    credentials: target.clients.ec2.config.credentials,
    local: target.local,
  });
}

export async function decideAsOperator(
  target: GateTarget,
  request: OperatorAction,
  options: { actor?: string; region?: string; onWait?: (message: string) => void } = {},
): Promise<OperatorResult> {
  // A hub's target holds its members: the endpoint is found in whichever member it is (fleet-members.ts).
  const adapters = targetAdapters(target);
  const actor = options.actor ?? (await actorOf(target));
  const region = options.region ?? target.region;
  return decideByOperator(
    {
      action: request.action,
      endpointId: request.endpointId,
      actor,
      ...(request.serviceId ? { serviceId: request.serviceId } : {}),
      ...(request.reason ? { reason: request.reason } : {}),
    },
    {
      ...decideDepsOf(adapters, `plgate-cli-${randomUUID()}`, region ? { region } : {}),
      rules: adapters.rules,
      rulesWriter: adapters.rulesStore,
      ...(options.onWait ? { onWait: options.onWait } : {}),
    },
  );
}
