import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-items.ts';
import { ingestCloudTrail } from '../../../functions/gate/cloudtrail.ts';
import type { CloudTrailDetail } from '../../../functions/gate/cloudtrail-detail.ts';
import { decideConnectionEvent } from '../../../functions/gate/decide-event.ts';
import { ingestNotifications } from '../../../functions/gate/ingest.ts';
import { GateCallInFlightError, refusedIn } from '../../../functions/gate/manual-action.ts';
import { idsIn } from '../../../functions/gate/named-ids.ts';
import { RuleSetCache } from '../../../functions/gate/rules-cache.ts';
import {
  connection,
  FakeEndpointServices,
  MemoryLedgerTable,
  MemoryRulesStore,
  RecordingEvents,
  RecordingNotifier,
} from '../../support/gate-fakes.ts';

const SERVICE = 'vpce-svc-0123456789abcdef0';
const FOREIGN = 'vpce-svc-0fffffffffffffff0';
const ENDPOINT = 'vpce-0aaaaaaaaaaaaaaaa';

function world() {
  const ec2 = new FakeEndpointServices();
  ec2.managed.add(SERVICE);
  return {
    ec2,
    events: new RecordingEvents(),
    ledger: new MemoryLedgerTable(),
    notifier: new RecordingNotifier(),
  };
}

describe('idsIn', () => {
  it('finds service and endpoint ids in any text, without mistaking one for the other', () => {
    expect(
      idsIn(`{"ServiceId":"${SERVICE}","VpcEndpointId":"${ENDPOINT}","state":"pendingAcceptance"}`),
    ).toEqual({
      serviceIds: [SERVICE],
      endpointIds: [ENDPOINT],
    });
    expect(idsIn('no ids here')).toEqual({ serviceIds: [], endpointIds: [] });
  });

  it('never throws and only returns well-formed ids, whatever the text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const { serviceIds, endpointIds } = idsIn(text);
        expect(serviceIds.every((id) => /^vpce-svc-[0-9a-f]{8,17}$/.test(id))).toBe(true);
        expect(endpointIds.every((id) => /^vpce-[0-9a-f]{8,17}$/.test(id))).toBe(true);
      }),
    );
  });

  it('finds an id wherever it is embedded', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (before, after) => {
        const text = `${before} ${SERVICE} ${after}`;
        expect(idsIn(text).serviceIds).toContain(SERVICE);
      }),
    );
  });
});

describe('ingest notifications', () => {
  it('forwards a notification for a managed service as a connection event', async () => {
    const w = world();
    const body = JSON.stringify({ ServiceId: SERVICE, VpcEndpointId: ENDPOINT, ConnectionEvent: 'Connect' });
    const result = await ingestNotifications([{ body, raw: { messageId: 'm-1' } }], {
      endpointServices: w.ec2,
      events: w.events,
    });
    expect(result.dropped).toBe(0);
    expect(w.events.connectionEventDetails).toEqual([
      { serviceId: SERVICE, endpointId: ENDPOINT, trigger: 'notification', raw: { messageId: 'm-1' } },
    ]);
  });

  it('drops a spoofed notification for a foreign service and one that names nothing', async () => {
    const w = world();
    const result = await ingestNotifications(
      [
        { body: JSON.stringify({ ServiceId: FOREIGN, VpcEndpointId: ENDPOINT }), raw: {} },
        { body: 'hello', raw: {} },
      ],
      { endpointServices: w.ec2, events: w.events },
    );
    expect(result.dropped).toBe(2);
    expect(w.events.connectionEventDetails).toEqual([]);
  });
});

