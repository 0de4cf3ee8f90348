import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { NoticePublishError, SnsNotifier } from '../../../functions/aws/notifier.ts';
import type { LedgerEntry } from '../../../functions/gate/ports.ts';

const TOPIC = 'arn:aws:sns:us-east-1:111122223333:plgate-decisions';
const sns = new SNSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const snsMock = mockClient(sns);

const entry: LedgerEntry = {
  at: '2026-03-01T10:00:00.000Z',
  endpointId: 'vpce-0123456789abcdef0',
  serviceId: 'vpce-svc-0123456789abcdef0',
  account: '111122223333',
  trigger: 'sweep',
  decision: 'review',
  rule: null,
  matched: [],
  reasons: ['no rule matched; the default is review'],
  action: 'none',
  outcome: 'held',
  dryRun: false,
  rulesVersion: 1,
  state: 'pendingAcceptance',
};

beforeEach(() => {
  snsMock.reset();
});

describe('SnsNotifier', () => {
  it('publishes one JSON-structured message with a subject and String attributes', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await new SnsNotifier(sns, TOPIC).publish({ kind: 'decision', entry });
    const input = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBe(TOPIC);
    expect(input?.MessageStructure).toBe('json');
    expect(input?.Subject).toBe(
      '[privatelink-gate] Held for review vpce-0123456789abcdef0 on vpce-svc-0123456789abcdef0',
    );
    expect(input?.MessageAttributes).toEqual({
      decision: { DataType: 'String', StringValue: 'review' },
      outcome: { DataType: 'String', StringValue: 'held' },
      serviceId: { DataType: 'String', StringValue: 'vpce-svc-0123456789abcdef0' },
      account: { DataType: 'String', StringValue: '111122223333' },
      dryRun: { DataType: 'String', StringValue: 'false' },
    });
    const body: unknown = JSON.parse(input?.Message ?? '');
    expect(body).toEqual({
      default: expect.any(String),
      email: expect.stringContaining('Held for review'),
      sqs: JSON.stringify(entry),
      lambda: JSON.stringify(entry),
    });
    const chatbot: unknown = JSON.parse((body as { default: string }).default);
    expect(chatbot).toMatchObject({
      version: '1.0',
      source: 'custom',
      metadata: { threadId: entry.endpointId },
    });
  });

  it('sends only the outcome attribute for an invalid rule', async () => {
    snsMock.on(PublishCommand).resolves({});
    await new SnsNotifier(sns, TOPIC).publish({
      kind: 'invalid-rule',
      at: entry.at,
      item: { kind: 'service', id: 'vpce-svc-0123456789abcdef0' },
      problems: [{ path: 'mode', message: 'must be enforce, dry-run or off' }],
    });
    expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.MessageAttributes).toEqual({
      outcome: { DataType: 'String', StringValue: 'invalid-rule' },
    });
  });

  it('throws a NoticePublishError with the SDK error as cause, so the handler can rethrow', async () => {
    const denied = Object.assign(new Error('not allowed'), { name: 'AuthorizationErrorException' });
    snsMock.on(PublishCommand).rejects(denied);
    const error: unknown = await new SnsNotifier(sns, TOPIC)
      .publish({ kind: 'decision', entry })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoticePublishError);
    expect(error).toMatchObject({
      message: expect.stringContaining('AuthorizationErrorException'),
      cause: denied,
    });
  });

  it('refuses a topic that is not an SNS ARN', () => {
    expect(() => new SnsNotifier(sns, 'plgate-decisions')).toThrow(/topicArn: not an SNS topic ARN/);
  });
});
