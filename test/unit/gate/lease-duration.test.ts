import { describe, expect, it } from 'vitest';
import { DEFAULT_LEASE_MS, LEASE_MARGIN_MS, leaseMsFor } from '../../../functions/gate/lease-duration.ts';

describe('a lease is sized to its holder', () => {
  it('a Lambda invocation leases for its time left and a margin, never more than the default', () => {
    expect(leaseMsFor({ remainingMs: () => 60_000 })).toBe(60_000 + LEASE_MARGIN_MS);
    expect(leaseMsFor({ remainingMs: () => 5_000 })).toBe(5_000 + LEASE_MARGIN_MS);
    expect(leaseMsFor({ remainingMs: () => 900_000 })).toBe(DEFAULT_LEASE_MS);
  });

  it('past its deadline a holder keeps only the margin', () => {
    expect(leaseMsFor({ remainingMs: () => -10 })).toBe(LEASE_MARGIN_MS);
  });

  it('a holder with no deadline (the CLI) leases for the default', () => {
    expect(leaseMsFor({})).toBe(DEFAULT_LEASE_MS);
    expect(leaseMsFor({ remainingMs: () => Number.NaN })).toBe(DEFAULT_LEASE_MS);
  });

  it('a request whose decide invocation died is free again within two minutes of its start', () => {
    // decide's timeout is 60 s (infra/gate-stack.ts); the lease renewed at its last moment ends here.
    expect(leaseMsFor({ remainingMs: () => 0 }) + 60_000).toBeLessThan(120_000);
  });
});
