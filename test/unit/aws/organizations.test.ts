import {
  DescribeOrganizationCommand,
  ListParentsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsOrganizationDirectory } from '../../../functions/aws/organizations.ts';

const org = new OrganizationsClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
const orgMock = mockClient(org);
const ACCOUNT = '111122223333';

function tree(): void {
  orgMock
    .on(ListParentsCommand, { ChildId: ACCOUNT })
    .resolves({ Parents: [{ Id: 'ou-ab12-child111', Type: 'ORGANIZATIONAL_UNIT' }] })
    .on(ListParentsCommand, { ChildId: 'ou-ab12-child111' })
    .resolves({ Parents: [{ Id: 'ou-ab12-parent11', Type: 'ORGANIZATIONAL_UNIT' }] })
    .on(ListParentsCommand, { ChildId: 'ou-ab12-parent11' })
    .resolves({ Parents: [{ Id: 'r-ab12', Type: 'ROOT' }] })
    .on(DescribeOrganizationCommand)
    .resolves({ Organization: { Id: 'o-abc123def4' } });
}

beforeEach(() => {
  orgMock.reset();
});

describe('AwsOrganizationDirectory', () => {
  it('walks up to the root and returns the OUs from the root down', async () => {
    tree();
    const path = await new AwsOrganizationDirectory(org).pathOf(ACCOUNT);
    expect(path).toEqual({ organizationId: 'o-abc123def4', ouIds: ['ou-ab12-parent11', 'ou-ab12-child111'] });
  });

  it('caches per account until the TTL, and looks up once for concurrent callers', async () => {
    tree();
    let now = 0;
    const directory = new AwsOrganizationDirectory(org, { ttlMs: 1000, now: () => now });
    await Promise.all([directory.pathOf(ACCOUNT), directory.pathOf(ACCOUNT)]);
    await directory.pathOf(ACCOUNT);
    expect(orgMock.commandCalls(ListParentsCommand)).toHaveLength(3);
    expect(orgMock.commandCalls(DescribeOrganizationCommand)).toHaveLength(1);
    now = 1001;
    await directory.pathOf(ACCOUNT);
    expect(orgMock.commandCalls(ListParentsCommand)).toHaveLength(6);
  });

  it('answers undefined (never throws) when a lookup fails, and remembers the failure briefly', async () => {
    orgMock
      .on(ListParentsCommand)
      .rejects(Object.assign(new Error('not in your organization'), { name: 'ChildNotFoundException' }));
    let now = 0;
    const warnings: unknown[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (...args: unknown[]) => warnings.push(args),
      error: () => {},
    };
    const directory = new AwsOrganizationDirectory(org, { failureTtlMs: 100, now: () => now, logger });
    expect(await directory.pathOf(ACCOUNT)).toBeUndefined();
    expect(await directory.pathOf(ACCOUNT)).toBeUndefined();
    expect(orgMock.commandCalls(ListParentsCommand)).toHaveLength(1);
    expect(warnings).toEqual([
      [
        'organization lookup failed',
        expect.objectContaining({ account: ACCOUNT, code: 'ChildNotFoundException' }),
      ],
    ]);
    now = 101;
    await directory.pathOf(ACCOUNT);
    expect(orgMock.commandCalls(ListParentsCommand)).toHaveLength(2);
  });

  it('gives up on a parent chain without a root', async () => {
    orgMock
      .on(ListParentsCommand)
      .resolves({ Parents: [{ Id: 'ou-ab12-loop1111', Type: 'ORGANIZATIONAL_UNIT' }] });
    expect(await new AwsOrganizationDirectory(org).pathOf(ACCOUNT)).toBeUndefined();
    expect(orgMock.commandCalls(ListParentsCommand).length).toBeLessThanOrEqual(8);
  });

  it('does not look up something that is not an account id', async () => {
    expect(await new AwsOrganizationDirectory(org).pathOf('acme')).toBeUndefined();
    expect(orgMock.calls()).toHaveLength(0);
  });
});
