import {
  type Account,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { OrganizationUnitAccounts } from '../../../functions/aws/organization-members.ts';

const org = new OrganizationsClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
const orgMock = mockClient(org);

const ORG = 'o-abcdef1234';
const MANAGEMENT = '999999999999';
const UNIT = 'ou-ab12-cd34ef56';
const CHILD = 'ou-ab12-child111';
const GRANDCHILD = 'ou-ab12-grand111';

const account = (id: string, state: Account['State'] = 'ACTIVE'): Account => ({
  Id: id,
  Arn: `arn:aws:organizations::${MANAGEMENT}:account/${ORG}/${id}`,
  State: state,
});

/** A unit with two pages of accounts and one child, whose child has one more unit below it. */
function tree(): void {
  orgMock
    .on(ListAccountsForParentCommand, { ParentId: UNIT })
    .resolves({ Accounts: [account('111111111111'), account('333333333333', 'SUSPENDED')], NextToken: 'a2' })
    .on(ListAccountsForParentCommand, { ParentId: UNIT, NextToken: 'a2' })
    .resolves({ Accounts: [account('222222222222')] })
    .on(ListChildrenCommand, { ParentId: UNIT, ChildType: 'ORGANIZATIONAL_UNIT' })
    // Organizations may answer an empty page that still has more.
    .resolves({ Children: [], NextToken: 'c2' })
    .on(ListChildrenCommand, { ParentId: UNIT, ChildType: 'ORGANIZATIONAL_UNIT', NextToken: 'c2' })
    .resolves({ Children: [{ Id: CHILD, Type: 'ORGANIZATIONAL_UNIT' }] })
    .on(ListAccountsForParentCommand, { ParentId: CHILD })
    .resolves({
      Accounts: [account('444444444444'), { ...account('555555555555'), State: undefined, Status: 'ACTIVE' }],
    })
    .on(ListChildrenCommand, { ParentId: CHILD })
    .resolves({ Children: [{ Id: GRANDCHILD, Type: 'ORGANIZATIONAL_UNIT' }] })
    .on(ListAccountsForParentCommand, { ParentId: GRANDCHILD })
    .resolves({ Accounts: [account('000000000001'), account('666666666666', 'PENDING_CLOSURE')] })
    .on(ListChildrenCommand, { ParentId: GRANDCHILD })
    .resolves({ Children: [] });
}

function recordingLogger() {
  const warnings: [string, Record<string, unknown>][] = [];
  const nothing = () => {};
  return {
    warnings,
    logger: {
      debug: nothing,
      info: nothing,
      error: nothing,
      warn: (message: string, data: Record<string, unknown>) => warnings.push([message, data]),
    },
  };
}

beforeEach(() => {
  orgMock.reset();
});

describe('OrganizationUnitAccounts', () => {
  it('lists every active account under a unit and its child units, through every page, sorted', async () => {
    tree();
    const accounts = await new OrganizationUnitAccounts(org, [UNIT]).accounts();
    expect(accounts).toEqual([
      '000000000001',
      '111111111111',
      '222222222222',
      '444444444444',
      '555555555555',
    ]);
    expect(orgMock.commandCalls(ListAccountsForParentCommand)).toHaveLength(4);
    expect(orgMock.commandCalls(ListChildrenCommand)).toHaveLength(4);
    for (const call of orgMock.commandCalls(ListChildrenCommand)) {
      expect(call.args[0].input).toMatchObject({ ChildType: 'ORGANIZATIONAL_UNIT', MaxResults: 20 });
    }
    for (const call of orgMock.commandCalls(ListAccountsForParentCommand)) {
      expect(call.args[0].input.MaxResults).toBe(20);
    }
  });

  it('leaves out suspended and closing accounts, and the management account (StackSets never deploy there)', async () => {
    orgMock
      .on(ListAccountsForParentCommand)
      .resolves({
        Accounts: [
          account(MANAGEMENT),
          account('111111111111', 'SUSPENDED'),
          account('222222222222', 'PENDING_CLOSURE'),
          account('333333333333', 'CLOSED'),
          { ...account('444444444444'), State: undefined, Status: 'SUSPENDED' },
          account('555555555555'),
        ],
      })
      .on(ListChildrenCommand)
      .resolves({ Children: [] });
    expect(await new OrganizationUnitAccounts(org, [UNIT]).accounts()).toEqual(['555555555555']);
  });

  it('walks a unit once when another configured unit already holds it', async () => {
    tree();
    const accounts = await new OrganizationUnitAccounts(org, [UNIT, CHILD]).accounts();
    expect(accounts).toContain('444444444444');
    expect(orgMock.commandCalls(ListAccountsForParentCommand, { ParentId: CHILD })).toHaveLength(1);
  });

  it('skips malformed ids and accounts without a state, with a warning naming the field and value', async () => {
    orgMock
      .on(ListAccountsForParentCommand, { ParentId: UNIT })
      .resolves({
        Accounts: [
          account('1111'),
          { Arn: 'x', State: 'ACTIVE' },
          { Id: '222222222222' },
          account('333333333333'),
        ],
      })
      .on(ListChildrenCommand, { ParentId: UNIT })
      .resolves({
        Children: [{ Id: 'ou-../../etc', Type: 'ORGANIZATIONAL_UNIT' }, { Type: 'ORGANIZATIONAL_UNIT' }],
      });
    const { logger, warnings } = recordingLogger();

    const accounts = await new OrganizationUnitAccounts(org, [UNIT, 'r-ab12'], { logger }).accounts();

    expect(accounts).toEqual(['333333333333']);
    expect(warnings).toEqual([
      ['organization data skipped: malformed', { field: 'organizationalUnits', value: 'r-ab12' }],
      [
        'organization data skipped: malformed',
        { field: 'ListAccountsForParent.Accounts[].Id', value: '1111', parent: UNIT },
      ],
      [
        'organization data skipped: malformed',
        { field: 'ListAccountsForParent.Accounts[].Id', value: undefined, parent: UNIT },
      ],
      [
        'organization data skipped: malformed',
        { field: 'ListAccountsForParent.Accounts[].State', value: undefined, parent: UNIT },
      ],
      [
        'organization data skipped: malformed',
        { field: 'ListChildren.Children[].Id', value: 'ou-../../etc', parent: UNIT },
      ],
      [
        'organization data skipped: malformed',
        { field: 'ListChildren.Children[].Id', value: undefined, parent: UNIT },
      ],
    ]);
    expect(orgMock.commandCalls(ListAccountsForParentCommand, { ParentId: 'r-ab12' })).toHaveLength(0);
  });

  it('keeps the list for the TTL (one walk for concurrent callers), then lists again', async () => {
    tree();
    let now = 0;
    const units = new OrganizationUnitAccounts(org, [UNIT], { ttlMs: 300_000, now: () => now });
    await Promise.all([units.accounts(), units.accounts()]);
    now = 299_999;
    await units.accounts();
    expect(orgMock.commandCalls(ListAccountsForParentCommand)).toHaveLength(4);

    now = 300_000;
    await units.accounts();
    expect(orgMock.commandCalls(ListAccountsForParentCommand)).toHaveLength(8);
  });

  it('keeps the last list when a refresh fails, warns, and tries again after the failure wait', async () => {
    tree();
    let now = 0;
    const { logger, warnings } = recordingLogger();
    const units = new OrganizationUnitAccounts(org, [UNIT], {
      ttlMs: 1000,
      failureTtlMs: 100,
      now: () => now,
      logger,
    });
    const before = await units.accounts();
    orgMock
      .on(ListChildrenCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));

    now = 1000;
    expect(await units.accounts()).toEqual(before);
    expect(warnings).toEqual([
      [
        'organization members not refreshed: keeping the last list',
        { code: 'TooManyRequestsException', reason: 'Rate exceeded', kept: 5 },
      ],
    ]);
    const calls = orgMock.calls().length;
    now = 1099;
    await units.accounts();
    expect(orgMock.calls()).toHaveLength(calls);

    tree();
    now = 1100;
    expect(await units.accounts()).toEqual(before);
    expect(orgMock.calls().length).toBeGreaterThan(calls);
  });

  it('answers no accounts (never throws) when the first walk fails', async () => {
    orgMock
      .on(ListAccountsForParentCommand)
      .rejects(Object.assign(new Error('not delegated'), { name: 'AccessDeniedException' }));
    const { logger, warnings } = recordingLogger();
    expect(await new OrganizationUnitAccounts(org, [UNIT], { logger }).accounts()).toEqual([]);
    expect(warnings[0]?.[1]).toMatchObject({ code: 'AccessDeniedException', kept: 0 });
  });

  it('gives up on a NextToken that repeats or units nested past any real depth, keeping the last list', async () => {
    orgMock
      .on(ListAccountsForParentCommand)
      .resolves({ Accounts: [], NextToken: 'same' })
      .on(ListChildrenCommand)
      .resolves({ Children: [] });
    const { logger, warnings } = recordingLogger();
    expect(await new OrganizationUnitAccounts(org, [UNIT], { logger }).accounts()).toEqual([]);
    expect(warnings[0]?.[1]).toMatchObject({ code: 'OrganizationWalkError' });

    orgMock.reset();
    let n = 0;
    orgMock
      .on(ListAccountsForParentCommand)
      .resolves({ Accounts: [] })
      .on(ListChildrenCommand)
      .callsFake(async () => ({
        Children: [{ Id: `ou-ab12-deep${String(n++).padStart(4, '0')}`, Type: 'ORGANIZATIONAL_UNIT' }],
      }));
    expect(await new OrganizationUnitAccounts(org, [UNIT], { logger }).accounts()).toEqual([]);
    expect(orgMock.commandCalls(ListChildrenCommand).length).toBeLessThanOrEqual(8);
    expect(warnings[1]?.[1]).toMatchObject({ code: 'OrganizationWalkError' });
  });
});
