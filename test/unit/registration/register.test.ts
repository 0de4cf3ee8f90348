import { describe, expect, it } from 'vitest';
import {
  codeHash,
  type Invitation,
  invitationCode,
} from '../../../functions/core/registration/invitation.ts';
import { readStsAnswer, type StsAnswer } from '../../../functions/core/registration/sts-answer.ts';
import { stsEndpoints } from '../../../functions/core/registration/sts-endpoints.ts';
import {
  type CheckedStsRequest,
  INVITATION_HEADER,
} from '../../../functions/core/registration/sts-request.ts';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-items.ts';
import type { LedgerEntry, Notice } from '../../../functions/gate/ports.ts';
import {
  type RegisterDeps,
  RegistrationRefusedError,
  registerConsumer,
} from '../../../functions/gate/register.ts';
import { handleRuleChanges } from '../../../functions/gate/rule-change.ts';

const NOW = new Date('2026-12-01T10:00:00Z');
const ID = 'inv-0123456789abcdef';
const CODE = invitationCode(ID, 'A'.repeat(43));
const SERVICE = 'vpce-svc-0123456789abcdef0';

function proof() {
  return {
    method: 'POST',
    url: 'https://sts.us-east-1.amazonaws.com/',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-amz-date': '20261201T095959Z',
      [INVITATION_HEADER]: ID,
      authorization: `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261201/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date;${INVITATION_HEADER}, Signature=${'b'.repeat(64)}`,
    },
    body: 'Action=GetCallerIdentity&Version=2011-06-15',
  };
}

function world(invitation: Partial<Invitation> = {}, answer: StsAnswer = identity('111122223333')) {
  const stored: Invitation = {
    id: ID,
    codeHash: codeHash(CODE),
    serviceId: SERVICE,
    createdAt: '2026-12-01T00:00:00Z',
    expiresAt: '2026-12-02T00:00:00Z',
    acceptFor: 'P30D',
    createdBy: 'test',
    status: 'open',
    ...invitation,
  };
  const sent: CheckedStsRequest[] = [];
  const allowed: string[] = [];
  const items: Record<string, unknown>[] = [];
  const entries: LedgerEntry[] = [];
  const notices: Notice[] = [];
  const deps: RegisterDeps = {
    invitations: {
      get: async (id) => (id === stored.id ? { ...stored } : undefined),
      redeem: async (_id, hash, redemption) => {
        // The conditional write, as DynamoDB would judge it.
        if (hash !== stored.codeHash || stored.status !== 'open' || stored.expiresAt <= redemption.at)
          return false;
        if (stored.account !== undefined && stored.account !== redemption.account) return false;
        stored.status = 'redeemed';
        return true;
      },
    },
    sts: {
      callerIdentity: async (request) => {
        sent.push(request);
        return answer;
      },
    },
    services: {
      managedServiceName: async (id) => `com.amazonaws.vpce.us-east-1.${id}`,
      allowAccount: async (_id, account) => {
        allowed.push(account);
      },
    },
    rules: {
      putItems: async (written) => {
        items.push(...written);
      },
      bumpVersion: async () => 7,
    },
    ledger: { append: async (entry) => void entries.push(entry) },
    notifier: { publish: async (notice) => void notices.push(notice) },
    stsEndpoints: stsEndpoints(),
    now: () => NOW,
  };
  return { deps, stored, sent, allowed, items, entries, notices };
}

function identity(account: string): StsAnswer {
  return {
    ok: true,
    identity: { account, arn: `arn:aws:sts::${account}:assumed-role/dev/alice`, userId: 'AROA:alice' },
  };
}

async function refusal(body: unknown, deps: RegisterDeps): Promise<RegistrationRefusedError> {
  try {
    await registerConsumer(body, deps);
  } catch (error) {
    if (error instanceof RegistrationRefusedError) return error;
    throw error;
  }
  throw new Error('registration was not refused');
}

