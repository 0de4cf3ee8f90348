/**
 * What `plgate local` takes for a fleet: `--fleet ACCOUNT:REGION,…` and faults aimed at one
 * member (`ec2.throttle@111111111111:eu-west-1=1`), each bad value refused by name; the dice
 * of an aimed fault strike its member only; buses saved before regions are read back.
 */
import { describe, expect, it } from 'vitest';
import { localRunOptions } from '../../../cli/commands/local.ts';
import { UsageError } from '../../../cli/exit.ts';
import { parseGateConfig } from '../../../infra/config.ts';
import { Deliveries } from '../../../local/deliveries.ts';
import { EventBuses } from '../../../local/events/buses.ts';
import { FaultSpecError, Faults, parseFaultSpec, parseFaults } from '../../../local/faults.ts';
import {
  FleetMembersError,
  fleetConfigMembers,
  localHubFleet,
  parseFleetMembers,
} from '../../../local/fleet/members.ts';
import { LOCAL_FLAGS } from '../../support/local-flags.ts';

const flags = LOCAL_FLAGS;

describe('--fleet', () => {
  it('reads member regions, grouped by account as the config lists them', () => {
    const members = parseFleetMembers(
      '111111111111:us-east-1, 111111111111:eu-west-1,222222222222:us-west-2',
    );
    expect(members).toEqual([
      { account: '111111111111', region: 'us-east-1' },
      { account: '111111111111', region: 'eu-west-1' },
      { account: '222222222222', region: 'us-west-2' },
    ]);
    expect(fleetConfigMembers(members)).toEqual([
      { account: '111111111111', regions: ['us-east-1', 'eu-west-1'] },
      { account: '222222222222', regions: ['us-west-2'] },
    ]);
  });

  it("synthesizes the hub from the config's fleet with these members and no units, even one made for a delegated administrator", () => {
    const configured = parseGateConfig({
      fleet: {
        organizationalUnits: ['ou-ab12-cd34ef56'],
        regions: ['us-east-1'],
        organizationId: 'o-abcdef1234',
        stackSetCallAs: 'DELEGATED_ADMIN',
        externalId: 'ours-1',
      },
    }).fleet;
    const members = [{ account: '111111111111', region: 'eu-west-1' }];
    const { fleet } = parseGateConfig({ fleet: localHubFleet(configured, members, '000000000000') });
    expect(fleet).toMatchObject({
      members: [{ account: '111111111111', regions: ['eu-west-1'] }],
      organizationalUnits: [],
      externalId: 'ours-1',
      operators: ['arn:aws:iam::000000000000:user/*'],
    });
    expect(fleet?.stackSetCallAs).toBeUndefined();
  });

  it.each([
    ['', /empty value/],
    ['111111111111', /'111111111111' is not ACCOUNT:REGION/],
    ['11111111111:us-east-1', /account '11111111111' in '11111111111:us-east-1' must be 12 digits/],
    ['111111111111:US-EAST-1', /region 'US-EAST-1' in '111111111111:US-EAST-1' must look like us-east-1/],
    ['111111111111:us-east-1,111111111111:us-east-1', /'111111111111:us-east-1' is listed twice/],
    ['111111111111:us-east-1:x', /is not ACCOUNT:REGION/],
  ])('refuses %j naming the value', (value, message) => {
    expect(() => parseFleetMembers(value)).toThrow(FleetMembersError);
    expect(() => parseFleetMembers(value)).toThrow(message);
  });

  it('plgate local turns a bad --fleet into a usage error (exit 2), and refuses it beside --stack', () => {
    const bad = (extra: Record<string, string>) => () => localRunOptions({ ...flags, ...extra }, () => {});
    expect(bad({ fleet: '1:us-east-1' })).toThrow(UsageError);
    expect(bad({ fleet: '1:us-east-1' })).toThrow(/account '1'/);
    expect(bad({ fleet: '111111111111:us-east-1', stack: 'cdk.out' })).toThrow(/cannot be used with --stack/);
    expect(localRunOptions({ ...flags, fleet: '111111111111:eu-west-1' }, () => {}).fleet).toEqual([
      { account: '111111111111', region: 'eu-west-1' },
    ]);
  });
});

