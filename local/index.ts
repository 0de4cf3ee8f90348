export type { CapturedSnsMessage, ConnectionStateChange, LocalCloud, LocalCloudOptions } from './cloud.ts';
export { LocalCloudOptionsError, startLocalCloud } from './cloud.ts';
export type { GateHandle, LocalRun, LocalRunOptions, StartGate } from './run.ts';
export { runLocal } from './run.ts';
