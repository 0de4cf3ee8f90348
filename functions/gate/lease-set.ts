/**
 * The leases one decision run takes on endpoints (actions) and on a service's consumer
 * accounts (accepts under a limit), sized to their holder (lease-duration.ts) and released
 * together at the run's end, except those released with the write that finished an intent.
 */
import pLimit from 'p-limit';
import { type LeaseHolder, leaseMsFor } from './lease-duration.ts';
import {
  type EndpointState,
  type EndpointStates,
  type Lease,
  LeaseLostError,
  type Outcome,
} from './ports.ts';

/** Lease writes in flight at once: a sweep may act on thousands of endpoints. */
export const LEASE_CONCURRENCY = 16;

export interface LeaseDeps extends LeaseHolder {
  ledger: Pick<EndpointStates, 'states' | 'acquireLease' | 'releaseLease'>;
  /** Who holds the leases (e.g. the Lambda request id). */
  holder: string;
  now: () => Date;
  log?: (message: string, data: Record<string, unknown>) => void;
}

export class LeaseSet {
  readonly #deps: LeaseDeps;
  readonly #endpoints = new Map<string, Lease>();
  readonly #accounts = new Map<string, Lease>();
  readonly #limit = pLimit(LEASE_CONCURRENCY);
  /** Endpoints whose lease went with the write that finished their intent. */
  readonly #released = new Set<string>();
  readonly outcomes = new Map<string, Outcome>();

  constructor(deps: LeaseDeps) {
    this.#deps = deps;
  }

  /** Sized at each write: a holder with a deadline leases for what is left of it. */
  get leaseMs(): number {
    return leaseMsFor(this.#deps);
  }

  endpoint(endpointId: string): Lease {
    const lease = this.#endpoints.get(endpointId);
    if (!lease) throw new LeaseLostError(`${endpointId}: no lease taken on it in this run`);
    return lease;
  }

  account(account: string): Lease | undefined {
    return this.#accounts.get(account);
  }

  /** The endpoints' states as their leases found them; read again only where a lease brought none. */
  async states(endpointIds: string[]): Promise<Map<string, EndpointState>> {
    const states = new Map<string, EndpointState>();
    const unread: string[] = [];
    for (const id of endpointIds) {
      const state = this.endpoint(id).state;
      if (state) states.set(id, state);
      else unread.push(id);
    }
    if (unread.length > 0)
      for (const [id, state] of await this.#deps.ledger.states(unread)) states.set(id, state);
    return states;
  }

  /** The lease of an endpoint was released with its intent's last write. */
  released(endpointId: string): void {
    this.#released.add(endpointId);
  }

  async takeAccounts(serviceId: string, accounts: string[]): Promise<Set<string>> {
    const held = new Set<string>();
    for (const account of [...new Set(accounts)].sort()) {
      const lease = await this.#deps.ledger.acquireLease(
        `${serviceId}#${account}`,
        this.#deps.holder,
        this.#deps.now(),
        this.leaseMs,
      );
      if (lease) {
        this.#accounts.set(account, lease);
        held.add(account);
      } else {
        this.#deps.log?.('account leased by another decider: its requests wait for the next trigger', {
          serviceId,
          account,
        });
      }
    }
    return held;
  }

  async takeEndpoints(endpointIds: string[]): Promise<string[]> {
    const taken = await Promise.all(
      endpointIds.map((id) =>
        this.#limit(async () => {
          const lease = await this.#deps.ledger.acquireLease(
            id,
            this.#deps.holder,
            this.#deps.now(),
            this.leaseMs,
          );
          if (lease) {
            this.#endpoints.set(id, lease);
            return id;
          }
          this.#deps.log?.('endpoint leased by another decider', { endpointId: id });
          return undefined;
        }),
      ),
    );
    return taken.filter((id): id is string => id !== undefined);
  }

  async releaseAll(): Promise<void> {
    await Promise.all([
      ...[...this.#endpoints]
        .filter(([id]) => !this.#released.has(id))
        .map(([id, lease]) =>
          this.#limit(() => this.#deps.ledger.releaseLease(lease, this.outcomes.get(id))),
        ),
      ...[...this.#accounts.values()].map((lease) =>
        this.#limit(() => this.#deps.ledger.releaseLease(lease)),
      ),
    ]);
  }
}
