/** Which fleet a command's gate is the hub of: FLEET_*, else the hub stack's outputs, else the config file; `--external-id` over the id found. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/exit.ts';
import { fleetOf, hasMembers } from '../../../cli/fleet-settings.ts';
import { ConfigError, FLEET_STACK_OUTPUTS } from '../../../functions/shared/config.ts';

const folder = mkdtempSync(join(tmpdir(), 'plgate-fleet-settings-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function configFile(name: string, config: unknown): string {
  const path = join(folder, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

const MEMBERS = [
  { account: '111111111111', regions: ['us-east-1', 'eu-west-1'] },
  { account: '222222222222', regions: ['us-west-2'] },
];

/** A hub's FLEET_* variables, as the stack sets them on its acting functions. */
const FLEET_ENV = {
  FLEET_EXTERNAL_ID: 'ext-env',
  FLEET_SPOKE_ROLE_NAME: 'plgate-spoke',
  FLEET_MEMBERS: '333333333333:ap-south-1',
};

/** A hub stack's outputs (infra/constructs/fleet-hub.ts): its resources and the fleet's variables. */
const HUB_OUTPUTS = {
  RulesTableName: 'rules',
  FleetIngestQueueArn: 'arn:aws:sqs:us-east-1:000000000000:Hub-fleet-ingest',
  [FLEET_STACK_OUTPUTS.fleetExternalId]: 'ext-stack',
  [FLEET_STACK_OUTPUTS.fleetSpokeRoleName]: 'stack-spoke',
  [FLEET_STACK_OUTPUTS.fleetMembers]: '333333333333:ap-south-1,444444444444:eu-west-1',
  [FLEET_STACK_OUTPUTS.fleetOrganizationalUnits]: 'ou-ab12-cd34ef56',
  [FLEET_STACK_OUTPUTS.fleetRegions]: 'us-east-1,eu-west-1',
};

