import { describe, expect, it } from 'vitest';
import { ACCEPT_PROBE_INTERVAL_MS, AcceptProbes } from '../../../functions/gate/accept-probes.ts';

const A = { account: '111111111111', region: 'us-east-1' };
const B = { account: '111111111111', region: 'eu-west-1' };
const at = (minutes: number) => new Date(Date.UTC(2026, 11, 7, 12, minutes));

describe('AcceptProbes: when the sweep probes a member', () => {
  it('probes a member it has not seen allowed, then not again within the interval', () => {
    const probes = new AcceptProbes();
    expect(probes.due(A, at(0), false)).toBe(true);
    probes.allowed(A, at(0));
    expect(probes.due(A, at(5), false)).toBe(false);
    expect(probes.due(A, at(59), false)).toBe(false);
    expect(probes.due(A, at(60), false)).toBe(true);
    // Each member region on its own.
    expect(probes.due(B, at(5), false)).toBe(true);
    expect(ACCEPT_PROBE_INTERVAL_MS).toBe(60 * 60_000);
  });

  it('probes at once a member one of whose services failed in this sweep', () => {
    const probes = new AcceptProbes();
    probes.allowed(A, at(0));
    expect(probes.due(A, at(1), true)).toBe(true);
  });

  it('probes on every sweep a member refused or not listed, until it is allowed again', () => {
    const probes = new AcceptProbes();
    probes.allowed(A, at(0));
    probes.forget(A);
    expect(probes.due(A, at(1), false)).toBe(true);
    expect(probes.due(A, at(2), false)).toBe(true);
    probes.allowed(A, at(2));
    expect(probes.due(A, at(3), false)).toBe(false);
  });

  it('refuses an interval that is not a duration', () => {
    expect(() => new AcceptProbes(-1)).toThrow('intervalMs must be a duration in milliseconds, got -1');
    expect(() => new AcceptProbes(Number.NaN)).toThrow(/got NaN/);
  });
});
