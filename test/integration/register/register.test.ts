/**
 * Consumer self-registration on the local cloud, end to end: the provider invites with the
 * real `plgate invite`, the consumer registers with the real `plgate register` and its own
 * 12-digit credentials, creates its endpoint with the AWS CLI, and the gate accepts it.
 * Every refusal is here too.
 */
import { randomBytes } from 'node:crypto';
import { DescribeVpcEndpointServicePermissionsCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signProof } from '../../../cli/proof-of-account.ts';
import { createClients } from '../../../functions/aws/clients.ts';
import { DynamoInvitations } from '../../../functions/aws/invitations.ts';
import { codeHash, invitationCode } from '../../../functions/core/registration/invitation.ts';
import { PROVIDER_CREDENTIALS } from '../../../local/provider-credentials.ts';

import { plgateInProcessWith as plgate } from '../../cli/run-plgate-in-process.ts';
import { createEndpointWithCli } from '../../support/aws-cli.ts';
import { gateRole } from '../../support/gate-role.ts';
import {
  createService,
  type LocalGateWorld,
  notices,
  outcomesOf,
  settle,
  startLocalGate,
  stateOf,
} from '../../support/local-gate.ts';

let world: LocalGateWorld;
let serviceId: string;
let invitations: DynamoInvitations;

const providerEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  AWS_ENDPOINT_URL: world.cloud.endpoint,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'provider',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
});
const consumerEnv = (account: string, secret = 'consumer-secret'): NodeJS.ProcessEnv => ({
  ...providerEnv(),
  AWS_ACCESS_KEY_ID: account,
  AWS_SECRET_ACCESS_KEY: secret,
});
const registerUrl = () => world.gate.registerUrl;

async function invite(
  args: string[] = [],
): Promise<{ code: string; serviceId: string; expiresAt: string; registerUrl: string }> {
  const run = await plgate(['invite', '--service', serviceId, '--json', ...args], { env: providerEnv() });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

const register = (code: string, account: string, secret?: string) =>
  plgate(['register', '--code', code, '--api', registerUrl(), '--json'], {
    env: consumerEnv(account, secret),
  });

async function postRegistration(
  body: unknown,
): Promise<{ status: number; body: { message?: string; reason?: string } }> {
  // A second passes between redemptions: the stage's throttle (burst 10, 5 a second, as the
  // stack sets it) refills, as it would between consumers. The throttle itself is tested in
  // test/integration/local-cloud/http-api.test.ts.
  world.cloud.clock.advance(1000);
  const response = await fetch(registerUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { message?: string; reason?: string } };
}

/** An invitation written as `plgate invite` writes it, without a process per test. */
async function inviteInProcess(
  options: { account?: string; expiresAt?: Date } = {},
): Promise<{ code: string; id: string }> {
  const id = `inv-${randomBytes(8).toString('hex')}`;
  const code = invitationCode(id, randomBytes(32).toString('base64url'));
  const now = new Date();
  await invitations.create({
    id,
    codeHash: codeHash(code),
    serviceId,
    ...(options.account ? { account: options.account } : {}),
    createdAt: now.toISOString(),
    expiresAt: (options.expiresAt ?? new Date(now.getTime() + 3_600_000)).toISOString(),
    acceptFor: 'P30D',
    createdBy: 'test',
    status: 'open',
  });
  return { code, id };
}

/** What `plgate register` sends, signed with the given consumer credentials. */
async function registerInProcess(code: string, account: string, secret = 'consumer-secret') {
  const request = await signProof(code.slice(0, code.indexOf('.')), {
    credentials: { accessKeyId: account, secretAccessKey: secret },
    region: 'us-east-1',
    env: { AWS_ENDPOINT_URL: world.cloud.endpoint },
  });
  return postRegistration({ code, request });
}

const endpointWithCli = (account: string) =>
  createEndpointWithCli({ endpoint: world.cloud.endpoint, accessKeyId: account }, serviceId);

async function allowedPrincipals(): Promise<string[]> {
  const out = await world.provider.send(
    new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: serviceId }),
  );
  return (out.AllowedPrincipals ?? []).map((p) => p.Principal ?? '').sort();
}