describe('fleetOf', () => {
  it("the hub functions' FLEET_* first, the config file not read", () => {
    const fleet = fleetOf({ config: join(folder, 'absent.json') }, { ...FLEET_ENV });
    expect(fleet).toMatchObject({
      externalId: 'ext-env',
      members: [{ account: '333333333333', region: 'ap-south-1' }],
    });
  });

  it("else the config's fleet, one member per account and region, with its external id or the one given", () => {
    const withId = configFile('with-id.json', { fleet: { members: MEMBERS, externalId: 'ext-config' } });
    expect(fleetOf({ config: withId }, {})).toEqual({
      members: [
        { account: '111111111111', region: 'us-east-1' },
        { account: '111111111111', region: 'eu-west-1' },
        { account: '222222222222', region: 'us-west-2' },
      ],
      externalId: 'ext-config',
      spokeRoleName: 'plgate-spoke',
      organizationalUnits: [],
      regions: [],
    });
    expect(fleetOf({ config: withId, externalId: 'ext-flag' }, {})?.externalId).toBe('ext-flag');

    const withoutId = configFile('without-id.json', { fleet: { members: MEMBERS } });
    expect(fleetOf({ config: withoutId }, {})).toBeUndefined();
    expect(fleetOf({ config: withoutId, externalId: 'ext-flag' }, {})?.externalId).toBe('ext-flag');
  });

  it("else the hub stack's outputs, read as the functions read FLEET_*, the config file not read", () => {
    const config = configFile('other-fleet.json', {
      fleet: { members: MEMBERS, externalId: 'ext-config', spokeRoleName: 'config-spoke' },
    });
    expect(fleetOf({ config }, {}, HUB_OUTPUTS)).toEqual({
      members: [
        { account: '333333333333', region: 'ap-south-1' },
        { account: '444444444444', region: 'eu-west-1' },
      ],
      externalId: 'ext-stack',
      spokeRoleName: 'stack-spoke',
      organizationalUnits: ['ou-ab12-cd34ef56'],
      regions: ['us-east-1', 'eu-west-1'],
    });
    // FLEET_* come first even so.
    expect(fleetOf({ config }, { ...FLEET_ENV }, HUB_OUTPUTS)?.externalId).toBe('ext-env');
    // A hub of listed members only has no unit or region outputs (CloudFormation refuses empty values).
    const listedOnly = {
      FleetExternalId: 'ext-stack',
      FleetSpokeRoleName: 'stack-spoke',
      FleetMembers: '333333333333:ap-south-1',
    };
    expect(fleetOf({ config }, {}, listedOnly)).toMatchObject({ organizationalUnits: [], regions: [] });
  });

  it('--external-id overrides the external id the fleet was found with, wherever from', () => {
    const config = configFile('override.json', { fleet: { members: MEMBERS, externalId: 'ext-config' } });
    const flags = { config, externalId: 'ext-flag' };
    expect(fleetOf(flags, { ...FLEET_ENV })?.externalId).toBe('ext-flag');
    expect(fleetOf(flags, {}, HUB_OUTPUTS)).toMatchObject({
      externalId: 'ext-flag',
      spokeRoleName: 'stack-spoke',
    });
    expect(fleetOf(flags, {})).toMatchObject({ externalId: 'ext-flag', spokeRoleName: 'plgate-spoke' });
  });

  it("a hub deployed before its outputs said the fleet (FleetExternalId only): the config's fleet, with that external id", () => {
    const before = { RulesTableName: 'rules', FleetExternalId: 'ext-stack', FleetIngestQueueArn: 'arn:q' };
    const withoutId = configFile('older-hub.json', { fleet: { members: MEMBERS } });
    expect(fleetOf({ config: withoutId }, {}, before)).toMatchObject({
      externalId: 'ext-stack',
      members: [{ account: '111111111111' }, { account: '111111111111' }, { account: '222222222222' }],
    });
    const withId = configFile('older-hub-with-id.json', {
      fleet: { members: MEMBERS, externalId: 'ext-config' },
    });
    expect(fleetOf({ config: withId }, {}, before)?.externalId).toBe('ext-config');
    expect(fleetOf({ config: join(folder, 'absent.json') }, {}, before)).toBeUndefined();
  });

  it('a stack output that is not what the functions would read stops the command, naming the output and the value', () => {
    expect(() => fleetOf({}, {}, { ...HUB_OUTPUTS, FleetMembers: '3333:ap-south-1' })).toThrow(
      new ConfigError('stack output FleetMembers: "3333:ap-south-1" is not ACCOUNT:REGION'),
    );
  });

  it('refuses an --external-id STS would not take, naming it', () => {
    for (const externalId of ['', 'x', 'has space'])
      expect(() => fleetOf({ externalId }, { ...FLEET_ENV })).toThrow(
        new UsageError(
          `--external-id must be 2 to 1224 letters, digits or any of _+=,.@:/-, as STS takes it, got '${externalId}'`,
        ),
      );
  });

  it('a stack of one: no FLEET_*, no config file or no fleet in it', () => {
    expect(fleetOf({ config: join(folder, 'absent.json') }, {})).toBeUndefined();
    expect(fleetOf({ config: configFile('no-fleet.json', { stackName: 'Gate' }) }, {})).toBeUndefined();
    expect(hasMembers(undefined)).toBe(false);
    const empty = { members: [], externalId: 'x', spokeRoleName: 'p', organizationalUnits: [], regions: [] };
    expect(hasMembers(empty)).toBe(false);
  });

  it("a fleet of organizational units alone is a fleet: the units' accounts are its members", () => {
    const units = {
      members: [],
      externalId: 'x',
      spokeRoleName: 'p',
      organizationalUnits: ['ou-ab12-cd34ef56'],
      regions: ['us-east-1'],
    };
    expect(hasMembers(units)).toBe(true);
  });

  it('an invalid config stops the command, naming the field and the value', () => {
    const invalid = configFile('invalid.json', {
      fleet: { members: [{ account: '1111', regions: ['us-east-1'] }] },
    });
    expect(() => fleetOf({ config: invalid }, {})).toThrow(/fleet\.members\.0\.account.*"1111"/);
  });
});