describe("notices of the gate's own actions", () => {
  const notice = (event: string, endpointId = ENDPOINT) => ({
    body: JSON.stringify({ ServiceId: SERVICE, VpcEndpointId: endpointId, ConnectionEvent: event }),
    raw: {},
  });
  const now = () => new Date('2026-11-21T12:00:00Z');
  const decided = async (
    w: ReturnType<typeof world>,
    endpointId: string,
    outcome: 'accepted' | 'rejected',
  ) => {
    const lease = await w.ledger.acquireLease(endpointId, 'decide-1', now(), 60_000);
    if (!lease) throw new Error('the lease was not taken');
    await w.ledger.releaseLease(lease, outcome);
  };

  it('are recognised from the endpoint state: an Accept after the gate accepted, a Reject after it rejected', async () => {
    const w = world();
    const rejected = 'vpce-0bbbbbbbbbbbbbbbb';
    await decided(w, ENDPOINT, 'accepted');
    await decided(w, rejected, 'rejected');
    const result = await ingestNotifications([notice('Accept'), notice('Reject', rejected)], {
      endpointServices: w.ec2,
      events: w.events,
      endpointStates: w.ledger,
      now,
    });
    expect(result.own).toBe(2);
    expect(w.events.connectionEventDetails).toEqual([]);
  });

  it('are recognised while the gate still holds the lease (the notice outran the outcome)', async () => {
    const w = world();
    await w.ledger.acquireLease(ENDPOINT, 'decide-1', now(), 60_000);
    const result = await ingestNotifications([notice('Accept')], {
      endpointServices: w.ec2,
      events: w.events,
      endpointStates: w.ledger,
      now,
    });
    expect(result.own).toBe(1);
  });

  it('are forwarded when the records do not explain them: a new request, a Reject of what the gate accepted, an unreadable event', async () => {
    const w = world();
    await decided(w, ENDPOINT, 'accepted');
    const unknown = 'vpce-0cccccccccccccccc';
    const result = await ingestNotifications(
      [
        notice('Connect', 'vpce-0dddddddddddddddd'),
        notice('Reject'),
        notice('Accept', unknown),
        { body: JSON.stringify({ ServiceId: SERVICE, VpcEndpointId: ENDPOINT }), raw: {} },
      ],
      { endpointServices: w.ec2, events: w.events, endpointStates: w.ledger, now },
    );
    expect(result.own).toBe(0);
    expect(w.events.connectionEventDetails.map((d) => d.endpointId)).toEqual([
      'vpce-0dddddddddddddddd',
      ENDPOINT,
      unknown,
      ENDPOINT,
    ]);
  });
});

