import { describe, expect, it } from 'vitest';
import { localRunOptions } from '../../../cli/commands/local.ts';
import { UsageError } from '../../../cli/exit.ts';
import { FAULT_NAMES, FaultSpecError, Faults, parseFaultSpec, seededRandom } from '../../../local/faults.ts';
import { LOCAL_FLAGS } from '../../support/local-flags.ts';

const flags = LOCAL_FLAGS;

describe('the fault spec', () => {
  it('reads name=rate pairs, and all=RATE for every fault, later entries winning', () => {
    expect(parseFaultSpec('ec2.throttle=0.2,notify.drop=1')).toEqual({
      'ec2.throttle': 0.2,
      'notify.drop': 1,
    });
    const all = parseFaultSpec('all=0.1,ec2.reset=0');
    expect(Object.keys(all).sort()).toEqual([...FAULT_NAMES].sort());
    expect(all['ec2.reset']).toBe(0);
    expect(all['lambda.crash']).toBe(0.1);
  });

  it.each([
    ['ec2.explode=0.1', /unknown fault 'ec2\.explode'/],
    ['ec2.throttle=1.5', /rate of ec2\.throttle must be a number from 0 to 1, got '1\.5'/],
    ['ec2.throttle=-0.1', /rate of ec2\.throttle .* got '-0\.1'/],
    ['ec2.throttle=lots', /rate of ec2\.throttle .* got 'lots'/],
    ['ec2.throttle', /'ec2\.throttle' is not name=rate/],
    ['', /must be name=rate/],
    ['ec2.throttle=0.1,,', /'' is not name=rate/],
  ])('refuses %j naming what is wrong', (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(spec)).toThrow(message);
  });

  it('plgate local turns a bad spec, seed or duration into a usage error (exit 2) naming the flag', () => {
    const bad = (extra: Record<string, string>) => () => localRunOptions({ ...flags, ...extra }, () => {});
    expect(bad({ faults: 'nope=1' })).toThrow(UsageError);
    expect(bad({ faults: 'nope=1' })).toThrow(/unknown fault 'nope'/);
    expect(bad({ faults: 'all=0.1', faultsSeed: 'x' })).toThrow(/--faults-seed .* got 'x'/);
    expect(bad({ faults: 'all=0.1', faultsFor: 'soon' })).toThrow(/--faults-for .* got 'soon'/);
    expect(bad({ faultsSeed: '3' })).toThrow(/--faults-seed needs --faults/);
    expect(
      localRunOptions({ ...flags, faults: 'all=0.3', faultsSeed: '7', faultsFor: '40s' }, () => {}).faults,
    ).toEqual({
      rates: parseFaultSpec('all=0.3'),
      seed: 7,
      forMs: 40_000,
    });
  });
});

describe('the fault dice', () => {
  const throws = (seed: number) => {
    const faults = new Faults({ rates: { 'ec2.throttle': 0.3, 'notify.drop': 0.5 }, seed });
    return Array.from({ length: 200 }, (_, i) => faults.strikes(i % 2 ? 'ec2.throttle' : 'notify.drop'));
  };

  it('one seed, one sequence; another seed, another', () => {
    expect(throws(42)).toEqual(throws(42));
    expect(throws(42)).not.toEqual(throws(43));
    expect(seededRandom(1)()).toBe(seededRandom(1)());
  });

  it('strikes at about its rate and counts what it injected', () => {
    const faults = new Faults({ rates: { 'ec2.error': 0.3 }, seed: 5 });
    let struck = 0;
    for (let i = 0; i < 2000; i += 1) if (faults.strikes('ec2.error')) struck += 1;
    expect(struck / 2000).toBeGreaterThan(0.25);
    expect(struck / 2000).toBeLessThan(0.35);
    expect(faults.injected['ec2.error']).toBe(struck);
    expect(faults.total).toBe(struck);
    expect(faults.strikes('sns.error')).toBe(false);
  });

  it('stops after --faults-for, and when stopped', () => {
    let now = 1000;
    const faults = new Faults({ rates: { 'ec2.error': 1 }, forMs: 500 }, () => now);
    expect(faults.strikes('ec2.error')).toBe(true);
    now = 1500;
    expect(faults.active).toBe(false);
    expect(faults.strikes('ec2.error')).toBe(false);
    const stopped = new Faults({ rates: { 'ec2.error': 1 } });
    stopped.stop();
    expect(stopped.strikes('ec2.error')).toBe(false);
  });
});
