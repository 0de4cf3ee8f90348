import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-set.ts';
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
