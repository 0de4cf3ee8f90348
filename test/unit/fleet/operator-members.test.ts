/**
 * `plgate approve` / `deny` and the console in a fleet's hub: the endpoint is found in whichever
 * member's service it is on, and only that member's EC2 acts. The commands get this by deciding
 * through the hub's FleetEndpointServices (cli/target-adapters.ts), as the operator function does.
 */
import { describe, expect, it } from 'vitest';
import type { FleetMembers } from '../../../cli/fleet-members.ts';
import { targetAdapters } from '../../../cli/target-adapters.ts';
import { createClients } from '../../../functions/aws/clients.ts';
import { FleetEndpointServices } from '../../../functions/aws/fleet-endpoint-services.ts';
import type { ServicePlace } from '../../../functions/core/connection.ts';
import { decideByOperator, type OperatorDeps } from '../../../functions/gate/operator.ts';
import { RuleSetCache } from '../../../functions/gate/rules-cache.ts';
import {
  connection,
  FakeEndpointServices,
  MemoryLedgerTable,
  MemoryRulesStore,
  RecordingEvents,
  RecordingNotifier,
} from '../../support/gate-fakes.ts';
import { A, B, GATE_CONFIG, SVC_A, SVC_B } from './members-for-tests.ts';

const ACTOR = 'arn:aws:iam::999999999999:user/operator';
const GATE = GATE_CONFIG;

/** Two members, each with one waiting request on its own service, behind the hub's routing port. */
function hub() {
  const members = new Map<string, FakeEndpointServices>();
  const waiting: Record<string, string> = {};
  for (const [place, serviceId] of [
    [A, SVC_A],
    [B, SVC_B],
  ] as const) {
    const request = connection({ serviceId, serviceAccount: place.account, serviceRegion: place.region });
    members.set(`${place.account}:${place.region}`, new FakeEndpointServices().add(request));
    waiting[place.account] = request.endpointId;
  }
  const memberAt = ({ account, region }: ServicePlace): FakeEndpointServices => {
    const member = members.get(`${account}:${region}`);
    if (!member) throw new Error(`no member ${account}:${region}`);
    return member;
  };
  const endpointServices = new FleetEndpointServices({
    members: () => [A, B],
    ec2: { endpointServicesFor: (account, region) => memberAt({ account, region }) },
    spokeRoleName: 'plgate-spoke',
  });
  const ledger = new MemoryLedgerTable();
  const store = new MemoryRulesStore([
    { kind: 'defaults', id: 'defaults', defaultEffect: 'review', pendingTtl: 'P7D', onRevoke: 'notify' },
  ]);
  const deps: OperatorDeps = {
    endpointServices,
    ledger,
    notifier: new RecordingNotifier(),
    events: new RecordingEvents(),
    now: () => new Date('2026-12-07T10:00:00Z'),
    holder: 'plgate-cli-test',
    region: A.region,
    rules: new RuleSetCache(store),
    rulesWriter: store,
    sleep: async () => {},
  };
  return { memberAt, waiting, ledger, deps, endpointServices };
}

describe("approve and deny find an endpoint's member by themselves", () => {
  it('approve, with no service named, accepts in the member whose service the endpoint is on, and nowhere else', async () => {
    const { memberAt, waiting, ledger, deps } = hub();
    const endpointId = waiting[B.account] ?? '';

    const result = await decideByOperator(
      { action: 'approve', endpointId, actor: ACTOR, reason: 'signed' },
      deps,
    );

    expect(result).toMatchObject({ status: 'done', serviceId: SVC_B });
    expect(memberAt(B).calls).toEqual([{ action: 'accept', serviceId: SVC_B, endpointIds: [endpointId] }]);
    expect(memberAt(A).calls).toEqual([]);
    expect(memberAt(B).state(endpointId)).toBe('available');
    expect(ledger.entries.filter((e) => e.endpointId === endpointId).at(-1)).toMatchObject({
      outcome: 'accepted',
      actor: ACTOR,
      serviceAccount: B.account,
      serviceRegion: B.region,
    });
  });

  it("deny, with the service named, rejects in that service's member", async () => {
    const { memberAt, waiting, deps } = hub();
    const endpointId = waiting[A.account] ?? '';

    const result = await decideByOperator(
      { action: 'deny', endpointId, serviceId: SVC_A, actor: ACTOR, reason: 'not a customer' },
      deps,
    );

    expect(result.status).toBe('done');
    expect(memberAt(A).state(endpointId)).toBe('rejected');
    expect(memberAt(B).calls).toEqual([]);
  });

  it('refuses, writing nothing, an endpoint no member has', async () => {
    const { memberAt, deps } = hub();

    const result = await decideByOperator(
      { action: 'approve', endpointId: 'vpce-0fffffffffffffff0', actor: ACTOR },
      deps,
    );

    expect(result).toMatchObject({ status: 'refused' });
    expect(result.message).toContain('is not a connection of any managed service');
    expect([...memberAt(A).calls, ...memberAt(B).calls]).toEqual([]);
  });

  it("the commands' adapters decide through a hub's members, and through the caller's own EC2 in a stack of one", () => {
    const clients = createClients({
      region: A.region,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const { endpointServices } = hub();
    const fleet: FleetMembers = {
      settings: {
        members: [A, B],
        externalId: 'x',
        spokeRoleName: 'plgate-spoke',
        organizationalUnits: [],
        regions: [],
      },
      endpointServices,
      status: async () => [],
      close: () => {},
    };
    try {
      expect(targetAdapters({ config: GATE, clients, fleet }).endpointServices).toBe(endpointServices);
      expect(targetAdapters({ config: GATE, clients }).endpointServices).not.toBeInstanceOf(
        FleetEndpointServices,
      );
    } finally {
      for (const client of Object.values(clients)) client.destroy();
    }
  });
});
