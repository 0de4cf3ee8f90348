/**
 * Which fleet the gate a command talks to is the hub of, read as the hub's functions read it:
 * FLEET_* in the environment (functions/shared/config.ts); else the outputs of the hub stack the
 * gate was found by (`--stack`, or plgate local's), which hold the same values
 * (FLEET_STACK_OUTPUTS); else the stack config's `fleet` (infra/config.json, or `--config`), for
 * a hub deployed before its outputs said its fleet, with the config's external id or the stack's
 * FleetExternalId. `--external-id` overrides the external id found. Undefined: a stack of one.
 */
import type { Command } from 'commander';
import {
  ConfigError,
  ENV,
  FLEET_STACK_OUTPUTS,
  FLEET_VARIABLES,
  type FleetSettings,
  readFleetSettings,
} from '../functions/shared/config.ts';
import { DEFAULT_SPOKE_ROLE_NAME } from '../functions/shared/fleet.ts';
import { loadGateConfig } from '../infra/config.ts';
import { UsageError } from './exit.ts';

export interface FleetFlags {
  config?: string;
  externalId?: string;
}

const DEFAULT_CONFIG = 'infra/config.json';

/** Adds the flags that tell a command the hub's fleet. */
export function withFleetOptions(command: Command): Command {
  return command
    .option(
      '--config <file>',
      "the stack config with `fleet`, read when neither FLEET_* nor the stack's outputs say the fleet (a hub deployed before its outputs did)",
      DEFAULT_CONFIG,
    )
    .option(
      '--external-id <id>',
      "the external id the spoke roles require, instead of the fleet's own (FLEET_EXTERNAL_ID, stack output FleetExternalId, or the config's)",
    );
}

/** `stackOutputs`: those of the stack the gate was found by (GateTarget.stackOutputs), if any. */
export function fleetOf(
  flags: FleetFlags,
  env: NodeJS.ProcessEnv = process.env,
  stackOutputs: Readonly<Record<string, string>> = {},
): FleetSettings | undefined {
  const externalId = flags.externalId === undefined ? undefined : externalIdOption(flags.externalId);
  const found =
    readFleetSettings(env) ??
    fleetOfStackOutputs(stackOutputs) ??
    fleetOfConfig(
      flags.config ?? DEFAULT_CONFIG,
      externalId ?? stackOutputs[FLEET_STACK_OUTPUTS.fleetExternalId],
    );
  if (found === undefined || externalId === undefined) return found;
  return { ...found, externalId };
}

/**
 * The fleet a hub stack's outputs say, read as its functions read their FLEET_* variables.
 * Undefined when they say none: a stack of one, or a hub deployed before its outputs said
 * more than FleetExternalId (no FleetSpokeRoleName).
 */
export function fleetOfStackOutputs(outputs: Readonly<Record<string, string>>): FleetSettings | undefined {
  const variables: NodeJS.ProcessEnv = {};
  for (const variable of FLEET_VARIABLES) {
    const value = outputs[FLEET_STACK_OUTPUTS[variable]];
    if (value !== undefined) variables[ENV[variable]] = value;
  }
  try {
    return readFleetSettings(variables);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The problem is the output's: name it, not the variable it was read as.
    let message = error.message;
    for (const variable of FLEET_VARIABLES)
      message = message.replaceAll(ENV[variable], `stack output ${FLEET_STACK_OUTPUTS[variable]}`);
    throw new ConfigError(message, { cause: error });
  }
}

/** The config file's fleet, with its external id or else `externalId`; undefined with neither. */
function fleetOfConfig(filePath: string, externalId: string | undefined): FleetSettings | undefined {
  const fleet = loadGateConfig({ filePath }).fleet;
  if (fleet === undefined) return undefined;
  const id = fleet.externalId ?? externalId;
  if (id === undefined) return undefined;
  return {
    members: fleet.members.flatMap(({ account, regions }) => regions.map((region) => ({ account, region }))),
    externalId: id,
    spokeRoleName: fleet.spokeRoleName ?? DEFAULT_SPOKE_ROLE_NAME,
    organizationalUnits: [...fleet.organizationalUnits],
    regions: [...(fleet.regions ?? [])],
  };
}

/** STS's ExternalId: 2 to 1224 of letters, digits and +=,.@:/- (and _). */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

function externalIdOption(value: string): string {
  if (!EXTERNAL_ID.test(value))
    throw new UsageError(
      `--external-id must be 2 to 1224 letters, digits or any of _+=,.@:/-, as STS takes it, got '${value}'`,
    );
  return value;
}

/** A fleet with members to look at: an empty one is a stack of one, as `plgate fleet` says. */
export function hasMembers(fleet: FleetSettings | undefined): fleet is FleetSettings {
  return fleet !== undefined && (fleet.members.length > 0 || fleet.organizationalUnits.length > 0);
}
