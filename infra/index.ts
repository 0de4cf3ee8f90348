/**
 * privatelink-gate's constructs, for a CDK app of your own (infra/README.md, docs/fleet.md).
 * The ready app is infra/app.ts.
 */

export { FLEET_STACK_OUTPUTS } from '../functions/shared/config.ts';
export { type FleetConfig, type GateStackConfig, loadGateConfig, parseGateConfig } from './config.ts';
export { GateFleetHub } from './constructs/fleet-hub.ts';
export { PrivateLinkGateSpoke, type PrivateLinkGateSpokeProps, type SpokeHub } from './constructs/spoke.ts';
export { PrivateLinkGate, type PrivateLinkGateProps, STACK_OUTPUTS } from './gate.ts';
export { GateStack } from './gate-stack.ts';
export { SpokeStack, spokeTemplate } from './spoke-stack.ts';