beforeAll(async () => {
  // Two register environments, so two redemptions of one code can race (see below).
  world = await startLocalGate(undefined, { environmentsPerFunction: 2 });
  // No principals and no rules: nobody gets in unless invited.
  serviceId = await createService(world.provider, { principals: [] });
  await world.gate.sweepNow();
  const clients = createClients({
    endpoint: world.cloud.endpoint,
    region: 'us-east-1',
    credentials: PROVIDER_CREDENTIALS,
  });
  invitations = new DynamoInvitations(clients.dynamodb, world.gate.config.rulesTable);
}, 60_000);

afterAll(async () => {
  await world?.stop();
});

describe('plgate invite, plgate register, then the AWS CLI', () => {
  it('an uninvited account cannot create an endpoint to the service', async () => {
    await expect(endpointWithCli('444444444444')).rejects.toThrow(/not allowed|NotFound|InvalidServiceName/i);
  }, 120_000);

  it('an invited account registers with its own credentials, creates its endpoint and is accepted', async () => {
    const invitation = await invite();
    expect(invitation.code).toMatch(/^inv-[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(invitation.registerUrl).toBe(registerUrl());

    const run = await register(invitation.code, '111111111111');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const registered = JSON.parse(run.stdout);
    expect(registered).toMatchObject({
      serviceId,
      serviceName: `com.amazonaws.vpce.us-east-1.${serviceId}`,
      account: '111111111111',
    });
    expect(Date.parse(registered.acceptedUntil)).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    expect(await allowedPrincipals()).toContain('arn:aws:iam::111111111111:root');

    const endpointId = await endpointWithCli('111111111111');
    await settle(world);
    expect(['pending', 'available']).toContain(await stateOf(world, serviceId, endpointId));
    const [decision] = await outcomesOf(world, endpointId);
    expect(decision).toMatchObject({ outcome: 'accepted', rule: `registered-111111111111-${serviceId}` });

    const registration = (await world.ledger.history({ serviceId })).find((e) => e.outcome === 'registered');
    expect(registration).toMatchObject({
      account: '111111111111',
      actor: 'arn:aws:iam::111111111111:root',
      trigger: 'register',
    });
    expect(notices(world).some((n) => n.kind === 'decision' && n.entry.outcome === 'registered')).toBe(true);

    // A second use of the code, by the same account or any other, is refused and admits nobody.
    const again = await register(invitation.code, '111111111111');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/HTTP 409.*already been used/);
    const other = await register(invitation.code, '222222222222');
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/already been used/);
    expect(await allowedPrincipals()).not.toContain('arn:aws:iam::222222222222:root');
    await expect(endpointWithCli('222222222222')).rejects.toThrow();
  }, 240_000);

  it('lists open invitations without their codes, and a revoked one is refused', async () => {
    const invitation = await invite(['--account', '555555555555']);
    const id = invitation.code.slice(0, invitation.code.indexOf('.'));
    const listed = await plgate(['invites', '--json'], { env: providerEnv() });
    expect(listed.code).toBe(0);
    const open = JSON.parse(listed.stdout) as { id: string; account?: string }[];
    expect(open.find((i) => i.id === id)).toMatchObject({ account: '555555555555' });
    expect(listed.stdout).not.toContain(invitation.code.slice(invitation.code.indexOf('.') + 1));
    expect(listed.stdout).not.toContain('codeHash');

    const revoked = await plgate(['invites', 'revoke', id], { env: providerEnv() });
    expect(revoked.code).toBe(0);
    const run = await register(invitation.code, '555555555555');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/HTTP 410.*revoked/);
    const after = JSON.parse((await plgate(['invites', '--json'], { env: providerEnv() })).stdout) as {
      id: string;
    }[];
    expect(after.some((i) => i.id === id)).toBe(false);
  }, 240_000);
});