describe('faults aimed at a member', () => {
  it('reads name@ACCOUNT:REGION=rate beside the general rates', () => {
    expect(
      parseFaults('ec2.throttle@111111111111:eu-west-1=1,sns.error=0.1,ec2.error@222222222222=0.5'),
    ).toEqual({
      rates: { 'sns.error': 0.1 },
      aimed: [
        { name: 'ec2.throttle', account: '111111111111', region: 'eu-west-1', rate: 1 },
        { name: 'ec2.error', account: '222222222222', rate: 0.5 },
      ],
    });
  });

  it.each([
    ['ec2.throttle@1111:eu-west-1=1', /the account must be 12 digits, got '1111'/],
    ['ec2.throttle@111111111111:eu-west=1', /the region must look like us-east-1, got 'eu-west'/],
    ['ec2.throttle@111111111111:eu-west-1:x=1', /the region must look like us-east-1/],
    ['notify.drop@111111111111=1', /only these faults can be aimed .* \(got 'notify\.drop'\)/],
    ['all@111111111111=1', /got 'all'/],
    ['ec2.throttle@111111111111:eu-west-1=2', /rate of ec2\.throttle must be a number from 0 to 1, got '2'/],
  ])('refuses %j naming the value', (spec, message) => {
    expect(() => parseFaults(spec)).toThrow(FaultSpecError);
    expect(() => parseFaults(spec)).toThrow(message);
  });

  it('is refused where only general rates are taken (the chaos bench)', () => {
    expect(() => parseFaultSpec('ec2.throttle@111111111111=1')).toThrow(/aimed at an account/);
  });

  it('strikes calls in its member only: the region it names, or every region of the account', () => {
    const faults = new Faults({
      rates: {},
      aimed: [
        { name: 'ec2.throttle', account: '111111111111', region: 'eu-west-1', rate: 1 },
        { name: 'ec2.error', account: '222222222222', rate: 1 },
      ],
    });
    expect(faults.strikes('ec2.throttle', { account: '111111111111', region: 'eu-west-1' })).toBe(true);
    expect(faults.strikes('ec2.throttle', { account: '111111111111', region: 'us-east-1' })).toBe(false);
    expect(faults.strikes('ec2.throttle', { account: '000000000000', region: 'eu-west-1' })).toBe(false);
    expect(faults.strikes('ec2.throttle')).toBe(false);
    expect(faults.strikes('ec2.error', { account: '222222222222', region: 'us-west-2' })).toBe(true);
    expect(faults.strikes('ec2.error', { account: '111111111111', region: 'eu-west-1' })).toBe(false);
    expect(faults.injected['ec2.throttle']).toBe(1);
  });

  it('plgate local passes aimed faults on to the cloud', () => {
    expect(
      localRunOptions({ ...flags, faults: 'ec2.throttle@111111111111:eu-west-1=1' }, () => {}).faults,
    ).toEqual({
      rates: {},
      aimed: [{ name: 'ec2.throttle', account: '111111111111', region: 'eu-west-1', rate: 1 }],
    });
  });
});

describe('buses per account and region', () => {
  it('reads a bus saved as account/name (before regions) as the provider region`s', () => {
    const buses = new EventBuses(
      new Deliveries({ retries: 0, retryDelayMs: 1, log: () => {} }),
      () => {},
      '000000000000',
      undefined,
      'eu-west-1',
    );
    buses.restore({ buses: ['000000000000/old-bus', '111111111111/us-west-2/member-bus'] });
    expect(buses.busNames('000000000000', 'eu-west-1')).toEqual(['default', 'old-bus']);
    expect(buses.busNames('000000000000', 'us-east-1')).toEqual(['default']);
    expect(buses.exists('111111111111', 'us-west-2', 'member-bus')).toBe(true);
    expect(buses.exists('111111111111', 'us-east-1', 'member-bus')).toBe(false);
    expect(buses.snapshot().buses).toEqual([
      '000000000000/eu-west-1/old-bus',
      '111111111111/us-west-2/member-bus',
    ]);
  });
});
