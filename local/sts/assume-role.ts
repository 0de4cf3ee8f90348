/**
 * STS `AssumeRole`, as the regional endpoint answers it: the target role's trust policy must
 * let the caller in (its principal, `aws:PrincipalArn`, `sts:ExternalId`), and for a caller of
 * another account its own policy must allow `sts:AssumeRole` on the role too. What it hands
 * out is a session of the role, in the role's account: later calls with it are that role's.
 */
import { AccessDeniedError, type Authorizer, type PolicyDocument } from '../iam/authorizer.ts';
import type { LocalRoles, Principal, RoleSession } from '../identity.ts';
import { roleArnOf } from '../identity.ts';
import type { QueryParams } from '../query-params.ts';

/** An STS error as the Query API renders it (`<ErrorResponse><Error><Type>Sender…`). */
export class StsError extends Error {
  override name = 'StsError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface AssumedRole {
  credentials: RoleSession;
  /** The role assumed: `arn:aws:iam::ACCOUNT:role/NAME`. */
  roleArn: string;
  /** `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` */
  assumedRoleArn: string;
  /** `AROA…:SESSION` */
  assumedRoleId: string;
}

/** One AssumeRole the cloud granted: who asked, for which role, in which region. */
export interface AssumeRoleGrant {
  callerAccessKeyId: string;
  callerArn: string;
  roleArn: string;
  region: string;
  at: number;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::([0-9]{12}):role\/(?:[\x21-\x7e]+\/)?([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
/** IAM's default MaxSessionDuration for a role (the local cloud's roles keep it). */
const MAX_SESSION_SECONDS = 3600;

const validation = (field: string, value: string, constraint: string): StsError =>
  new StsError(
    'ValidationError',
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );

export interface AssumeRoleDeps {
  roles: LocalRoles;
  authorizer: Pick<Authorizer, 'authorize' | 'resourcePolicyAllows'>;
  now: () => number;
}

export async function assumeRole(
  params: QueryParams,
  principal: Principal,
  deps: AssumeRoleDeps,
): Promise<AssumedRole> {
  const roleArn = params.string('RoleArn');
  if (roleArn === undefined) throw validation('roleArn', '', 'Member must not be null');
  const sessionName = params.string('RoleSessionName');
  if (sessionName === undefined) throw validation('roleSessionName', '', 'Member must not be null');
  if (!SESSION_NAME.test(sessionName))
    throw validation(
      'roleSessionName',
      sessionName,
      'Member must satisfy regular expression pattern: [\\w+=,.@-]*',
    );
  const externalId = params.string('ExternalId');
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId))
    throw validation(
      'externalId',
      externalId,
      'Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*',
    );
  const durationText = params.string('DurationSeconds') ?? String(MAX_SESSION_SECONDS);
  const duration = /^[0-9]{1,6}$/.test(durationText) ? Number(durationText) : Number.NaN;
  if (!(duration >= 900))
    throw validation('durationSeconds', durationText, 'Member must have value greater than or equal to 900');
  if (duration > MAX_SESSION_SECONDS)
    throw new StsError(
      'ValidationError',
      `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
    );
  const arn = ROLE_ARN.exec(roleArn);
  const denied = () =>
    new StsError(
      'AccessDenied',
      `User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      403,
    );
  if (arn === null) {
    if (roleArn.length < 20)
      throw validation('roleArn', roleArn, 'Member must have length greater than or equal to 20');
    throw denied();
  }
  // A role that does not exist is refused as one that does not trust the caller: STS says no more.
  const role = deps.roles.byRoleArn(`arn:aws:iam::${arn[1]}:role/${arn[2]}`);
  if (role?.trustPolicy === undefined) throw denied();
  const trust = role.trustPolicy as unknown as PolicyDocument;
  const request = {
    action: 'sts:AssumeRole',
    resource: roleArnOf(role),
    resourceAccount: role.account,
    resourcePolicy: trust,
    context: {
      'aws:PrincipalArn': principal.kind === 'role' ? principal.roleArn : principal.arn,
      'aws:PrincipalAccount': principal.account,
      'sts:RoleSessionName': sessionName,
      ...(externalId === undefined ? {} : { 'sts:ExternalId': externalId }),
    },
  };
  if (!(await trusted(principal, request, deps))) throw denied();
  const credentials = deps.roles.issueSession(roleArnOf(role), deps.now(), duration, sessionName);
  return {
    credentials,
    roleArn: roleArnOf(role),
    assumedRoleArn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`,
    assumedRoleId: `AROA${role.name
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '')
      .slice(0, 17)}:${sessionName}`,
  };
}

/**
 * The trust policy must allow the caller, always. Another account's caller also needs its own
 * policy to allow (the authorizer's cross-account rule: both). In the role's own account, a
 * trust policy naming the caller is enough; one naming the account defers to the caller's policy.
 */
async function trusted(
  principal: Principal,
  request: Parameters<Authorizer['authorize']>[1][number],
  deps: AssumeRoleDeps,
): Promise<boolean> {
  try {
    if (principal.account !== request.resourceAccount) {
      await deps.authorizer.authorize(principal, [request]);
      return true;
    }
    if (await deps.authorizer.resourcePolicyAllows(principal.arn, request)) return true;
    // A trust naming the account (its root) defers to the caller's own policy. Whether it names
    // it is asked as IAM asks it of another account's caller: the account's root, with every
    // permission of its own, admitted only if the trust admits it.
    const root: Principal = {
      kind: 'root',
      account: principal.account,
      arn: `arn:aws:iam::${principal.account}:root`,
    };
    const elsewhere = principal.account === '000000000001' ? '000000000002' : '000000000001';
    await deps.authorizer.authorize(root, [{ ...request, resourceAccount: elsewhere }]);
    const { resourcePolicy: _trust, ...identityOnly } = request;
    await deps.authorizer.authorize(principal, [identityOnly]);
    return true;
  } catch (error) {
    if (error instanceof AccessDeniedError) return false;
    throw error;
  }
}
