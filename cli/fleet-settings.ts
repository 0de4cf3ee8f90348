/**
 * Which fleet the gate a command talks to is the hub of, read as the hub's functions read it:
 * FLEET_* in the environment (functions/shared/config.ts), else the stack config's `fleet`
 * (infra/config.json, or `--config`) with its external id (or `--external-id`). Undefined: a
 * stack of one.
 */
import type { Command } from 'commander';
import { type FleetSettings, readFleetSettings } from '../functions/shared/config.ts';
import { DEFAULT_SPOKE_ROLE_NAME } from '../functions/shared/fleet.ts';
import { loadGateConfig } from '../infra/config.ts';

export interface FleetFlags {
  config?: string;
  externalId?: string;
}

/** Adds the flags that tell a command the hub's fleet. */
export function withFleetOptions(command: Command): Command {
  return command
    .option('--config <file>', 'the stack config with `fleet`', 'infra/config.json')
    .option('--external-id <id>', 'the external id the spoke roles require (stack output FleetExternalId)');
}

export function fleetOf(flags: FleetFlags, env: NodeJS.ProcessEnv = process.env): FleetSettings | undefined {
  const fromEnv = readFleetSettings(env);
  if (fromEnv) return fromEnv;
  const config = loadGateConfig({ filePath: flags.config ?? 'infra/config.json' });
  const fleet = config.fleet;
  if (fleet === undefined) return undefined;
  const externalId = flags.externalId ?? fleet.externalId;
  if (externalId === undefined) return undefined;
  return {
    members: fleet.members.flatMap(({ account, regions }) => regions.map((region) => ({ account, region }))),
    externalId,
    spokeRoleName: fleet.spokeRoleName ?? DEFAULT_SPOKE_ROLE_NAME,
    organizationalUnits: [...fleet.organizationalUnits],
    regions: [...(fleet.regions ?? [])],
  };
}

/** A fleet with members to look at: an empty one is a stack of one, as `plgate fleet` says. */
export function hasMembers(fleet: FleetSettings | undefined): fleet is FleetSettings {
  return fleet !== undefined && (fleet.members.length > 0 || fleet.organizationalUnits.length > 0);
}