describe('ingest CloudTrail', () => {
  const base = {
    ingestTopicArn: 'arn:aws:sns:us-east-1:000000000000:ingest',
    gateRoleArns: ['arn:aws:iam::000000000000:role/gate-decide'],
    rulesVersion: async () => 7,
    ruleSet: async () => ruleSetFromItems([]).ruleSet,
    now: () => new Date('2026-11-21T12:00:00Z'),
    holder: 'invocation-1',
  };
  const tagged = {
    eventName: 'CreateTags',
    requestParameters: { resourcesSet: { items: [{ resourceId: SERVICE }] } },
  };

  it('never enrolls a service whose mode is off, nor one held by an invalid settings item', async () => {
    const cases = [
      [{ kind: 'service', id: SERVICE, mode: 'off' }],
      [{ kind: 'defaults', id: 'defaults', mode: 'off' }],
      [{ kind: 'service', id: SERVICE, mode: 'dryrun' }],
      [{ kind: 'defaults', id: 'defaults', pendingTtl: 'soon' }],
    ];
    for (const items of cases) {
      const w = world();
      const result = await ingestCloudTrail(tagged, {
        ...base,
        ruleSet: async () => ruleSetFromItems(items).ruleSet,
        endpointServices: w.ec2,
        events: w.events,
        ledger: w.ledger,
        endpointStates: w.ledger,
        notifier: w.notifier,
      });
      expect(result).toEqual({ kind: 'ignored', why: 'names no managed service that is on' });
      expect(w.ec2.enrolled).toEqual([]);
      expect(w.events.connectionEventDetails).toEqual([]);
    }
  });

  it('enrolls a service tagged managed and asks for its connections to be decided', async () => {
    const w = world();
    const result = await ingestCloudTrail(
      {
        eventName: 'CreateTags',
        requestParameters: { resourcesSet: { items: [{ resourceId: SERVICE }] } },
      },
      {
        ...base,
        endpointServices: w.ec2,
        events: w.events,
        ledger: w.ledger,
        endpointStates: w.ledger,
        notifier: w.notifier,
      },
    );
    expect(result.kind).toBe('enrolled');
    expect(w.ec2.enrolled).toEqual([SERVICE]);
    expect(w.events.connectionEventDetails).toEqual([{ serviceId: SERVICE, trigger: 'cloudtrail' }]);
  });

  it("records a human's accept as a manual action, and ignores the gate's own", async () => {
    const w = world();
    const c = connection({
      serviceId: SERVICE,
      endpointId: ENDPOINT,
      state: 'available',
      account: '444444444444',
    });
    w.ec2.add(c);
    const deps = {
      ...base,
      endpointServices: w.ec2,
      events: w.events,
      ledger: w.ledger,
      endpointStates: w.ledger,
      notifier: w.notifier,
    };
    const human = await ingestCloudTrail(
      {
        eventName: 'AcceptVpcEndpointConnections',
        eventTime: '2026-11-21T11:59:00Z',
        requestParameters: {
          AcceptVpcEndpointConnectionsRequest: { ServiceId: SERVICE, VpcEndpointId: { content: ENDPOINT } },
        },
        userIdentity: { arn: 'arn:aws:sts::000000000000:assumed-role/Admin/alice' },
      },
      deps,
    );
    expect(human.kind).toBe('manual');
    expect(w.ledger.entries).toEqual([
      expect.objectContaining({
        endpointId: ENDPOINT,
        account: '444444444444',
        trigger: 'cloudtrail',
        outcome: 'accepted',
        actor: 'arn:aws:sts::000000000000:assumed-role/Admin/alice',
        rulesVersion: 7,
      }),
    ]);
    const own = await ingestCloudTrail(
      {
        eventName: 'AcceptVpcEndpointConnections',
        requestParameters: { ServiceId: SERVICE, VpcEndpointId: [ENDPOINT] },
        userIdentity: {
          sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::000000000000:role/gate-decide' } },
        },
      },
      deps,
    );
    expect(own).toEqual({ kind: 'ignored', why: 'the gate made this call itself' });
    const failed = await ingestCloudTrail(
      { eventName: 'AcceptVpcEndpointConnections', errorCode: 'AccessDenied' },
      deps,
    );
    expect(failed.kind).toBe('ignored');
    expect(w.ledger.entries).toHaveLength(1);
  });

  const deps = (w: ReturnType<typeof world>) => ({
    ...base,
    endpointServices: w.ec2,
    events: w.events,
    ledger: w.ledger,
    endpointStates: w.ledger,
    notifier: w.notifier,
  });
  const ALICE = 'arn:aws:iam::000000000000:user/alice';
  const handAccept = (overrides: Partial<CloudTrailDetail> = {}): CloudTrailDetail => ({
    eventName: 'AcceptVpcEndpointConnections',
    eventTime: '2026-11-21T11:59:00Z',
    requestID: '6b1c3a4e-0000-4000-8000-000000000001',
    requestParameters: {
      AcceptVpcEndpointConnectionsRequest: {
        ServiceId: SERVICE,
        VpcEndpointId: { tag: 1, content: ENDPOINT },
      },
    },
    responseElements: {
      AcceptVpcEndpointConnectionsResponse: {
        xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/',
        requestId: '6b1c3a4e-0000-4000-8000-000000000001',
        unsuccessful: '',
      },
    },
    userIdentity: { arn: ALICE },
    ...overrides,
  });

  it('a hand accept EC2 refused (the connection was rejected) is a failed attempt, never accepted', async () => {
    // Prepare
    const w = world();
    w.ec2.add(
      connection({ serviceId: SERVICE, endpointId: ENDPOINT, state: 'rejected', account: '444444444444' }),
    );
    const refused = handAccept({
      responseElements: {
        AcceptVpcEndpointConnectionsResponse: {
          requestId: '6b1c3a4e-0000-4000-8000-000000000001',
          unsuccessful: {
            item: [
              {
                error: { code: 'InvalidState', message: `Endpoint ${ENDPOINT} is in state rejected` },
                resourceId: ENDPOINT,
              },
            ],
          },
        },
      },
    });
    // Act
    const result = await ingestCloudTrail(refused, deps(w));
    // Assess
    expect(result.kind).toBe('manual');
    expect(w.ledger.entries).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        action: 'accept',
        actor: ALICE,
        requestId: '6b1c3a4e-0000-4000-8000-000000000001',
        error: { code: 'InvalidState', message: `Endpoint ${ENDPOINT} is in state rejected` },
      }),
    ]);
    expect(w.notifier.notices.map((n) => n.kind === 'decision' && n.entry.outcome)).toEqual(['failed']);
  });

  it('a hand accept whose whole call failed, or that EC2 does not show, is a failed attempt', async () => {
    const w = world();
    w.ec2.add(connection({ serviceId: SERVICE, endpointId: ENDPOINT, state: 'pendingAcceptance' }));
    await ingestCloudTrail(
      handAccept({
        errorCode: 'Client.UnauthorizedOperation',
        errorMessage: 'not allowed',
        responseElements: null,
      }),
      deps(w),
    );
    await ingestCloudTrail(handAccept({ requestID: '6b1c3a4e-0000-4000-8000-000000000002' }), deps(w));
    expect(w.ledger.entries.map((e) => [e.outcome, e.error?.code])).toEqual([
      ['failed', 'Client.UnauthorizedOperation'],
      ['failed', 'NotApplied'],
    ]);
    const dryRun = await ingestCloudTrail(handAccept({ errorCode: 'Client.DryRunOperation' }), deps(w));
    expect(dryRun.kind).toBe('ignored');
  });

  it("a person's accept is recorded once, though CloudTrail delivers it again", async () => {
    const w = world();
    w.ec2.add(
      connection({ serviceId: SERVICE, endpointId: ENDPOINT, state: 'pending', account: '444444444444' }),
    );
    await ingestCloudTrail(handAccept(), deps(w));
    await ingestCloudTrail(handAccept(), deps(w));
    expect(w.ledger.outcomes()).toEqual([[ENDPOINT, 'accepted']]);
    expect(w.ledger.entries[0]).toMatchObject({ actor: ALICE, at: '2026-11-21T11:59:00.000Z' });
    expect(w.notifier.notices).toHaveLength(1);
  });

  it("the gate's own call, made with a person's key (plgate approve), is recognised by its request id", async () => {
    // Prepare: the gate accepts in process, as `plgate approve` does with an IAM user's key.
    const w = world();
    const c = connection({ serviceId: SERVICE, endpointId: ENDPOINT, account: '111111111111' });
    w.ec2.add(c);
    const store = new MemoryRulesStore([
      { kind: 'rule', id: `approve-${ENDPOINT}`, effect: 'accept', match: { endpoints: [ENDPOINT] } },
    ]);
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: ENDPOINT, trigger: 'manual' },
      {
        endpointServices: w.ec2,
        ledger: w.ledger,
        notifier: w.notifier,
        events: w.events,
        now: base.now,
        holder: 'plgate-cli-1',
        actor: ALICE,
        rules: new RuleSetCache(store),
      },
    );
    const [recorded] = w.ledger.entries;
    expect(recorded).toMatchObject({ outcome: 'accepted', actor: ALICE, requestId: 'fake-accept-1' });
    // Act: CloudTrail reports the same call, made by alice's key.
    const result = await ingestCloudTrail(handAccept({ requestID: 'fake-accept-1' }), deps(w));
    // Assess
    expect(result).toEqual({
      kind: 'ignored',
      why: 'the gate made this call itself (request fake-accept-1)',
    });
    expect(w.ledger.entries).toHaveLength(1);
    expect(w.notifier.notices).toHaveLength(1);
  });

  it("while the gate's intent on the endpoint is unfinished, the event is thrown back to be retried", async () => {
    const w = world();
    w.ec2.add(connection({ serviceId: SERVICE, endpointId: ENDPOINT, state: 'available' }));
    const lease = await w.ledger.acquireLease(ENDPOINT, 'decider', base.now(), 60_000);
    if (!lease) throw new Error('no lease');
    const planned = {
      at: base.now().toISOString(),
      endpointId: ENDPOINT,
      serviceId: SERVICE,
      account: '333333333333',
      trigger: 'notification' as const,
      decision: 'accept' as const,
      rule: 'partners',
      matched: ['partners'],
      reasons: [],
      action: 'accept' as const,
      outcome: 'accepted' as const,
      dryRun: false,
      rulesVersion: 7,
      state: 'pendingAcceptance',
    };
    await w.ledger.writeIntent(
      lease,
      { id: 'i1', token: lease.token, entry: planned, done: false },
      base.now(),
      60_000,
    );
    await expect(ingestCloudTrail(handAccept(), deps(w))).rejects.toThrow(GateCallInFlightError);
    // Once the gate has its result, the request id is known and the call is the gate's.
    await w.ledger.endpoints.completeIntent(lease, 'i1', { ...planned, requestId: handAccept().requestID });
    expect((await ingestCloudTrail(handAccept(), deps(w))).kind).toBe('ignored');
    expect(w.ledger.entries).toEqual([]);
  });
});

describe('refusedIn', () => {
  it('reads refusals from the answer however it is shaped, and nothing from an empty one', () => {
    expect(refusedIn({ AcceptVpcEndpointConnectionsResponse: { unsuccessful: '' } }).size).toBe(0);
    expect(refusedIn(null).size).toBe(0);
    expect([
      ...refusedIn({
        Unsuccessful: [{ ResourceId: ENDPOINT, Error: { Code: 'InvalidState', Message: 'rejected' } }],
      }),
    ]).toEqual([[ENDPOINT, { code: 'InvalidState', message: 'rejected' }]]);
    // An endpoint id outside `unsuccessful` is not a refusal.
    expect(refusedIn({ resourceId: ENDPOINT, error: { code: 'X' } }).size).toBe(0);
  });
});
