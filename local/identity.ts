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

/** Parses `AKID/DATE/REGION/SERVICE/aws4_request`, naming the part that is wrong. */
function parseCredential(credential: string, providerAccount: string): Caller {
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
    account: ACCOUNT_ID.test(accessKeyId) ? accessKeyId : providerAccount,
    region,
    service,
    accessKeyId,
  };
}

/**
 * The caller of a request from its `Authorization` header or, for presigned
 * requests, its `X-Amz-Credential` query parameter.
 */
export function identifyCaller(
  authorization: string | undefined,
  query: URLSearchParams,
  providerAccount: string,
): Caller {
  const presigned = query.get('X-Amz-Credential');
  if (authorization === undefined || authorization.trim() === '') {
    if (presigned !== null) return parseCredential(presigned, providerAccount);
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
  return parseCredential(credential, providerAccount);
}

/** An IAM role of the local cloud: one per in-process function, with the statements the stack grants it. */
export interface LocalRole {
  /** Role name, e.g. `plgate-local-decide`. */
  name: string;
  account: string;
  /** The access key id the function signs with; the local cloud maps it to this role. */
  accessKeyId: string;
  /** The role's identity policy: IAM policy statements as JSON. */
  statements: Record<string, unknown>[];
}

/**
 * Who a call is from, as IAM sees it:
 * - `role`: an in-process function, by its own access key, authorised against its role's policy;
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

/** The session ARN a function's calls carry, as Lambda's assumed-role session would. */
export const roleSessionArnOf = (role: Pick<LocalRole, 'account' | 'name'>): string =>
  `arn:aws:sts::${role.account}:assumed-role/${role.name}/${role.name}`;

export class LocalRoleError extends Error {
  override name = 'LocalRoleError';
}

/** The function roles of the local cloud, by access key id. */
export class LocalRoles {
  private readonly byKey = new Map<string, LocalRole>();

  /** Defines (or redefines) a role; its access key must not be an account id. */
  define(role: LocalRole): void {
    if (ACCOUNT_ID.test(role.accessKeyId)) {
      throw new Error(
        `a role's access key id must not be 12 digits (that is an account): ${role.accessKeyId}`,
      );
    }
    for (const [key, existing] of this.byKey) {
      if (existing.name === role.name && key !== role.accessKeyId) this.byKey.delete(key);
    }
    this.byKey.set(role.accessKeyId, { ...role, statements: [...role.statements] });
  }

  byName(name: string): LocalRole | undefined {
    return [...this.byKey.values()].find((role) => role.name === name);
  }

  /** Replaces a role's policy statements (a test removes one to see the call fail). */
  putPolicy(name: string, statements: Record<string, unknown>[]): void {
    const role = this.byName(name);
    if (role === undefined) throw new LocalRoleError(`no role named ${name}`);
    this.byKey.set(role.accessKeyId, { ...role, statements: [...statements] });
  }

  principalOf(caller: Caller): Principal {
    const role = this.byKey.get(caller.accessKeyId);
    if (role !== undefined && role.account === caller.account) {
      return {
        kind: 'role',
        account: role.account,
        arn: roleSessionArnOf(role),
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
