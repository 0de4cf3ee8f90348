/**
 * Credentials in a fleet member: `sts:AssumeRole` on the member region's spoke role, through
 * that region's STS endpoint (tokens from the global endpoint fail in opt-in regions), with
 * the hub's external id. One AssumeRole per member and region per credential lifetime in a
 * container: the credentials are kept until shortly before they expire, and callers that ask
 * at once share one call.
 */
import {
  AssumeRoleCommand,
  type AssumeRoleCommandOutput,
  type Credentials,
  STSClient,
} from '@aws-sdk/client-sts';
import { spokeRoleArn } from '../shared/fleet.ts';
import { errorCode, errorMessage } from './aws-errors.ts';
import { type ClientOptions, clientConfig } from './client-config.ts';

export interface MemberCredentialsValue {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** A member the hub could not assume into: the spoke is missing, the trust or external id is wrong, or STS failed. */
export class MemberUnreachableError extends Error {
  override name = 'MemberUnreachableError';
  constructor(
    readonly account: string,
    readonly region: string,
    readonly roleArn: string,
    /** STS's error code (AccessDenied, RegionDisabledException, …), or undefined for a network fault. */
    readonly code: string | undefined,
    options?: ErrorOptions,
  ) {
    super(
      `cannot assume ${roleArn} in ${region}: ${code ?? 'no answer'}${options?.cause ? ` (${errorMessage(options.cause)})` : ''}`,
      options,
    );
  }
}

export interface MemberCredentialsOptions {
  /** The hub's external id (config `fleet.externalId`). */
  externalId: string;
  /** The spoke names' prefix (config `fleet.spokeRoleName`). */
  spokeRoleName: string;
  /** Who is asking, for CloudTrail in the member: e.g. the function's name (at most 64 characters). */
  sessionName: string;
  partition?: string;
  /** Seconds the credentials last (900-3600 for a role's default maximum); default 3600. */
  durationSeconds?: number;
  /** Renew this long before they expire, so no call starts with credentials about to lapse; default 5 minutes. */
  refreshMarginMs?: number;
  /** The STS client of a region; default one per region on its regional endpoint. */
  stsFor?: (region: string) => STSClient;
  /** Endpoint and retry settings for the default STS clients (the local cloud's edge). */
  clientOptions?: Omit<ClientOptions, 'region'>;
  now?: () => number;
}

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export class MemberCredentials {
  readonly #options: Required<Omit<MemberCredentialsOptions, 'clientOptions' | 'stsFor'>>;
  readonly #stsFor: (region: string) => STSClient;
  readonly #sts = new Map<string, STSClient>();
  readonly #cached = new Map<string, Promise<MemberCredentialsValue>>();
  /** When each cached entry was asked of STS (the cloud's time). */
  readonly #assumedAt = new Map<string, number>();

  constructor(options: MemberCredentialsOptions) {
    if (!SESSION_NAME.test(options.sessionName)) {
      throw new RangeError(
        `sessionName must be 2 to 64 characters of letters, digits and +=,.@_-, got "${options.sessionName}"`,
      );
    }
    const durationSeconds = options.durationSeconds ?? 3600;
    if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43_200) {
      throw new RangeError(
        `durationSeconds must be a whole number from 900 to 43200, got ${durationSeconds}`,
      );
    }
    const refreshMarginMs = options.refreshMarginMs ?? 5 * 60_000;
    if (!(refreshMarginMs >= 0) || refreshMarginMs >= durationSeconds * 1000) {
      throw new RangeError(
        `refreshMarginMs must be at least 0 and less than the credentials' lifetime, got ${refreshMarginMs}`,
      );
    }
    this.#options = {
      externalId: options.externalId,
      spokeRoleName: options.spokeRoleName,
      sessionName: options.sessionName,
      partition: options.partition ?? 'aws',
      durationSeconds,
      refreshMarginMs,
      now: options.now ?? Date.now,
    };
    const clientOptions = options.clientOptions ?? {};
    this.#stsFor =
      options.stsFor ??
      ((region) =>
        new STSClient({ ...clientConfig({ ...clientOptions, region }), useGlobalEndpoint: false }));
  }

  /** The spoke role the hub assumes in a member region. */
  roleArn(account: string, region: string): string {
    return spokeRoleArn(this.#options.partition, account, region, this.#options.spokeRoleName);
  }

  /** Credentials in the member region: cached ones while they last, else one AssumeRole shared by every caller. */
  credentialsFor(account: string, region: string): Promise<MemberCredentialsValue> {
    const key = `${account}:${region}`;
    const cached = this.#cached.get(key);
    if (cached !== undefined)
      return cached.then((value) => (this.#fresh(value) ? value : this.#renew(key, cached)));
    return this.#assume(key, account, region);
  }

  /** Closes the STS clients it made (a command's or the console's end; a container keeps them). */
  destroy(): void {
    for (const sts of this.#sts.values()) sts.destroy();
    this.#sts.clear();
    this.#cached.clear();
  }

  /** Forgets a member region's credentials (its role changed, or a call was refused with them). */
  forget(account: string, region: string): void {
    this.#cached.delete(`${account}:${region}`);
  }

  /**
   * A call in the member was refused with these credentials: forget them if they were assumed
   * at least `minAgeMs` ago, so the next call assumes the role again. A spoke deleted and
   * deployed again has a new role, which sessions of the old one never reach; a role that only
   * lacks a permission would be assumed again at most once per `minAgeMs`. Returns whether it forgot.
   */
  forgetRefused(account: string, region: string, minAgeMs: number): boolean {
    const key = `${account}:${region}`;
    const assumedAt = this.#assumedAt.get(key);
    if (assumedAt === undefined || this.#options.now() - assumedAt < minAgeMs) return false;
    this.#cached.delete(key);
    this.#assumedAt.delete(key);
    return true;
  }

  #fresh(value: MemberCredentialsValue): boolean {
    return value.expiration.getTime() - this.#options.refreshMarginMs > this.#options.now();
  }

  /** Renews once, however many callers found the same stale entry. */
  #renew(key: string, stale: Promise<MemberCredentialsValue>): Promise<MemberCredentialsValue> {
    const current = this.#cached.get(key);
    if (current !== undefined && current !== stale) return current;
    const [account = '', region = ''] = key.split(':');
    return this.#assume(key, account, region);
  }

  #assume(key: string, account: string, region: string): Promise<MemberCredentialsValue> {
    const attempt = this.#call(account, region);
    this.#cached.set(key, attempt);
    this.#assumedAt.set(key, this.#options.now());
    // A failure is not kept: the next caller tries again (the member may have been fixed).
    attempt.catch(() => {
      if (this.#cached.get(key) === attempt) this.#cached.delete(key);
    });
    return attempt;
  }

  async #call(account: string, region: string): Promise<MemberCredentialsValue> {
    const roleArn = this.roleArn(account, region);
    let sts = this.#sts.get(region);
    if (sts === undefined) {
      sts = this.#stsFor(region);
      this.#sts.set(region, sts);
    }
    let answer: AssumeRoleCommandOutput;
    try {
      answer = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: this.#options.sessionName,
          ExternalId: this.#options.externalId,
          DurationSeconds: this.#options.durationSeconds,
        }),
      );
    } catch (error) {
      throw new MemberUnreachableError(account, region, roleArn, errorCode(error), { cause: error });
    }
    return readCredentials(answer.Credentials, account, region, roleArn);
  }
}

function readCredentials(
  credentials: Credentials | undefined,
  account: string,
  region: string,
  roleArn: string,
): MemberCredentialsValue {
  const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = credentials ?? {};
  if (
    AccessKeyId === undefined ||
    SecretAccessKey === undefined ||
    SessionToken === undefined ||
    !(Expiration instanceof Date) ||
    !Number.isFinite(Expiration.getTime())
  ) {
    throw new MemberUnreachableError(account, region, roleArn, 'MalformedCredentials');
  }
  return {
    accessKeyId: AccessKeyId,
    secretAccessKey: SecretAccessKey,
    sessionToken: SessionToken,
    expiration: Expiration,
  };
}
