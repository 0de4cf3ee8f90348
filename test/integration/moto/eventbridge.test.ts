import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeGateEvents } from '../../../functions/aws/gate-events.ts';
import type { LedgerEntry } from '../../../functions/gate/ports.ts';
import type { ConnectionEventDetail } from '../../../functions/shared/events.ts';
import {
  MOTO_CREDENTIALS,
  MOTO_REGION,
  type Moto,
  MotoError,
  motoAvailable,
  startMoto,
} from '../../support/moto.ts';
import { receiveBodies } from './sqs-inbox.ts';

const BUS = 'plgate-bus';

interface ReceivedEvent {
  source: unknown;
  detailType: unknown;
  detail: Record<string, unknown>;
}

function event(body: string): ReceivedEvent {
  const parsed: unknown = JSON.parse(body);
  if (typeof parsed !== 'object' || parsed === null) throw new MotoError(`not an event: ${body}`);
  const detail: unknown = Reflect.get(parsed, 'detail');
  if (typeof detail !== 'object' || detail === null) throw new MotoError(`event without detail: ${body}`);
  return {
    source: Reflect.get(parsed, 'source'),
    detailType: Reflect.get(parsed, 'detail-type'),
    detail: { ...detail },
  };
}

describe.skipIf(!motoAvailable())('EventBridgeGateEvents against moto', () => {
  let moto: Moto | undefined;
  let eb: EventBridgeClient;
  let sqs: SQSClient;
  let queueUrl = '';

  beforeAll(async () => {
    moto = await startMoto();
    const config = { region: MOTO_REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS };
    eb = new EventBridgeClient(config);
    sqs = new SQSClient(config);
    await eb.send(new CreateEventBusCommand({ Name: BUS }));
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'gate-events' }))).QueueUrl ?? '';
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await eb.send(
      new PutRuleCommand({
        Name: 'all-gate-events',
        EventBusName: BUS,
        EventPattern: JSON.stringify({ source: ['privatelink-gate'] }),
      }),
    );
    await eb.send(
      new PutTargetsCommand({
        Rule: 'all-gate-events',
        EventBusName: BUS,
        Targets: [{ Id: 'queue', Arn: attributes.Attributes?.QueueArn ?? '' }],
      }),
    );
  });

  afterAll(async () => {
    eb?.destroy();
    sqs?.destroy();
    await moto?.stop();
  });

  it('events put by the adapter reach a rule target with source, detail-type and detail', async () => {
    const events = new EventBridgeGateEvents(eb, BUS);
    const triggers: ConnectionEventDetail[] = Array.from({ length: 12 }, (_, i) => ({
      serviceId: 'vpce-svc-0123456789abcdef0',
      endpointId: `vpce-${i.toString(16).padStart(17, '0')}`,
      trigger: 'notification',
      raw: { Message: `notification ${i}` },
    }));
    const decision: LedgerEntry = {
      at: '2026-03-01T10:00:00.000Z',
      endpointId: 'vpce-00000000000000000',
      serviceId: 'vpce-svc-0123456789abcdef0',
      account: '111122223333',
      trigger: 'notification',
      decision: 'reject',
      rule: 'block',
      matched: ['block'],
      reasons: ['blocked'],
      action: 'reject',
      outcome: 'rejected',
      dryRun: false,
      rulesVersion: 4,
      state: 'pendingAcceptance',
    };
    await events.connectionEvents(triggers);
    await events.decisions([decision]);
    await events.requestSweep({ reason: 'rule-change', serviceIds: ['vpce-svc-0123456789abcdef0'] });

    const received = (await receiveBodies(sqs, queueUrl, 14)).map(event);
    expect(received).toHaveLength(14);
    for (const e of received) expect(e.source).toBe('privatelink-gate');
    const connectionEvents = received.filter((e) => e.detailType === 'Connection Event');
    expect(
      connectionEvents
        .map((e) => e.detail)
        .sort((a, b) => String(a.endpointId).localeCompare(String(b.endpointId))),
    ).toEqual(triggers);
    expect(received.filter((e) => e.detailType === 'Connection Decision').map((e) => e.detail)).toEqual([
      decision,
    ]);
    expect(received.filter((e) => e.detailType === 'Sweep Requested').map((e) => e.detail)).toEqual([
      { reason: 'rule-change', serviceIds: ['vpce-svc-0123456789abcdef0'] },
    ]);
  });
});
