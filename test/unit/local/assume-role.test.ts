/**
 * STS AssumeRole on the local cloud: the role's trust policy decides, evaluated by the same IAM
 * simulator as every call (principal, `aws:PrincipalArn`, `sts:ExternalId`); a caller of
 * another account also needs its own policy; what is handed out is a session of the role, in
 * the role's account. Bad input is refused with STS's errors, naming the value.
 */
import { describe, expect, it } from 'vitest';
import { Authorizer } from '../../../local/iam/authorizer.ts';
import { type Caller, LocalRoles } from '../../../local/identity.ts';
import { QueryParams } from '../../../local/query-params.ts';
import { assumeRole, StsError } from '../../../local/sts/assume-role.ts';

const HUB = '000000000000';
const MEMBER = '111111111111';
const EXTERNAL_ID = 'privatelink-gate:000000000000:PrivateLinkGate';
const SPOKE = `arn:aws:iam::${MEMBER}:role/plgate-spoke-eu-west-1`;

function world() {
  const roles = new LocalRoles();
  roles.define({
    name: 'PrivateLinkGate-decide',
    account: HUB,
    statements: [
      { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/plgate-spoke-*' },
    ],
  });
  roles.define({
    name: 'PrivateLinkGate-rule-change',
    account: HUB,
    statements: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' }],
  });
  roles.define({
    name: 'plgate-spoke-eu-west-1',
    account: MEMBER,
    statements: [{ Effect: 'Allow', Action: 'ec2:DescribeVpcEndpointConnections', Resource: '*' }],
    trustPolicy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { AWS: `arn:aws:iam::${HUB}:root` },
          Condition: {
            ArnEquals: { 'aws:PrincipalArn': [`arn:aws:iam::${HUB}:role/PrivateLinkGate-decide`] },
            StringEquals: { 'sts:ExternalId': EXTERNAL_ID },
          },
        },
      ],
    },
  });
  roles.define({
    name: 'member-admin',
    account: MEMBER,
    statements: [],
    trustPolicy: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: `arn:aws:iam::${MEMBER}:root` } },
      ],
    },
  });
  const authorizer = new Authorizer(() => {});
  const callerOf = (accessKeyId: string): Caller => ({
    account: roles.accountOfKey(accessKeyId) ?? (/^[0-9]{12}$/.test(accessKeyId) ? accessKeyId : HUB),
    region: 'eu-west-1',
    service: 'sts',
    accessKeyId,
  });
  const sessionOf = (roleName: string, account = HUB) =>
    roles.issueSession(`arn:aws:iam::${account}:role/${roleName}`).accessKeyId;
  const assume = (accessKeyId: string, params: Record<string, string>) =>
    assumeRole(
      QueryParams.fromSearchParams(
        new URLSearchParams({ Action: 'AssumeRole', RoleSessionName: 'test-session', ...params }),
      ),
      roles.principalOf(callerOf(accessKeyId)),
      { roles, authorizer, now: () => Date.parse('2026-12-07T10:00:00Z') },
    );
  return { roles, callerOf, sessionOf, assume };
}

const refused = async (call: Promise<unknown>): Promise<StsError> => {
  try {
    await call;
  } catch (error) {
    if (error instanceof StsError) return error;
    throw error;
  }
  throw new Error('expected an StsError, the call succeeded');
};

