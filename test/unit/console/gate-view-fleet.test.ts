/**
 * The console's view of a fleet's hub, over plain fakes: requests from every member, each with
 * the member its service is in; the Fleet page's rows in `plgate fleet`'s words; and a stack of
 * one as before (no member, the gate's own region, no Fleet page).
 */
import { describe, expect, it } from 'vitest';
import { MEMBER_COLUMNS, type MemberStatus } from '../../../cli/fleet-status.ts';
import { fleetView } from '../../../console/server/fleet-view.ts';
import { GateView } from '../../../console/server/gate-view.ts';
import { FleetEndpointServices } from '../../../functions/aws/fleet-endpoint-services.ts';
import { RuleSetCache } from '../../../functions/gate/rules-cache.ts';
import { connection, FakeEndpointServices, MemoryRulesStore } from '../../support/gate-fakes.ts';

const A = { account: '111111111111', region: 'us-east-1' };
const B = { account: '222222222222', region: 'eu-west-1' };
const SVC_A = 'vpce-svc-0aaaaaaaaaaaaaaa1';
const SVC_B = 'vpce-svc-0bbbbbbbbbbbbbbb2';
const NOW = new Date('2026-11-21T12:00:00Z');

const rules = () =>
  new RuleSetCache(
    new MemoryRulesStore([
      { kind: 'defaults', id: 'defaults', defaultEffect: 'review', pendingTtl: 'P7D', onRevoke: 'notify' },
      { kind: 'rule', id: 'eu-members', effect: 'accept', match: { serviceRegions: [B.region] } },
    ]),
  );

function hubView(status: () => Promise<MemberStatus[]>) {
  const a = new FakeEndpointServices().add(
    connection({ serviceId: SVC_A, serviceAccount: A.account, serviceRegion: A.region }),
  );
  const b = new FakeEndpointServices().add(
    connection({ serviceId: SVC_B, serviceAccount: B.account, serviceRegion: B.region }),
  );
  const endpointServices = new FleetEndpointServices({
    members: () => [A, B],
    ec2: { endpointServicesFor: (account) => (account === A.account ? a : b) },
    spokeRoleName: 'plgate-spoke',
  });
  return new GateView(
    { endpointServices, rules: rules() },
    { region: A.region, fleet: fleetView({ status }), now: () => NOW },
  );
}

describe('the console of a fleet’s hub', () => {
  it("lists every member's requests and services, each with its service's account and region, judged by where the service lives", async () => {
    const view = hubView(async () => []);

    const rows = await view.requests();

    expect(rows.map((r) => [r.serviceId, r.serviceAccount, r.serviceRegion, r.decision, r.rule])).toEqual([
      [SVC_A, A.account, A.region, 'review', null],
      [SVC_B, B.account, B.region, 'accept', 'eu-members'],
    ]);
    expect((await view.services()).map((s) => [s.serviceId, s.serviceAccount, s.serviceRegion])).toEqual([
      [SVC_A, A.account, A.region],
      [SVC_B, B.account, B.region],
    ]);
    const [, fromB] = rows;
    expect((await view.explain(fromB?.endpointId ?? '', undefined))?.connection).toMatchObject({
      serviceAccount: B.account,
    });
  });

  it("shows plgate fleet's columns and rows, each member healthy or not", async () => {
    const view = hubView(async () => [
      {
        ...A,
        roleAssumable: true,
        acceptAllowed: true,
        managedServices: 1,
        waitingRequests: 1,
        healthy: true,
      },
      {
        ...B,
        roleAssumable: false,
        problem: 'cannot assume <b>role</b>',
        managedServices: 0,
        waitingRequests: 0,
        healthy: false,
      },
    ]);

    expect(view.hasFleet).toBe(true);
    const { columns, members } = await view.fleet();

    expect(columns).toEqual(MEMBER_COLUMNS);
    expect(members).toEqual([
      expect.objectContaining({
        ...A,
        healthy: true,
        cells: expect.objectContaining({
          role: 'assumable',
          accept: 'allowed',
          waiting: '1',
          health: 'healthy',
        }),
      }),
      expect.objectContaining({
        ...B,
        healthy: false,
        cells: expect.objectContaining({
          role: 'NOT assumable',
          health: 'UNHEALTHY: cannot assume <b>role</b>',
        }),
      }),
    ]);
  });
});

describe('a member the hub cannot read', () => {
  it('leaves its requests out and says which member and why', async () => {
    const C = { account: '333333333333', region: 'us-west-2' };
    const a = new FakeEndpointServices().add(
      connection({ serviceId: SVC_A, serviceAccount: A.account, serviceRegion: A.region }),
    );
    const unreadable = Object.assign(new FakeEndpointServices(), {
      listManagedServices: async () => {
        throw Object.assign(new Error('not authorized to assume the spoke role'), { name: 'AccessDenied' });
      },
    });
    const endpointServices = new FleetEndpointServices({
      members: () => [A, C],
      ec2: { endpointServicesFor: (account) => (account === A.account ? a : unreadable) },
      spokeRoleName: 'plgate-spoke',
    });
    const view = new GateView({ endpointServices, rules: rules() }, { region: A.region, now: () => NOW });

    expect((await view.requests()).map((r) => r.serviceAccount)).toEqual([A.account]);
    expect(view.unlistedMembers()).toEqual([
      { ...C, reason: 'AccessDenied: not authorized to assume the spoke role' },
    ]);
  });
});

describe('the console of a stack of one', () => {
  it('has no Fleet page, and its requests are in the gate’s own region with no member account', async () => {
    const ec2 = new FakeEndpointServices().add(connection({ serviceId: SVC_A }));
    const view = new GateView(
      { endpointServices: ec2, rules: rules() },
      { region: A.region, now: () => NOW },
    );

    expect(view.hasFleet).toBe(false);
    expect(view.unlistedMembers()).toEqual([]);
    expect((await view.fleet()).members).toEqual([]);
    expect(await view.requests()).toEqual([
      expect.objectContaining({ serviceId: SVC_A, serviceAccount: null, serviceRegion: A.region }),
    ]);
    expect(await view.services()).toEqual([
      expect.objectContaining({ serviceId: SVC_A, serviceAccount: null, serviceRegion: null }),
    ]);
  });
});
