/**
 * Credentials in fleet members: AssumeRole on the member region's spoke role through that
 * region's STS, with the external id; one call per member region per credential lifetime.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemberCredentials, MemberUnreachableError } from '../../../functions/aws/member-credentials.ts';

const HOUR = 3_600_000;
const sts = new STSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const stsMock = mockClient(sts);

let now = 0;
let stsRegions: string[] = [];
let issued = 0;

function member(
  options: Partial<ConstructorParameters<typeof MemberCredentials>[0]> = {},
): MemberCredentials {
  return new MemberCredentials({
    externalId: 'privatelink-gate:999999999999:GateHub',
    spokeRoleName: 'plgate-spoke',
    sessionName: 'GateHub-decide',
    stsFor: (region) => {
      stsRegions.push(region);
      return sts;
    },
    now: () => now,
    ...options,
  });
}

beforeEach(() => {
  now = 0;
  stsRegions = [];
  issued = 0;
  refusals = 0;
  stsMock.reset();
  stsMock.on(AssumeRoleCommand).callsFake(issue);
});

/** AssumeRoles still to refuse, as STS does while the spoke role does not trust the hub. */
let refusals = 0;

async function issue() {
  if (refusals > 0) {
    refusals--;
    throw Object.assign(new Error('not authorized to perform sts:AssumeRole'), { name: 'AccessDenied' });
  }
  issued++;
  return {
    Credentials: {
      AccessKeyId: `ASIA${issued}`,
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(now + HOUR),
    },
  };
}

describe('MemberCredentials', () => {
  it("assumes the member region's spoke role with the external id, through that region's STS", async () => {
    const credentials = await member().credentialsFor('444455556666', 'eu-west-1');
    expect(credentials).toEqual({
      accessKeyId: 'ASIA1',
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: new Date(HOUR),
    });
    expect(stsMock.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input)).toEqual([
      {
        RoleArn: 'arn:aws:iam::444455556666:role/plgate-spoke-eu-west-1',
        RoleSessionName: 'GateHub-decide',
        ExternalId: 'privatelink-gate:999999999999:GateHub',
        DurationSeconds: 3600,
      },
    ]);
    expect(stsRegions).toEqual(['eu-west-1']);
  });

  it('makes one AssumeRole per member region per lifetime, however many callers ask, at once or later', async () => {
    const credentials = member();
    const first = await Promise.all(
      Array.from({ length: 5 }, () => credentials.credentialsFor('444455556666', 'eu-west-1')),
    );
    now = HOUR - 6 * 60_000;
    const later = await credentials.credentialsFor('444455556666', 'eu-west-1');
    expect(new Set([...first, later].map((c) => c.accessKeyId))).toEqual(new Set(['ASIA1']));
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    // Another region or account is another role: a call of its own, on its own region's STS.
    await credentials.credentialsFor('444455556666', 'us-west-2');
    await credentials.credentialsFor('777788889999', 'eu-west-1');
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(3);
    expect(stsRegions).toEqual(['eu-west-1', 'us-west-2']);
  });

  it('renews shortly before they expire, once for every caller that finds them stale', async () => {
    const credentials = member();
    await credentials.credentialsFor('444455556666', 'eu-west-1');
    now = HOUR - 4 * 60_000; // inside the 5-minute margin
    const renewed = await Promise.all(
      Array.from({ length: 3 }, () => credentials.credentialsFor('444455556666', 'eu-west-1')),
    );
    expect(renewed.map((c) => c.accessKeyId)).toEqual(['ASIA2', 'ASIA2', 'ASIA2']);
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('reports a member it cannot assume into, and tries again next time (the member may be fixed)', async () => {
    refusals = 1;
    const credentials = member();
    const failure = await credentials
      .credentialsFor('444455556666', 'eu-west-1')
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MemberUnreachableError);
    expect(failure).toMatchObject({
      account: '444455556666',
      region: 'eu-west-1',
      code: 'AccessDenied',
      roleArn: 'arn:aws:iam::444455556666:role/plgate-spoke-eu-west-1',
    });
    expect(String(failure)).toContain('cannot assume arn:aws:iam::444455556666:role/plgate-spoke-eu-west-1');
    await expect(credentials.credentialsFor('444455556666', 'eu-west-1')).resolves.toMatchObject({
      accessKeyId: 'ASIA1',
    });
  });

  it('refuses an answer without credentials', async () => {
    stsMock.on(AssumeRoleCommand).resolves({});
    await expect(member().credentialsFor('444455556666', 'eu-west-1')).rejects.toMatchObject({
      name: 'MemberUnreachableError',
      code: 'MalformedCredentials',
    });
  });

  it('forgets a member region on request, and the next caller assumes again', async () => {
    const credentials = member();
    await credentials.credentialsFor('444455556666', 'eu-west-1');
    credentials.forget('444455556666', 'eu-west-1');
    await credentials.credentialsFor('444455556666', 'eu-west-1');
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it("uses the member region's own STS endpoint by default, never the global one", async () => {
    const credentials = new MemberCredentials({
      externalId: 'x-1',
      spokeRoleName: 'plgate-spoke',
      sessionName: 'GateHub-sweep',
      clientOptions: { endpoint: 'http://127.0.0.1:4566' },
    });
    // The default client is built for the member's region; mockClient(sts) above intercepts only `sts`.
    const own = mockClient(STSClient);
    own.on(AssumeRoleCommand).callsFake(async function (this: unknown) {
      return {
        Credentials: {
          AccessKeyId: 'A',
          SecretAccessKey: 'B',
          SessionToken: 'C',
          Expiration: new Date(Date.now() + HOUR),
        },
      };
    });
    try {
      await credentials.credentialsFor('444455556666', 'ap-southeast-3');
      const [call] = own.commandCalls(AssumeRoleCommand);
      const client = call?.thisValue as STSClient;
      expect(await client.config.region()).toBe('ap-southeast-3');
      expect(client.config.useGlobalEndpoint).toBe(false);
    } finally {
      own.restore();
    }
  });

  it.each([
    [{ sessionName: 'x' }, 'sessionName must be 2 to 64 characters'],
    [{ durationSeconds: 60 }, 'durationSeconds must be a whole number from 900 to 43200, got 60'],
    [{ refreshMarginMs: 2 * HOUR }, 'refreshMarginMs must be at least 0 and less than'],
  ])('refuses %j', (options, message) => {
    expect(() => member(options)).toThrow(message);
  });
});

describe('MemberCredentials.forgetRefused', () => {
  it('drops a session refused after it was at least the given age, so the next call assumes the role again', async () => {
    const credentials = member();
    await credentials.credentialsFor('444455556666', 'eu-west-1');
    now = 4 * 60_000;
    expect(credentials.forgetRefused('444455556666', 'eu-west-1', 5 * 60_000)).toBe(false);
    await credentials.credentialsFor('444455556666', 'eu-west-1');
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    now = 6 * 60_000;
    expect(credentials.forgetRefused('444455556666', 'eu-west-1', 5 * 60_000)).toBe(true);
    expect((await credentials.credentialsFor('444455556666', 'eu-west-1')).accessKeyId).toBe('ASIA2');
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    // Just assumed again: a refusal now is the role's permissions, not a stale session.
    expect(credentials.forgetRefused('444455556666', 'eu-west-1', 5 * 60_000)).toBe(false);
  });

  it('has nothing to forget for a member region it never assumed', () => {
    expect(member().forgetRefused('444455556666', 'eu-west-1', 0)).toBe(false);
  });
});
