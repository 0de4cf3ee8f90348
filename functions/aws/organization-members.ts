/**
 * The accounts of a fleet's organizational units, as AWS Organizations says now: every ACTIVE
 * account under each unit, down through its child units. The hub calls this from the
 * organization's management account or a delegated administrator (as the service-managed
 * StackSet that deploys the units' spokes already requires).
 *
 * Accounts come from ListAccountsForParent, not ListChildren(ACCOUNT) and a DescribeAccount
 * each: one paged call per unit returns every account with its state, where DescribeAccount
 * would be one more call per account against Organizations' low request rate (shared by every
 * caller in the organization). Child units come from ListChildren(ORGANIZATIONAL_UNIT). Both
 * actions accept the units' ARNs as resources, so the hub's grant names no more than its
 * organization's units.
 *
 * The organization's management account is left out: StackSets never deploy a spoke there, so
 * as a unit's member it could only ever be unreachable (list it under `members` if it runs
 * endpoint services). It is told from the accounts' own ARNs
 * (`arn:…:organizations::<management account>:account/o-…/<account>`), with no further call.
 *
 * Kept per container for a TTL and refreshed once for concurrent callers. A failed refresh keeps
 * the last list (on a first failure, none: the fleet is its listed members) and is retried after
 * a shorter wait; it never throws, so the sweep and the deciders go on with the members they know.
 */
