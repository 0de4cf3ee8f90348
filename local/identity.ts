import { randomBytes } from 'node:crypto';
/**
 * Who is calling, read from the SigV4 credential scope
 * (`Credential=AKID/20260101/us-east-1/ec2/aws4_request`). Signatures are not
 * verified: the local cloud trusts the access key id the way a test double would.
 */
export interface Caller {
  /** The account the caller acts as: a 12-digit access key id, else the provider account. */
  account: string;
  region: string;
  /** The service named in the credential scope (`ec2`, `sns`, `dynamodb`, `events`). */
  service: string;
  accessKeyId: string;
}

export type CredentialProblem = 'missing' | 'garbled';

export class CredentialError extends Error {
  override name = 'CredentialError';
  constructor(
    readonly problem: CredentialProblem,
    message: string,
  ) {
    super(message);
  }
}

const ACCOUNT_ID = /^[0-9]{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/;
const SERVICE = /^[a-z0-9-]{1,64}$/;
const ACCESS_KEY_ID = /^[A-Za-z0-9_+=,.@-]{1,128}$/;

/**
 * The account a role session's access key acts in (its role's), or undefined for a key that
 * is no role's: `LocalRoles.accountOfKey`.
 */
export type RoleAccountOf = (accessKeyId: string) => string | undefined;

/** Parses `AKID/DATE/REGION/SERVICE/aws4_request`, naming the part that is wrong. */
function parseCredential(credential: string, providerAccount: string, roleAccountOf?: RoleAccountOf): Caller {
  const parts = credential.split('/');
  const garbled = (problem: string) =>
    new CredentialError(
      'garbled',
      `Credential '${credential}' is not keyid/date/region/service/aws4_request: ${problem}`,
    );
  if (parts.length !== 5) throw garbled(`it has ${parts.length} slash-delimited elements, not 5`);
  const [accessKeyId = '', date = '', region = '', service = '', terminator = ''] = parts;
  if (!ACCESS_KEY_ID.test(accessKeyId)) throw garbled(`'${accessKeyId}' is not an access key id`);
  if (!/^[0-9]{8}$/.test(date)) throw garbled(`'${date}' is not a date (YYYYMMDD)`);
  if (!REGION.test(region)) throw garbled(`'${region}' is not a region name like us-east-1`);
  if (!SERVICE.test(service)) throw garbled(`'${service}' is not a service name`);
  if (terminator !== 'aws4_request') throw garbled(`it ends in '${terminator}', not aws4_request`);
  return {
    account: roleAccountOf?.(accessKeyId) ?? (ACCOUNT_ID.test(accessKeyId) ? accessKeyId : providerAccount),
    region,
    service,
    accessKeyId,
  };
}

/**
 * The caller of a request from its `Authorization` header or, for presigned
 * requests, its `X-Amz-Credential` query parameter. A role session's key acts in its
 * role's account (a member's spoke role session is that member), when `roleAccountOf` knows it.
 */
export function identifyCaller(
  authorization: string | undefined,
  query: URLSearchParams,
  providerAccount: string,
  roleAccountOf?: RoleAccountOf,
): Caller {
  const presigned = query.get('X-Amz-Credential');
  if (authorization === undefined || authorization.trim() === '') {
    if (presigned !== null) return parseCredential(presigned, providerAccount, roleAccountOf);
    throw new CredentialError('missing', 'Request is missing Authentication Token');
  }
  const match = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(authorization.trim());
  if (match === null) {
    throw new CredentialError('garbled', `Unsupported Authorization header: expected AWS4-HMAC-SHA256`);
  }
  const fields = new Map<string, string>();
  for (const field of (match[1] ?? '').split(',')) {
    const separator = field.indexOf('=');
    if (separator > 0) fields.set(field.slice(0, separator).trim(), field.slice(separator + 1).trim());
  }
  const credential = fields.get('Credential');
  if (credential === undefined || !fields.has('Signature') || !fields.has('SignedHeaders')) {
    throw new CredentialError(
      'garbled',
      "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters",
    );
  }
  return parseCredential(credential, providerAccount, roleAccountOf);
}

/** An IAM role of the local cloud, as a template's `AWS::IAM::Role` (and its policies) defines it. */
export interface LocalRole {
  /** Role name, e.g. `PrivateLinkGate-DecideRole935921C1-AB12CD34EF56`. */
  name: string;
  account: string;
  /**
   * A fixed access key id that signs as this role (tests and benches); functions get
   * temporary keys from `issueSession` instead.
   */
  accessKeyId?: string;
  /** The role's identity policies: IAM policy statements as JSON. */
  statements: Record<string, unknown>[];
  /** The trust policy (AssumeRolePolicyDocument). */
  trustPolicy?: Record<string, unknown>;
}

/** Temporary credentials of a role session, as STS AssumeRole (or Lambda) hands them out. */
export interface RoleSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/**
 * Who a call is from, as IAM sees it:
 * - `role`: a role session (a function's, by the keys Lambda gave it), authorised against its role's policy;
 * - `root`: a 12-digit access key, that account's root, master of its own account only;
 * - `administrator`: any other key, the provider account's administrator (allowed everything
 *   in the provider account, as the AWS CLI user of a real account would be).
 */
export type Principal =
  | { kind: 'role'; account: string; arn: string; roleArn: string; role: LocalRole }
  | { kind: 'root'; account: string; arn: string }
  | { kind: 'administrator'; account: string; arn: string; userName: string };

export const roleArnOf = (role: Pick<LocalRole, 'account' | 'name'>): string =>
  `arn:aws:iam::${role.account}:role/${role.name}`;

/** The session ARN a role session's calls carry: a function's is named after its role, as locally Lambda's is. */
export const roleSessionArnOf = (
  role: Pick<LocalRole, 'account' | 'name'>,
  sessionName = role.name,
): string => `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`;

export class LocalRoleError extends Error {
  override name = 'LocalRoleError';
}

const SESSION_HOURS = 12;

/** The roles of the local cloud, by ARN, and the access keys that sign as them. */
export class LocalRoles {
  private readonly byArn = new Map<string, LocalRole>();
  /** access key id -> the role ARN it signs as, and its session's name (AssumeRole's RoleSessionName) */
  private readonly keys = new Map<string, { roleArn: string; sessionName?: string }>();
  /** Keys of sessions whose role was deleted: the role as it was, with no permission left. */
  private readonly revoked = new Map<string, LocalRole>();

  /** Defines (or redefines) a role; a fixed access key must not be an account id. */
  define(role: LocalRole): void {
    if (role.accessKeyId !== undefined && ACCOUNT_ID.test(role.accessKeyId)) {
      throw new Error(
        `a role's access key id must not be 12 digits (that is an account): ${role.accessKeyId}`,
      );
    }
    const arn = roleArnOf(role);
    this.byArn.set(arn, { ...role, statements: [...role.statements] });
    if (role.accessKeyId !== undefined) this.keys.set(role.accessKeyId, { roleArn: arn });
  }

  /**
   * Deletes a role; its sessions stop working: they still sign as the role, in its account, but
   * with no permission at all (never as anyone else), and a role made again by the same name does
   * not bring them back, as on AWS.
   */
  remove(arn: string): void {
    const role = this.byArn.get(arn);
    this.byArn.delete(arn);
    for (const [key, session] of this.keys) {
      if (session.roleArn !== arn) continue;
      this.keys.delete(key);
      if (role !== undefined) this.revoked.set(key, { ...role, statements: [], trustPolicy: undefined });
    }
  }

  byName(name: string): LocalRole | undefined {
    return [...this.byArn.values()].find((role) => role.name === name);
  }

  byRoleArn(arn: string): LocalRole | undefined {
    return this.byArn.get(arn);
  }

  list(): LocalRole[] {
    return [...this.byArn.values()];
  }

  /**
   * Replaces a role's policy statements (a test removes one to see the call fail); the role
   * by its ARN, or by its name where only one account has a role of that name.
   */
  putPolicy(nameOrArn: string, statements: Record<string, unknown>[]): void {
    const role = nameOrArn.startsWith('arn:') ? this.byRoleArn(nameOrArn) : this.byName(nameOrArn);
    if (role === undefined) throw new LocalRoleError(`no role named ${nameOrArn}`);
    this.byArn.set(roleArnOf(role), { ...role, statements: [...statements] });
  }

  /**
   * Temporary keys that sign as the role (what Lambda gives a function, what AssumeRole
   * returns), lasting `durationSeconds` (default 12 hours), named `sessionName` in the ARN
   * its calls carry (default: the role's name, as for a function's role).
   */
  issueSession(
    roleArn: string,
    now = Date.now(),
    durationSeconds = SESSION_HOURS * 3600,
    sessionName?: string,
  ): RoleSession {
    if (!this.byArn.has(roleArn)) throw new LocalRoleError(`no role ${roleArn}`);
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    this.keys.set(accessKeyId, { roleArn, ...(sessionName === undefined ? {} : { sessionName }) });
    return {
      accessKeyId,
      secretAccessKey: randomBytes(20).toString('base64'),
      sessionToken: randomBytes(32).toString('base64'),
      expiration: new Date(now + durationSeconds * 1000),
    };
  }

  /** The account a role session's key acts in: its role's (a member's role is that member). */
  accountOfKey(accessKeyId: string): string | undefined {
    const session = this.keys.get(accessKeyId);
    if (session === undefined) return this.revoked.get(accessKeyId)?.account;
    return this.byArn.get(session.roleArn)?.account;
  }

  principalOf(caller: Caller): Principal {
    const session = this.keys.get(caller.accessKeyId);
    const role =
      session === undefined ? this.revoked.get(caller.accessKeyId) : this.byArn.get(session.roleArn);
    if (role !== undefined && role.account === caller.account) {
      return {
        kind: 'role',
        account: role.account,
        arn: roleSessionArnOf(role, session?.sessionName),
        roleArn: roleArnOf(role),
        role,
      };
    }
    if (caller.accessKeyId === caller.account) {
      return { kind: 'root', account: caller.account, arn: `arn:aws:iam::${caller.account}:root` };
    }
    return {
      kind: 'administrator',
      account: caller.account,
      arn: `arn:aws:iam::${caller.account}:user/${caller.accessKeyId}`,
      userName: caller.accessKeyId,
    };
  }
}