describe('refusals', () => {
  it('refuses an expired code', async () => {
    const { code } = await inviteInProcess({ expiresAt: new Date(Date.now() - 60_000) });
    const answer = await registerInProcess(code, '666666666666');
    expect(answer.status).toBe(410);
    expect(answer.body.message).toMatch(/expired/);
    expect(await allowedPrincipals()).not.toContain('arn:aws:iam::666666666666:root');
  });

  it('refuses an unknown code, and a real id with a wrong secret alike', async () => {
    const { id } = await inviteInProcess();
    for (const code of [
      `${id}.${randomBytes(32).toString('base64url')}`,
      `inv-0000000000000000.${randomBytes(32).toString('base64url')}`,
    ]) {
      const answer = await registerInProcess(code, '777777777777');
      expect(answer).toMatchObject({
        status: 404,
        body: { reason: 'unknown-code', message: 'code: no such invitation' },
      });
    }
  });

  it('refuses a bare claim of an account, without a signed request', async () => {
    const { code } = await inviteInProcess();
    const answer = await postRegistration({ code, account: '888888888888' });
    expect(answer.status).toBe(400);
    expect(answer.body.reason).toBe('bare-claim');
    expect(answer.body.message).toMatch(/signed sts:GetCallerIdentity/);
    expect(await allowedPrincipals()).not.toContain('arn:aws:iam::888888888888:root');
  });

  it('refuses a request signed with a secret STS does not know, and leaves the code usable', async () => {
    world.cloud.credentials.setSecret('999999999999', 'the-real-secret');
    const { code } = await inviteInProcess();
    const wrong = await registerInProcess(code, '999999999999', 'a-guessed-secret');
    expect(wrong.status).toBe(403);
    expect(wrong.body.message).toMatch(/STS refused the signed request: SignatureDoesNotMatch/);
    expect(await allowedPrincipals()).not.toContain('arn:aws:iam::999999999999:root');

    const right = await registerInProcess(code, '999999999999', 'the-real-secret');
    expect(right.status).toBe(200);
  });

  it('refuses a proof for another host, another action, or signed too long ago', async () => {
    const { code, id } = await inviteInProcess();
    const credentials = { accessKeyId: '121212121212', secretAccessKey: 'x' };
    const elsewhere = await signProof(id, {
      credentials,
      region: 'us-east-1',
      env: { AWS_ENDPOINT_URL: 'https://evil.example' },
    });
    expect(await postRegistration({ code, request: elsewhere })).toMatchObject({
      status: 400,
      body: { reason: 'not-sts' },
    });

    const proof = await signProof(id, {
      credentials,
      region: 'us-east-1',
      env: { AWS_ENDPOINT_URL: world.cloud.endpoint },
    });
    const assumeRole = {
      ...proof,
      body: 'Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::000000000000:role/x',
    };
    expect(await postRegistration({ code, request: assumeRole })).toMatchObject({
      status: 400,
      body: { reason: 'not-get-caller-identity' },
    });

    const stale = await signProof(id, {
      credentials,
      region: 'us-east-1',
      env: { AWS_ENDPOINT_URL: world.cloud.endpoint },
      signingDate: new Date(Date.now() - 10 * 60_000),
    });
    expect(await postRegistration({ code, request: stale })).toMatchObject({
      status: 400,
      body: { reason: 'stale' },
    });
    expect(await allowedPrincipals()).not.toContain('arn:aws:iam::121212121212:root');
  });

  it('refuses an account the invitation is not pinned to, and keeps the code for the right one', async () => {
    const { code } = await inviteInProcess({ account: '131313131313' });
    const wrong = await registerInProcess(code, '141414141414');
    expect(wrong.status).toBe(403);
    expect(wrong.body.message).toMatch(/for account 131313131313/);
    expect((await registerInProcess(code, '131313131313')).status).toBe(200);
  });

  it('of two concurrent redemptions of one code, exactly one wins', async () => {
    for (let round = 0; round < 3; round++) {
      const { code } = await inviteInProcess();
      const accounts = [`15151515151${round}`, `16161616161${round}`];
      const answers = await Promise.all(accounts.map((account) => registerInProcess(code, account)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
      const winner = accounts[answers.findIndex((a) => a.status === 200)];
      const loser = accounts.find((a) => a !== winner);
      const principals = await allowedPrincipals();
      expect(principals).toContain(`arn:aws:iam::${winner}:root`);
      expect(principals).not.toContain(`arn:aws:iam::${loser}:root`);
    }
  });

  it('counts invitations as no rule: no invalid-rule notice for any of them', async () => {
    await settle(world);
    expect(notices(world).filter((n) => n.kind === 'invalid-rule')).toEqual([]);
  });
});

describe('the register function runs under its own role, as on AWS', () => {
  const role = () => gateRole(world, 'register').role;
  type Statements = Record<string, unknown>[];

  async function withPolicy(change: (statements: Statements) => Statements, test: () => Promise<void>) {
    const restore = gateRole(world, 'register').change(change);
    try {
      await test();
    } finally {
      restore();
    }
  }

  const denials = (action: string) =>
    world.cloud.logs.filter(
      (line) =>
        line.includes('iam: denied') &&
        line.includes(`assumed-role/${role().name}/`) &&
        line.includes(`perform: ${action} on resource:`),
    );

  it('signs with its role key, and every call it made was allowed to that role', async () => {
    const { code } = await inviteInProcess();
    expect((await registerInProcess(code, '171717171717')).status).toBe(200);
    const calls = world.cloud.iam.allowedCalls().filter((call) => call.role === role().name);
    const actions = new Set(calls.map((call) => call.action));
    for (const action of [
      'ec2:DescribeVpcEndpointServiceConfigurations',
      'ec2:ModifyVpcEndpointServicePermissions',
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'dynamodb:PutItem',
      'sns:Publish',
    ]) {
      expect(actions, action).toContain(action);
    }
  });

  it('without its allowed-principals statement, EC2 refuses it: the consumer gets a 500 and no access', async () => {
    const { code } = await inviteInProcess();
    await withPolicy(
      (statements) => statements.filter((statement) => statement.Sid !== 'AllowPrincipalsOnManagedServices'),
      async () => {
        const answer = await registerInProcess(code, '181818181818');
        expect(answer).toEqual({ status: 500, body: { message: 'Internal Server Error' } });
      },
    );
    expect(denials('ec2:ModifyVpcEndpointServicePermissions')[0]).toContain(
      `vpc-endpoint-service/${serviceId} because no identity-based policy allows the ec2:ModifyVpcEndpointServicePermissions action`,
    );
    // The function failed as its Lambda would (the API answered its error), with EC2's words naming its role.
    expect(
      world.cloud.logs.some(
        (line) =>
          line.includes(
            'POST /register: function error UnauthorizedOperation: You are not authorized to perform this operation.',
          ) && line.includes(`User: arn:aws:sts::${world.cloud.account}:assumed-role/${role().name}/`),
      ),
    ).toBe(true);
    expect(await allowedPrincipals()).not.toContain('arn:aws:iam::181818181818:root');
  });

  it('its rules-table grant is held to invitations, rules and the version: a rule key outside them is refused', async () => {
    const { code } = await inviteInProcess();
    // The same grant without 'rule' among the leading keys: writing the accept rule is refused.
    await withPolicy(
      (statements) =>
        statements.map((statement) =>
          statement.Sid === 'InvitationsRulesAndVersion'
            ? {
                ...statement,
                Condition: {
                  'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['invitation', 'meta'] },
                },
              }
            : statement,
        ),
      async () => {
        const answer = await registerInProcess(code, '191919191919');
        expect(answer.status).toBe(500);
      },
    );
    expect(denials('dynamodb:BatchWriteItem')[0]).toContain(
      `table/${world.gate.config.rulesTable} because no identity-based policy allows the dynamodb:BatchWriteItem action`,
    );
    const rules = await world.rules.items();
    expect(rules.find((item) => item.id === `registered-191919191919-${serviceId}`)).toBeUndefined();
  });
});
