import { describe, expect, it } from 'vitest';
import { fleetMemberSource, fleetMembers } from '../../../functions/gate/fleet-members.ts';

const listed = [
  { account: '222222222222', region: 'us-west-2' },
  { account: '111111111111', region: 'eu-west-1' },
];

describe("a hub's members", () => {
  it('are the listed members as configured, then each unit account in each fleet region, once each', () => {
    const members = fleetMembers(
      listed,
      ['333333333333', '111111111111', '333333333333'],
      ['us-east-1', 'eu-west-1'],
    );
    expect(members).toEqual([
      { account: '222222222222', region: 'us-west-2' },
      { account: '111111111111', region: 'eu-west-1' },
      { account: '111111111111', region: 'us-east-1' },
      { account: '333333333333', region: 'us-east-1' },
      { account: '333333333333', region: 'eu-west-1' },
    ]);
  });

  it('are in the same order whatever order Organizations lists the accounts in', () => {
    const regions = ['us-east-1'];
    expect(fleetMembers([], ['3', '1', '2'], regions)).toEqual(fleetMembers([], ['2', '3', '1'], regions));
  });

  it('are the listed members alone with no units, or while the units cannot be listed', async () => {
    expect(await fleetMemberSource({ members: listed, regions: ['us-east-1'] }, undefined)()).toEqual(listed);
    const nothingYet = { accounts: async () => [] };
    expect(await fleetMemberSource({ members: listed, regions: ['us-east-1'] }, nothingYet)()).toEqual(
      listed,
    );
  });

  it('are asked for afresh each time, so an account that joins a unit becomes a member', async () => {
    let accounts = ['333333333333'];
    const source = fleetMemberSource(
      { members: [], regions: ['us-east-1'] },
      { accounts: async () => accounts },
    );
    expect(await source()).toEqual([{ account: '333333333333', region: 'us-east-1' }]);
    accounts = ['333333333333', '444444444444'];
    expect(await source()).toEqual([
      { account: '333333333333', region: 'us-east-1' },
      { account: '444444444444', region: 'us-east-1' },
    ]);
  });
});