describe('registerConsumer', () => {
  it('admits the account STS names: principal, a valid time-boxed accept rule, ledger entry and notice', async () => {
    const w = world();
    const registration = await registerConsumer({ code: CODE, request: proof() }, w.deps);
    expect(registration).toMatchObject({
      serviceId: SERVICE,
      account: '111122223333',
      acceptedUntil: '2026-12-31T10:00:00.000Z',
    });
    expect(w.sent).toHaveLength(1);
    expect(w.allowed).toEqual(['111122223333']);
    const { ruleSet, problems } = ruleSetFromItems(w.items);
    expect(problems).toEqual([]);
    expect(ruleSet.rules[0]).toMatchObject({
      effect: 'accept',
      services: [SERVICE],
      match: { accounts: ['111122223333'] },
      validUntil: '2026-12-31T10:00:00.000Z',
    });
    expect(w.entries[0]).toMatchObject({
      outcome: 'registered',
      actor: 'arn:aws:sts::111122223333:assumed-role/dev/alice',
      rulesVersion: 7,
      endpointId: SERVICE,
    });
    expect(w.notices).toEqual([{ kind: 'decision', entry: w.entries[0] }]);
  });

  it.each([
    ['a bare claim', { code: CODE, account: '111122223333' }, 'bare-claim', 400],
    ['no code', { request: proof() }, 'malformed', 400],
    [
      'an unknown code',
      { code: invitationCode('inv-ffffffffffffffff', 'A'.repeat(43)), request: proof() },
      'unknown-code',
      404,
    ],
    ['a wrong secret', { code: invitationCode(ID, 'B'.repeat(43)), request: proof() }, 'unknown-code', 404],
    ['not JSON object', 'code', 'malformed', 400],
  ])('refuses %s and sends nothing to STS', async (_name, body, reason, status) => {
    const w = world();
    const error = await refusal(body, w.deps);
    expect({ reason: error.reason, status: error.status }).toEqual({ reason, status });
    expect(w.sent).toEqual([]);
    expect(w.allowed).toEqual([]);
  });

  it.each([
    ['used', { status: 'redeemed' as const }, 'used-code', 409],
    ['revoked', { status: 'revoked' as const }, 'revoked-code', 410],
    ['expired', { expiresAt: '2026-12-01T09:59:59Z' }, 'expired-code', 410],
  ])('refuses a %s code before asking STS', async (_name, invitation, reason, status) => {
    const w = world(invitation);
    const error = await refusal({ code: CODE, request: proof() }, w.deps);
    expect({ reason: error.reason, status: error.status }).toEqual({ reason, status });
    expect(w.sent).toEqual([]);
  });

  it('refuses what STS refuses, and the code stays open', async () => {
    const w = world({}, { ok: false, code: 'SignatureDoesNotMatch', message: 'no' });
    const error = await refusal({ code: CODE, request: proof() }, w.deps);
    expect(error).toMatchObject({ reason: 'sts-refused', status: 403 });
    expect(error.message).toContain('SignatureDoesNotMatch');
    expect(w.stored.status).toBe('open');
    expect(w.allowed).toEqual([]);
  });

  it('refuses another account than the pinned one, and the code stays open', async () => {
    const w = world({ account: '999988887777' });
    const error = await refusal({ code: CODE, request: proof() }, w.deps);
    expect(error).toMatchObject({ reason: 'wrong-account', status: 403 });
    expect(w.stored.status).toBe('open');
  });

  it('refuses a proof bound to another invitation', async () => {
    const w = world();
    const request = proof();
    request.headers[INVITATION_HEADER] = 'inv-ffffffffffffffff';
    expect(await refusal({ code: CODE, request }, w.deps)).toMatchObject({ reason: 'unsigned' });
    expect(w.sent).toEqual([]);
  });

  it('of two redemptions racing past the first read, only the conditional write’s winner is admitted', async () => {
    const w = world();
    const results = await Promise.allSettled([
      registerConsumer({ code: CODE, request: proof() }, w.deps),
      registerConsumer({ code: CODE, request: proof() }, w.deps),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected');
    expect(lost?.status === 'rejected' && lost.reason).toMatchObject({ reason: 'used-code', status: 409 });
    expect(w.allowed).toHaveLength(1);
  });
});

describe('readStsAnswer', () => {
  it('reads account and ARN from the XML answer, and a refusal from the error document', () => {
    const ok = readStsAnswer(
      200,
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/alice</Arn><UserId>AIDA</UserId><Account>111122223333</Account></GetCallerIdentityResult></GetCallerIdentityResponse>',
    );
    expect(ok).toEqual({
      ok: true,
      identity: { account: '111122223333', arn: 'arn:aws:iam::111122223333:user/alice', userId: 'AIDA' },
    });
    const refused = readStsAnswer(
      403,
      '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>',
    );
    expect(refused).toEqual({
      ok: false,
      code: 'InvalidClientTokenId',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('reads the JSON answer too', () => {
    const ok = readStsAnswer(
      200,
      JSON.stringify({
        GetCallerIdentityResponse: {
          GetCallerIdentityResult: {
            Account: '111122223333',
            Arn: 'arn:aws:iam::111122223333:root',
            UserId: '111122223333',
          },
        },
      }),
    );
    expect(ok.ok && ok.identity.account).toBe('111122223333');
  });

  it('throws when a 200 names no account, or an ARN of another account', () => {
    expect(() => readStsAnswer(200, '<html>hello</html>')).toThrow(/12-digit Account/);
    expect(() =>
      readStsAnswer(
        200,
        '<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::999999999999:root</Arn><Account>111122223333</Account></GetCallerIdentityResult></GetCallerIdentityResponse>',
      ),
    ).toThrow(/not of account/);
  });
});

describe('invitations in the rules table', () => {
  const invitationItem = {
    kind: 'invitation',
    id: ID,
    codeHash: codeHash(CODE),
    serviceId: SERVICE,
    status: 'open',
  };

  it('are no rule: the engine skips them and reports no problem', () => {
    const { ruleSet, problems } = ruleSetFromItems([
      invitationItem,
      { kind: 'rule', id: 'r', effect: 'accept' },
    ]);
    expect(problems).toEqual([]);
    expect(ruleSet.invalid).toEqual([]);
    expect(ruleSet.rules.map((r) => r.id)).toEqual(['r']);
  });

  it('change no decision: rule-change neither validates them, nor bumps the version, nor sweeps', async () => {
    let bumps = 0;
    const sweeps: unknown[] = [];
    const result = await handleRuleChanges([{ id: '1', newItem: invitationItem }], {
      rulesStore: { version: async () => 1, items: async () => [], bumpVersion: async () => ++bumps },
      ledger: {} as never,
      notifier: {} as never,
      events: { requestSweep: async (d: unknown) => void sweeps.push(d) } as never,
      now: () => NOW,
    });
    expect(result).toEqual({ invalid: [], services: [] });
    expect(bumps).toBe(0);
    expect(sweeps).toEqual([]);
  });
});
