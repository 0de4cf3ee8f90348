/** The hub's container lists its organizational units' accounts as members, beside the listed ones. */
import {
  ListAccountsForParentCommand,
  ListChildrenCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createClients } from '../../../functions/aws/clients.ts';
import { logger } from '../../../functions/handlers/observability.ts';
import { fleetRuntime } from '../../../functions/handlers/runtime.ts';
import { GATE_CONFIG } from './members-for-tests.ts';

const config = GATE_CONFIG;
const env = {
  FLEET_EXTERNAL_ID: 'x',
  FLEET_SPOKE_ROLE_NAME: 'plgate-spoke',
  FLEET_MEMBERS: '111111111111:us-west-2',
  FLEET_ORGANIZATIONAL_UNITS: 'ou-ab12-cd34ef56',
  FLEET_REGIONS: 'us-east-1,eu-west-1',
};
// No member can be assumed into here: every listing fails at STS, which names the members tried.
const stsMock = mockClient(STSClient);
const warnings = vi.spyOn(logger, 'warn').mockImplementation(() => {});
afterAll(() => {
  stsMock.restore();
  warnings.mockRestore();
});

describe('fleetRuntime', () => {
  it("lists the units' accounts in the fleet's regions as members, with the container's Organizations client", async () => {
    const clients = createClients({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const orgMock = mockClient(clients.organizations);
    orgMock
      .on(ListAccountsForParentCommand)
      .resolves({ Accounts: [{ Id: '222222222222', State: 'ACTIVE' }] })
      .on(ListChildrenCommand)
      .resolves({ Children: [] });
    stsMock.on(AssumeRoleCommand).rejects(Object.assign(new Error('no'), { name: 'AccessDenied' }));

    const fleet = fleetRuntime(clients, config, env);
    await fleet?.services.listManagedServices();

    expect(clients.organizations).toBeInstanceOf(OrganizationsClient);
    expect(fleet?.services.listings().map(({ account, region }) => `${account}:${region}`)).toEqual([
      '111111111111:us-west-2',
      '222222222222:us-east-1',
      '222222222222:eu-west-1',
    ]);
  });

  it('asks Organizations nothing without units', async () => {
    const clients = createClients({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const orgMock = mockClient(clients.organizations);
    stsMock.on(AssumeRoleCommand).rejects(Object.assign(new Error('no'), { name: 'AccessDenied' }));
    const { FLEET_ORGANIZATIONAL_UNITS: _units, FLEET_REGIONS: _regions, ...listedOnly } = env;

    const fleet = fleetRuntime(clients, config, listedOnly);
    await fleet?.services.listManagedServices();

    expect(fleet?.services.listings().map(({ account }) => account)).toEqual(['111111111111']);
    expect(orgMock.calls()).toHaveLength(0);
  });
});
