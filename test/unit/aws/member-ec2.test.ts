/**
 * Each member region's EC2: its own client on the spoke role's credentials, its own pace, and
 * connections stamped with where they were read.
 */
import { DescribeVpcEndpointConnectionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemberCredentials } from '../../../functions/aws/member-credentials.ts';
import {
  FORGET_REFUSED_MIDDLEWARE,
  forgetRefusedCredentials,
  MemberEc2,
  REASSUME_AFTER_REFUSAL_MS,
} from '../../../functions/aws/member-ec2.ts';
import { MemberPacing } from '../../../functions/aws/member-pacing.ts';

const sts = new STSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const stsMock = mockClient(sts);
const ec2Mock = mockClient(EC2Client);
// EC2Client's prototype is mocked: restored, so the unit tests sharing this worker get the real one.
afterAll(() => ec2Mock.restore());
const SERVICE = 'vpce-svc-0123456789abcdef0';

const credentials = () =>
  new MemberCredentials({
    externalId: 'x-1',
    spokeRoleName: 'plgate-spoke',
    sessionName: 'GateHub-decide',
    stsFor: () => sts,
  });

beforeEach(() => {
  stsMock.reset();
  ec2Mock.reset();
  stsMock.on(AssumeRoleCommand).callsFake(async (input: { RoleArn: string }) => ({
    Credentials: {
      AccessKeyId: `ASIA-${input.RoleArn.split('/')[1]}`,
      SecretAccessKey: 's',
      SessionToken: 't',
      Expiration: new Date(Date.now() + 3_600_000),
    },
  }));
});

describe('MemberEc2', () => {
  it('keeps one client per member region, signed with that region’s spoke-role credentials', async () => {
    const members = new MemberEc2({ credentials: credentials(), pacing: new MemberPacing() });
    const ireland = members.clientFor('444455556666', 'eu-west-1');
    expect(members.clientFor('444455556666', 'eu-west-1')).toBe(ireland);
    const oregon = members.clientFor('444455556666', 'us-west-2');
    expect(oregon).not.toBe(ireland);
    expect(await ireland.config.region()).toBe('eu-west-1');
    const identity = await ireland.config.credentials();
    expect(identity.accessKeyId).toBe('ASIA-plgate-spoke-eu-west-1');
    expect((await oregon.config.credentials()).accessKeyId).toBe('ASIA-plgate-spoke-us-west-2');
  });

  it("reads a member's connections stamped with its account and region", async () => {
    ec2Mock.on(DescribeVpcEndpointConnectionsCommand).resolves({
      VpcEndpointConnections: [
        {
          ServiceId: SERVICE,
          VpcEndpointId: 'vpce-0b7a3c9d1e2f40516',
          VpcEndpointOwner: '111111111111',
          VpcEndpointState: 'PendingAcceptance',
          CreationTimestamp: new Date('2026-11-21T11:00:00Z'),
        },
      ],
    });
    const members = new MemberEc2({ credentials: credentials(), pacing: new MemberPacing() });
    const services = members.endpointServicesFor('444455556666', 'eu-west-1');
    expect(members.endpointServicesFor('444455556666', 'eu-west-1')).toBe(services);
    const [connection] = await services.describeConnections(SERVICE);
    expect(connection).toMatchObject({ serviceAccount: '444455556666', serviceRegion: 'eu-west-1' });
  });
});

describe('a session EC2 refuses', () => {
  const refusal = (name: string) => Object.assign(new Error(name), { name });
  const run = async (error: Error) => {
    const forgotten: unknown[] = [];
    const middleware = forgetRefusedCredentials(
      {
        forgetRefused: (...args) => {
          forgotten.push(args);
          return true;
        },
      },
      '444455556666',
      'eu-west-1',
    );
    const handler = middleware(async () => {
      throw error;
    }, {});
    await expect(handler({ input: {} })).rejects.toBe(error);
    return forgotten;
  };

  it.each(['AuthFailure', 'UnauthorizedOperation', 'InvalidClientTokenId', 'ExpiredToken'])(
    'is dropped on %s (a spoke deployed again has a new role its old sessions never reach)',
    async (code) => {
      expect(await run(refusal(code))).toEqual([['444455556666', 'eu-west-1', REASSUME_AFTER_REFUSAL_MS]]);
    },
  );

  it('is kept on any other error', async () => {
    expect(await run(refusal('RequestLimitExceeded'))).toEqual([]);
    expect(await run(refusal('InvalidVpcEndpointServiceId.NotFound'))).toEqual([]);
  });

  it("is on every member region's client", () => {
    const members = new MemberEc2({ credentials: credentials(), pacing: new MemberPacing() });
    expect(members.clientFor('444455556666', 'eu-west-1').middlewareStack.identify()).toContainEqual(
      expect.stringContaining(FORGET_REFUSED_MIDDLEWARE),
    );
  });
});

describe('MemberPacing', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives each member region one bucket of its own', () => {
    const pacing = new MemberPacing({ ratePerSecond: 5, burst: 1 });
    expect(pacing.limiterFor('444455556666', 'eu-west-1')).toBe(
      pacing.limiterFor('444455556666', 'eu-west-1'),
    );
    expect(pacing.limiterFor('444455556666', 'eu-west-1')).not.toBe(
      pacing.limiterFor('444455556666', 'us-west-2'),
    );
    expect(pacing.limiterFor('444455556666', 'eu-west-1')).not.toBe(
      pacing.limiterFor('777788889999', 'eu-west-1'),
    );
  });

  it("a member region out of tokens does not hold back another's calls", async () => {
    const pacing = new MemberPacing({ ratePerSecond: 5, burst: 1 });
    const busy = pacing.limiterFor('444455556666', 'eu-west-1');
    const started: string[] = [];
    const job = (name: string) => async () => {
      started.push(name);
    };
    await busy.schedule(job('busy-1'));
    const waiting = busy.schedule(job('busy-2'));
    await pacing.limiterFor('777788889999', 'eu-west-1').schedule(job('other-1'));
    expect(started).toEqual(['busy-1', 'other-1']);
    await vi.advanceTimersByTimeAsync(200);
    await waiting;
    expect(started).toEqual(['busy-1', 'other-1', 'busy-2']);
  });

  it('refuses bad settings when it is built', () => {
    expect(() => new MemberPacing({ ratePerSecond: 0 })).toThrow('ratePerSecond must be a positive number');
  });
});