describe('AssumeRole', () => {
  it("grants the hub function its trust names, with the external id: a session of the role, in the member's account", async () => {
    const { assume, sessionOf, roles, callerOf } = world();
    const assumed = await assume(sessionOf('PrivateLinkGate-decide'), {
      RoleArn: SPOKE,
      ExternalId: EXTERNAL_ID,
      DurationSeconds: '900',
    });
    expect(assumed.assumedRoleArn).toBe(
      `arn:aws:sts::${MEMBER}:assumed-role/plgate-spoke-eu-west-1/test-session`,
    );
    expect(assumed.credentials.expiration.toISOString()).toBe('2026-12-07T10:15:00.000Z');
    const caller = callerOf(assumed.credentials.accessKeyId);
    expect(caller.account).toBe(MEMBER);
    expect(roles.principalOf(caller)).toMatchObject({ kind: 'role', account: MEMBER, roleArn: SPOKE });
  });

  it('a session whose role was deleted acts as nobody else: the role, in its account, with no permission', async () => {
    const { assume, sessionOf, roles, callerOf } = world();
    const assumed = await assume(sessionOf('PrivateLinkGate-decide'), {
      RoleArn: SPOKE,
      ExternalId: EXTERNAL_ID,
    });
    const key = assumed.credentials.accessKeyId;
    const spoke = roles.byRoleArn(SPOKE);
    roles.remove(SPOKE);
    const principal = roles.principalOf(callerOf(key));
    expect(principal).toMatchObject({ kind: 'role', account: MEMBER, roleArn: SPOKE });
    const request = { action: 'ec2:DescribeVpcEndpointConnections', resource: '*', resourceAccount: MEMBER };
    await expect(new Authorizer(() => {}).authorize(principal, [request])).rejects.toThrow(/not authorized/);
    // The role made again (its stack deployed again): the old session stays dead.
    if (spoke !== undefined) roles.define(spoke);
    await expect(
      new Authorizer(() => {}).authorize(roles.principalOf(callerOf(key)), [request]),
    ).rejects.toThrow(/not authorized/);
  });

  it.each([
    ['a wrong external id', { ExternalId: 'privatelink-gate:someone-else' }, 'PrivateLinkGate-decide'],
    ['no external id', {}, 'PrivateLinkGate-decide'],
    ['another of the hub roles', { ExternalId: EXTERNAL_ID }, 'PrivateLinkGate-rule-change'],
  ])(
    'refuses %s with AccessDenied (403), naming the caller and the role',
    async (_what, params, roleName) => {
      const { assume, sessionOf } = world();
      const error = await refused(assume(sessionOf(roleName), { RoleArn: SPOKE, ...params }));
      expect(error).toMatchObject({ code: 'AccessDenied', status: 403 });
      expect(error.message).toBe(
        `User: arn:aws:sts::${HUB}:assumed-role/${roleName}/${roleName} is not authorized to perform: sts:AssumeRole on resource: ${SPOKE}`,
      );
    },
  );

  it("refuses a consumer's root, the provider's administrator, and a role that does not exist, alike", async () => {
    const { assume } = world();
    for (const key of ['333333333333', 'test'])
      expect(await refused(assume(key, { RoleArn: SPOKE, ExternalId: EXTERNAL_ID }))).toMatchObject({
        code: 'AccessDenied',
      });
    expect(
      await refused(assume('333333333333', { RoleArn: `arn:aws:iam::${MEMBER}:role/no-such-role` })),
    ).toMatchObject({ code: 'AccessDenied' });
  });

  it("lets the account's own root in where the trust names the account", async () => {
    const { assume } = world();
    const assumed = await assume(MEMBER, { RoleArn: `arn:aws:iam::${MEMBER}:role/member-admin` });
    expect(assumed.assumedRoleArn).toContain(`${MEMBER}:assumed-role/member-admin/`);
    // A role in the same account whose own policy allows no AssumeRole is refused by that trust.
    const { assume: again, sessionOf } = world();
    expect(
      await refused(
        again(sessionOf('plgate-spoke-eu-west-1', MEMBER), {
          RoleArn: `arn:aws:iam::${MEMBER}:role/member-admin`,
        }),
      ),
    ).toMatchObject({ code: 'AccessDenied' });
  });

  it.each([
    [{ RoleArn: 'arn:aws:iam::1:role' }, /Value 'arn:aws:iam::1:role' at 'roleArn'/],
    [{ RoleArn: SPOKE, RoleSessionName: 'x' }, /Value 'x' at 'roleSessionName'/],
    [{ RoleArn: SPOKE, DurationSeconds: '899' }, /Value '899' at 'durationSeconds'/],
    [{ RoleArn: SPOKE, DurationSeconds: '3601' }, /exceeds the MaxSessionDuration/],
    [{ RoleArn: SPOKE, ExternalId: 'a b' }, /Value 'a b' at 'externalId'/],
    [{}, /at 'roleArn' failed to satisfy constraint: Member must not be null/],
  ])('refuses %j with a ValidationError naming the value', async (params, message) => {
    const { assume, sessionOf } = world();
    const error = await refused(assume(sessionOf('PrivateLinkGate-decide'), params));
    expect(error).toMatchObject({ code: 'ValidationError', status: 400 });
    expect(error.message).toMatch(message);
  });
});