import {
  type Account,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { errorCode, errorMessage } from './aws-errors.ts';
import { type AdapterLogger, quietLogger } from './logger.ts';

/** Organizations' own patterns for the ids it returns. */
const ACCOUNT_ID = /^\d{12}$/;
export const UNIT_ID = /^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$/;
const ACCOUNT_ARN = /^arn:aws[a-z-]*:organizations::(\d{12}):account\/o-[0-9a-z]{10,32}\/(\d{12})$/;
/** The largest page either call gives (fewer calls against Organizations' request rate). */
const PAGE_SIZE = 20;
/** Units nest at most five deep under the root; the bound guards against a loop in what the API says. */
const MAX_DEPTH = 8;

export interface OrganizationUnitAccountsOptions {
  /** How long a found list is kept (default 5 minutes). */
  ttlMs?: number;
  /** How long before a failed refresh is tried again (default 1 minute). */
  failureTtlMs?: number;
  logger?: AdapterLogger;
  now?: () => number;
}

/** Organizations answered something the walk cannot go on from (it is retried after failureTtlMs). */
export class OrganizationWalkError extends Error {
  override name = 'OrganizationWalkError';
}

export class OrganizationUnitAccounts {
  readonly #org: OrganizationsClient;
  readonly #units: readonly string[];
  readonly #ttlMs: number;
  readonly #failureTtlMs: number;
  readonly #logger: AdapterLogger;
  readonly #now: () => number;
  #accounts: readonly string[] = [];
  #until = Number.NEGATIVE_INFINITY;
  #refresh: Promise<readonly string[]> | undefined;

  constructor(
    org: OrganizationsClient,
    units: readonly string[],
    options: OrganizationUnitAccountsOptions = {},
  ) {
    this.#org = org;
    this.#ttlMs = options.ttlMs ?? 300_000;
    this.#failureTtlMs = options.failureTtlMs ?? 60_000;
    this.#logger = options.logger ?? quietLogger;
    this.#now = options.now ?? Date.now;
    this.#units = units.filter((unit) => {
      if (UNIT_ID.test(unit)) return true;
      this.#skipped('organizationalUnits', unit);
      return false;
    });
  }

  /** The units' active accounts, sorted; the last known list while Organizations cannot answer. */
  async accounts(): Promise<readonly string[]> {
    if (this.#until > this.#now()) return this.#accounts;
    this.#refresh ??= this.#load().finally(() => {
      this.#refresh = undefined;
    });
    return this.#refresh;
  }

  async #load(): Promise<readonly string[]> {
    try {
      const accounts = await this.#walk();
      this.#accounts = accounts;
      this.#until = this.#now() + this.#ttlMs;
      return accounts;
    } catch (error) {
      this.#logger.warn('organization members not refreshed: keeping the last list', {
        code: errorCode(error),
        reason: errorMessage(error),
        kept: this.#accounts.length,
      });
      this.#until = this.#now() + this.#failureTtlMs;
      return this.#accounts;
    }
  }

  async #walk(): Promise<readonly string[]> {
    const accounts = new Set<string>();
    const seen = new Set<string>();
    let level: string[] = [...this.#units];
    for (let depth = 0; level.length > 0; depth++) {
      if (depth >= MAX_DEPTH)
        throw new OrganizationWalkError(
          `units nested deeper than ${MAX_DEPTH} levels under ${this.#units.join(', ')}`,
        );
      const next: string[] = [];
      for (const unit of level) {
        if (seen.has(unit)) continue;
        seen.add(unit);
        for (const account of await this.#activeAccountsIn(unit)) accounts.add(account);
        next.push(...(await this.#childUnitsOf(unit)));
      }
      level = next;
    }
    return [...accounts].sort();
  }

  async #activeAccountsIn(unit: string): Promise<string[]> {
    const found: string[] = [];
    await this.#pages('ListAccountsForParent', unit, async (NextToken) => {
      const out = await this.#org.send(
        new ListAccountsForParentCommand({
          ParentId: unit,
          MaxResults: PAGE_SIZE,
          ...(NextToken ? { NextToken } : {}),
        }),
      );
      for (const account of out.Accounts ?? []) {
        const id = this.#activeAccount(account, unit);
        if (id !== undefined) found.push(id);
      }
      return out.NextToken;
    });
    return found;
  }

  async #childUnitsOf(unit: string): Promise<string[]> {
    const found: string[] = [];
    await this.#pages('ListChildren', unit, async (NextToken) => {
      const out = await this.#org.send(
        new ListChildrenCommand({
          ParentId: unit,
          ChildType: 'ORGANIZATIONAL_UNIT',
          MaxResults: PAGE_SIZE,
          ...(NextToken ? { NextToken } : {}),
        }),
      );
      for (const child of out.Children ?? []) {
        if (child.Id !== undefined && UNIT_ID.test(child.Id)) found.push(child.Id);
        else this.#skipped('ListChildren.Children[].Id', child.Id, unit);
      }
      return out.NextToken;
    });
    return found;
  }

  /** Every page: Organizations may answer an empty page that still has a NextToken. */
  async #pages(
    operation: string,
    unit: string,
    page: (nextToken: string | undefined) => Promise<string | undefined>,
  ): Promise<void> {
    const tokens = new Set<string>();
    let token = await page(undefined);
    while (token) {
      if (tokens.has(token)) throw new OrganizationWalkError(`${operation} of ${unit} repeated a NextToken`);
      tokens.add(token);
      token = await page(token);
    }
  }

  /** The account's id when it is well formed, active and not the management account. */
  #activeAccount(account: Account, unit: string): string | undefined {
    const { Id: id } = account;
    if (id === undefined || !ACCOUNT_ID.test(id)) {
      this.#skipped('ListAccountsForParent.Accounts[].Id', id, unit);
      return undefined;
    }
    // `Status` is being retired in favour of `State`; either says ACTIVE.
    const state = account.State ?? account.Status;
    if (state === undefined) {
      this.#skipped('ListAccountsForParent.Accounts[].State', state, unit);
      return undefined;
    }
    if (state !== 'ACTIVE') {
      this.#logger.debug('organization account not active: not a member', { account: id, state, unit });
      return undefined;
    }
    const arn = account.Arn === undefined ? undefined : ACCOUNT_ARN.exec(account.Arn);
    if (arn?.[1] === id && arn[2] === id) {
      this.#logger.debug('management account: not a member of its units (StackSets never deploy there)', {
        account: id,
        unit,
      });
      return undefined;
    }
    return id;
  }

  #skipped(field: string, value: unknown, parent?: string): void {
    this.#logger.warn('organization data skipped: malformed', {
      field,
      value,
      ...(parent === undefined ? {} : { parent }),
    });
  }
}
