/**
 * The gate's ports for a command (and the console): the adapters over the target's clients,
 * and in a fleet's hub every member's endpoint services behind the one endpoint-services port,
 * as the hub's functions have them (functions/handlers/runtime.ts). A stack of one keeps the
 * caller's own EC2.
 */
import { createGateAdapters, type GateAdapters } from '../functions/aws/gate-adapters.ts';
import type { EndpointServices } from '../functions/gate/ports.ts';
import type { GateTarget } from './gate-target.ts';

export type TargetAdapters = Omit<GateAdapters, 'endpointServices'> & { endpointServices: EndpointServices };

export function targetAdapters(target: Pick<GateTarget, 'config' | 'clients' | 'fleet'>): TargetAdapters {
  const adapters = createGateAdapters(target.config, target.clients);
  return target.fleet ? { ...adapters, endpointServices: target.fleet.endpointServices } : adapters;
}
