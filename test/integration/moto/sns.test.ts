import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnsNotifier } from '../../../functions/aws/notifier.ts';
import type { LedgerEntry, Notice } from '../../../functions/gate/ports.ts';
import {
  MOTO_CREDENTIALS,
  MOTO_REGION,
  type Moto,
  MotoError,
  motoAvailable,
  startMoto,
} from '../../support/moto.ts';
import { receiveBodies } from './sqs-inbox.ts';

const entry = (overrides: Partial<LedgerEntry>): LedgerEntry => ({
  at: '2026-03-01T10:00:00.000Z',
  endpointId: 'vpce-0123456789abcdef0',
  serviceId: 'vpce-svc-0123456789abcdef0',
  account: '111122223333',
  trigger: 'notification',
  decision: 'accept',
  rule: 'acme-prod',
  matched: ['acme-prod'],
  reasons: ['account is listed'],
  action: 'accept',
  outcome: 'accepted',
  dryRun: false,
  rulesVersion: 2,
  state: 'pendingAcceptance',
  ...overrides,
});

interface Envelope {
  type: unknown;
  subject: unknown;
  /** The `sqs` form of the message, parsed. */
  record: Record<string, unknown>;
  attributes: unknown;
}

function envelope(body: string): Envelope {
  const parsed: unknown = JSON.parse(body);
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !('Message' in parsed) ||
    typeof parsed.Message !== 'string'
  ) {
    throw new MotoError(`not an SNS envelope: ${body}`);
  }
  const record: unknown = JSON.parse(parsed.Message);
  if (typeof record !== 'object' || record === null)
    throw new MotoError(`Message is not a JSON object: ${body}`);
  return {
    type: Reflect.get(parsed, 'Type'),
    subject: Reflect.get(parsed, 'Subject'),
    record: { ...record },
    attributes: Reflect.get(parsed, 'MessageAttributes'),
  };
}

describe.skipIf(!motoAvailable())('SnsNotifier against moto', () => {
  let moto: Moto | undefined;
  let sns: SNSClient;
  let sqs: SQSClient;
  let topicArn = '';
  let allQueue = '';
  let rejectionsQueue = '';

  beforeAll(async () => {
    moto = await startMoto();
    const config = { region: MOTO_REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS };
    sns = new SNSClient(config);
    sqs = new SQSClient(config);
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'plgate-decisions' }))).TopicArn ?? '';
    const queue = async (name: string): Promise<[string, string]> => {
      const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? '';
      const attributes = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
      );
      return [url, attributes.Attributes?.QueueArn ?? ''];
    };
    const [allUrl, allArn] = await queue('all-decisions');
    const [rejectionsUrl, rejectionsArn] = await queue('rejections');
    allQueue = allUrl;
    rejectionsQueue = rejectionsUrl;
    // RawMessageDelivery stays off: the queue receives the SNS envelope, its Message the `sqs` form.
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: allArn }));
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: rejectionsArn,
        Attributes: { FilterPolicy: JSON.stringify({ outcome: ['rejected', 'expired', 'revoked'] }) },
      }),
    );
  });

  afterAll(async () => {
    sns?.destroy();
    sqs?.destroy();
    await moto?.stop();
  });

  it('a subscribed queue receives the decision record, with attributes; a filter policy on outcome selects', async () => {
    const notifier = new SnsNotifier(sns, topicArn);
    const accepted = entry({});
    const rejected = entry({
      endpointId: 'vpce-0123456789abcdef1',
      account: '444455556666',
      decision: 'reject',
      action: 'reject',
      outcome: 'rejected',
      rule: 'block-unknown',
    });
    const invalid: Notice = {
      kind: 'invalid-rule',
      at: '2026-03-01T10:00:00.000Z',
      item: { kind: 'rule', id: 'broken' },
      problems: [{ path: 'effect', message: 'must be accept, reject or review' }],
    };
    await notifier.publish({ kind: 'decision', entry: accepted });
    await notifier.publish({ kind: 'decision', entry: rejected });
    await notifier.publish(invalid);

    const all = (await receiveBodies(sqs, allQueue, 3)).map(envelope);
    expect(all).toHaveLength(3);
    const byEndpoint = new Map(all.map((e) => [String(e.record.endpointId ?? 'invalid'), e]));
    const first = byEndpoint.get(accepted.endpointId);
    expect(first?.type).toBe('Notification');
    expect(first?.record).toEqual(accepted);
    expect(first?.attributes).toMatchObject({
      decision: { Type: 'String', Value: 'accept' },
      outcome: { Type: 'String', Value: 'accepted' },
      serviceId: { Type: 'String', Value: 'vpce-svc-0123456789abcdef0' },
      account: { Type: 'String', Value: '111122223333' },
    });
    expect(first?.subject).toBe(
      '[privatelink-gate] Accepted vpce-0123456789abcdef0 on vpce-svc-0123456789abcdef0',
    );
    const second = byEndpoint.get(rejected.endpointId);
    expect(second?.record).toEqual(rejected);
    expect(second?.attributes).toMatchObject({ outcome: { Type: 'String', Value: 'rejected' } });
    const third = byEndpoint.get('invalid');
    expect(third?.record).toEqual(invalid);
    expect(third?.attributes).toEqual({ outcome: { Type: 'String', Value: 'invalid-rule' } });

    // Only the rejection passes the filter policy (a second poll round finds nothing more).
    const rejections = (await receiveBodies(sqs, rejectionsQueue, 2, 10)).map(envelope);
    expect(rejections.map((e) => e.record.endpointId)).toEqual([rejected.endpointId]);
  });
});
