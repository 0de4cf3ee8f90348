import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CloudTrailEventSchema,
  ConnectionEventSchema,
  InvalidEventError,
  parseEvent,
  SnsEventSchema,
  StreamEventSchema,
  SweepEventSchema,
} from '../../../functions/handlers/event-schemas.ts';
import { lambdaContext } from '../../support/lambda-context.ts';

const SERVICE = 'vpce-svc-0123456789abcdef0';
const context = lambdaContext('test', 60_000);

const connectionEvent = (detail: Record<string, unknown>) => ({
  version: '0',
  id: '1',
  'detail-type': 'Connection Event',
  source: 'privatelink-gate',
  time: '2026-11-21T12:00:00Z',
  detail,
});

describe('event validation at the edge', () => {
  it('accepts the shapes the gate is wired to', () => {
    expect(
      parseEvent(ConnectionEventSchema, connectionEvent({ serviceId: SERVICE, trigger: 'notification' }), 'x')
        .detail,
    ).toEqual({ serviceId: SERVICE, trigger: 'notification' });
    expect(
      parseEvent(SweepEventSchema, { source: 'aws.events', 'detail-type': 'Scheduled Event' }, 'x'),
    ).toBeDefined();
    expect(
      parseEvent(
        SnsEventSchema,
        { Records: [{ EventSource: 'aws:sns', Sns: { TopicArn: 'a', MessageId: 'm', Message: '{}' } }] },
        'x',
      ).Records,
    ).toHaveLength(1);
    expect(
      parseEvent(
        CloudTrailEventSchema,
        {
          source: 'aws.ec2',
          'detail-type': 'AWS API Call via CloudTrail',
          detail: { eventName: 'CreateTags' },
        },
        'x',
      ).detail.eventName,
    ).toBe('CreateTags');
    expect(
      parseEvent(
        StreamEventSchema,
        {
          Records: [
            { eventName: 'INSERT', dynamodb: { SequenceNumber: '1', NewImage: { kind: { S: 'rule' } } } },
          ],
        },
        'x',
      ).Records,
    ).toHaveLength(1);
  });

  it('names the field and the value it refuses', () => {
    const bad = connectionEvent({ serviceId: 'vpce-svc-XYZ', trigger: 'notification' });
    expect(() => parseEvent(ConnectionEventSchema, bad, 'Connection Event')).toThrow(InvalidEventError);
    expect(() => parseEvent(ConnectionEventSchema, bad, 'Connection Event')).toThrow(
      /detail\.serviceId.*"vpce-svc-XYZ"/,
    );
    expect(() =>
      parseEvent(
        ConnectionEventSchema,
        connectionEvent({ serviceId: SERVICE, trigger: 'guess' }),
        'Connection Event',
      ),
    ).toThrow(/detail\.trigger.*"guess"/);
  });

  it('refuses anything that is not a well-formed event, and only ever with its own error', () => {
    fc.assert(
      fc.property(fc.anything(), (event) => {
        try {
          parseEvent(ConnectionEventSchema, event, 'Connection Event');
          return false; // arbitrary values are never valid connection events
        } catch (error) {
          return error instanceof InvalidEventError;
        }
      }),
    );
  });

  it('a handler given a malformed event rethrows, so the event is retried and dead-lettered', async () => {
    const { handler } = await import('../../../functions/handlers/decide.ts');
    await expect(handler(connectionEvent({ serviceId: 42 }), context)).rejects.toThrow(InvalidEventError);
    const { handler: sweep } = await import('../../../functions/handlers/sweep.ts');
    await expect(sweep({ source: 'someone', 'detail-type': 'Sweep Requested' }, context)).rejects.toThrow(
      InvalidEventError,
    );
  });
});
