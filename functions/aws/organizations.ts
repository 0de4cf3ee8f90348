/**
 * Where a consumer account sits in AWS Organizations: the organization id and the OUs
 * from the root down. Looked up with ListParents (walking up to the root) and
 * DescribeOrganization, cached per container. Never throws: a failed lookup is
 * undefined, which makes the rule conditions that need it undetermined (review), never
 * an accept.
 */
import {
  DescribeOrganizationCommand,
  ListParentsCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import type { OrganizationPath } from '../core/evaluation-context.ts';
import type { OrganizationDirectory } from '../gate/ports.ts';
import { errorCode, errorMessage } from './aws-errors.ts';
import { type AdapterLogger, quietLogger } from './logger.ts';

/** OUs nest at most five deep under the root; the bound guards against a loop. */
const MAX_DEPTH = 8;
const ACCOUNT_ID = /^\d{12}$/;

export interface AwsOrganizationDirectoryOptions {
  /** How long a found path is kept (default 1 hour). */
  ttlMs?: number;
  /** How long a failed lookup is remembered, to spare the API (default 1 minute). */
  failureTtlMs?: number;
  logger?: AdapterLogger;
  now?: () => number;
}

export class OrganizationLookupError extends Error {
  override name = 'OrganizationLookupError';
}

interface Cached {
  value: OrganizationPath | undefined;
  until: number;
}

export class AwsOrganizationDirectory implements OrganizationDirectory {
  readonly #org: OrganizationsClient;
  readonly #ttlMs: number;
  readonly #failureTtlMs: number;
  readonly #logger: AdapterLogger;
  readonly #now: () => number;
  readonly #paths = new Map<string, Cached>();
  readonly #inFlight = new Map<string, Promise<OrganizationPath | undefined>>();
  #organizationId: { value: string; until: number } | undefined;

  constructor(org: OrganizationsClient, options: AwsOrganizationDirectoryOptions = {}) {
    this.#org = org;
    this.#ttlMs = options.ttlMs ?? 3_600_000;
    this.#failureTtlMs = options.failureTtlMs ?? 60_000;
    this.#logger = options.logger ?? quietLogger;
    this.#now = options.now ?? Date.now;
  }

  async pathOf(account: string): Promise<OrganizationPath | undefined> {
    if (!ACCOUNT_ID.test(account)) {
      this.#logger.warn('organization lookup skipped: not an account id', { account });
      return undefined;
    }
    const cached = this.#paths.get(account);
    if (cached !== undefined && cached.until > this.#now()) return cached.value;
    let lookup = this.#inFlight.get(account);
    if (lookup === undefined) {
      lookup = this.#lookUp(account).finally(() => this.#inFlight.delete(account));
      this.#inFlight.set(account, lookup);
    }
    return lookup;
  }

  async #lookUp(account: string): Promise<OrganizationPath | undefined> {
    try {
      const ouIds: string[] = [];
      let child = account;
      for (let depth = 0; ; depth++) {
        if (depth >= MAX_DEPTH) throw new OrganizationLookupError(`no root within ${MAX_DEPTH} levels`);
        const out = await this.#org.send(new ListParentsCommand({ ChildId: child }));
        const parent = out.Parents?.[0];
        if (parent?.Id === undefined) throw new OrganizationLookupError(`no parent of ${child}`);
        if (parent.Type === 'ROOT') break;
        ouIds.push(parent.Id);
        child = parent.Id;
      }
      const path: OrganizationPath = { organizationId: await this.#orgId(), ouIds: ouIds.reverse() };
      this.#paths.set(account, { value: path, until: this.#now() + this.#ttlMs });
      return path;
    } catch (error) {
      this.#logger.warn('organization lookup failed', {
        account,
        code: errorCode(error),
        reason: errorMessage(error),
      });
      this.#paths.set(account, { value: undefined, until: this.#now() + this.#failureTtlMs });
      return undefined;
    }
  }

  async #orgId(): Promise<string> {
    if (this.#organizationId !== undefined && this.#organizationId.until > this.#now()) {
      return this.#organizationId.value;
    }
    const out = await this.#org.send(new DescribeOrganizationCommand({}));
    const id = out.Organization?.Id;
    if (id === undefined) {
      throw new OrganizationLookupError('DescribeOrganization returned no organization id');
    }
    this.#organizationId = { value: id, until: this.#now() + this.#ttlMs };
    return id;
  }
}
