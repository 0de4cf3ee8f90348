/** `plgate fleet`'s rows: the listed members and the organizational units' accounts, as the hub has them. */
import { EC2Client } from '@aws-sdk/client-ec2';
import {
  type Account,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { fleetStatus } from '../../../cli/fleet-status.ts';
import { fleetMembersOf } from '../../../functions/aws/fleet-reach.ts';
import { quietLogger } from '../../../functions/aws/logger.ts';
import { MemberCredentials } from '../../../functions/aws/member-credentials.ts';
import type { ServicePlace } from '../../../functions/core/connection.ts';
import type { EndpointServices } from '../../../functions/gate/ports.ts';
import type { FleetSettings } from '../../../functions/shared/config.ts';
import { assumeRoleExcept } from './members-for-tests.ts';

const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
const org = new OrganizationsClient({ region: 'us-east-1', credentials });
const orgMock = mockClient(org);
const sts = new STSClient({ region: 'us-east-1', credentials });
const stsMock = mockClient(sts);

const UNIT = 'ou-ab12-cd34ef56';
const active = (id: string): Account => ({
  Id: id,
  Arn: `arn:aws:organizations::999999999999:account/o-abcdef1234/${id}`,
  State: 'ACTIVE',
});
const fleet: FleetSettings = {
  members: [{ account: '111111111111', region: 'us-west-2' }],
  externalId: 'x',
  spokeRoleName: 'plgate-spoke',
  organizationalUnits: [UNIT],
  regions: ['us-east-1', 'eu-west-1'],
};
/** A member with no managed service: nothing to probe or count. */
const noServices: EndpointServices = {
  listManagedServices: async () => [],
  describeConnections: async () => [],
  pageConnections: async () => ({ connections: [] }),
  accept: async () => ({ succeeded: [], requestIds: {}, failed: [] }),
  reject: async () => ({ succeeded: [], requestIds: {}, failed: [] }),
  isManaged: async () => false,
  enroll: async () => ({ changed: [] }),
  enrolledServices: async () => new Set<string>(),
  connectionsOfServices: async () => new Map(),
};

beforeEach(() => {
  orgMock.reset();
  stsMock.reset();
  stsMock
    .on(AssumeRoleCommand)
    .callsFake(
      assumeRoleExcept('333333333333', () => Object.assign(new Error('no role'), { name: 'AccessDenied' })),
    );
});

async function rows(members: ServicePlace[]) {
  return fleetStatus(members, {
    credentials: new MemberCredentials({
      externalId: 'x',
      spokeRoleName: 'plgate-spoke',
      sessionName: 'plgate-fleet',
      stsFor: () => sts,
    }),
    ec2For: ({ region }) => new EC2Client({ region, credentials }),
    endpointServicesFor: () => noServices,
    recorded: async () => [],
  });
}

describe('plgate fleet with organizational units', () => {
  it('has a row for each unit account in each fleet region, after the listed members, each checked like a listed one', async () => {
    orgMock
      .on(ListAccountsForParentCommand)
      .resolves({ Accounts: [active('333333333333'), active('222222222222')] })
      .on(ListChildrenCommand)
      .resolves({ Children: [] });

    const found = await rows(await fleetMembersOf(fleet, org, quietLogger)());

    expect(
      found.map(({ account, region, roleAssumable, healthy }) => ({
        account,
        region,
        roleAssumable,
        healthy,
      })),
    ).toEqual([
      { account: '111111111111', region: 'us-west-2', roleAssumable: true, healthy: true },
      { account: '222222222222', region: 'us-east-1', roleAssumable: true, healthy: true },
      { account: '222222222222', region: 'eu-west-1', roleAssumable: true, healthy: true },
      { account: '333333333333', region: 'us-east-1', roleAssumable: false, healthy: false },
      { account: '333333333333', region: 'eu-west-1', roleAssumable: false, healthy: false },
    ]);
  });

  it('shows the listed members, and says why, when the units cannot be listed', async () => {
    orgMock
      .on(ListAccountsForParentCommand)
      .rejects(Object.assign(new Error('not the management account'), { name: 'AccessDeniedException' }));
    const warned: unknown[] = [];
    const logger = { ...quietLogger, warn: (...args: unknown[]) => warned.push(args) };

    const found = await rows(await fleetMembersOf(fleet, org, logger)());

    expect(found.map(({ account, region }) => ({ account, region }))).toEqual(fleet.members);
    expect(warned).toEqual([
      [
        'organization members not refreshed: keeping the last list',
        expect.objectContaining({ code: 'AccessDeniedException' }),
      ],
    ]);
  });

  it('asks Organizations nothing when the fleet has no units', async () => {
    const found = await fleetMembersOf({ ...fleet, organizationalUnits: [] }, org, quietLogger)();
    expect(found).toEqual(fleet.members);
    expect(orgMock.calls()).toHaveLength(0);
  });
});
