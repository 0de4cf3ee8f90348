/** Which fleet a command's gate is the hub of: as `plgate fleet` has always read it, now for the console and the operator commands too. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetOf, hasMembers } from '../../../cli/fleet-settings.ts';

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

describe('fleetOf', () => {
  it("the hub functions' FLEET_* first, the config file not read", () => {
    const fleet = fleetOf(
      { config: join(folder, 'absent.json') },
      {
        FLEET_EXTERNAL_ID: 'ext-env',
        FLEET_SPOKE_ROLE_NAME: 'plgate-spoke',
        FLEET_MEMBERS: '333333333333:ap-south-1',
      },
    );
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
