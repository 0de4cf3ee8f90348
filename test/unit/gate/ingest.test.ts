import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idsIn, ingestCloudTrail, ingestNotifications } from '../../../functions/gate/ingest.ts';
import {
  connection,
  FakeEndpointServices,
  MemoryLedger,
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
    ledger: new MemoryLedger(),
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

  it('are recognised from the endpoint state: an Accept after the gate accepted, a Reject after it rejected', async () => {
    const w = world();
    const rejected = 'vpce-0bbbbbbbbbbbbbbbb';
    await w.ledger.acquireLease(ENDPOINT, 'decide-1', now(), 60_000);
    await w.ledger.releaseLease(ENDPOINT, 'decide-1', 'accepted');
    await w.ledger.acquireLease(rejected, 'decide-1', now(), 60_000);
    await w.ledger.releaseLease(rejected, 'decide-1', 'rejected');
    const result = await ingestNotifications([notice('Accept'), notice('Reject', rejected)], {
      endpointServices: w.ec2,
      events: w.events,
      ledger: w.ledger,
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
      ledger: w.ledger,
      now,
    });
    expect(result.own).toBe(1);
  });

  it('are forwarded when the records do not explain them: a new request, a Reject of what the gate accepted, an unreadable event', async () => {
    const w = world();
    await w.ledger.acquireLease(ENDPOINT, 'decide-1', now(), 60_000);
    await w.ledger.releaseLease(ENDPOINT, 'decide-1', 'accepted');
    const unknown = 'vpce-0cccccccccccccccc';
    const result = await ingestNotifications(
      [
        notice('Connect', 'vpce-0dddddddddddddddd'),
        notice('Reject'),
        notice('Accept', unknown),
        { body: JSON.stringify({ ServiceId: SERVICE, VpcEndpointId: ENDPOINT }), raw: {} },
      ],
      { endpointServices: w.ec2, events: w.events, ledger: w.ledger, now },
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
    now: () => new Date('2026-11-21T12:00:00Z'),
    holder: 'invocation-1',
  };

  it('enrolls a service tagged managed and asks for its connections to be decided', async () => {
    const w = world();
    const result = await ingestCloudTrail(
      {
        eventName: 'CreateTags',
        requestParameters: { resourcesSet: { items: [{ resourceId: SERVICE }] } },
      },
      { ...base, endpointServices: w.ec2, events: w.events, ledger: w.ledger, notifier: w.notifier },
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
});
