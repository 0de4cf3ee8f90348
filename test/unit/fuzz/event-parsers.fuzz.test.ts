/**
 * Fuzzing the edge: every event shape the handlers take, varied one field at a time and
 * replaced wholesale. A parser either returns what its schema promises or throws its own
 * InvalidEventError naming the field; nothing else, and never an action on bad input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-items.ts';
import { ingestCloudTrail } from '../../../functions/gate/cloudtrail.ts';
import { ingestNotifications } from '../../../functions/gate/ingest.ts';
import { handleRuleChanges } from '../../../functions/gate/rule-change.ts';
import {
  CloudTrailEventSchema,
  ConnectionEventSchema,
  InvalidEventError,
  parseEvent,
  SnsEventSchema,
  StreamEventSchema,
  SweepEventSchema,
  streamItems,
  UNREADABLE_IMAGE_KIND,
} from '../../../functions/handlers/event-schemas.ts';
import { hostileValue, mutationOf, namesPathOrAncestor } from '../../support/fuzz.ts';
import {
  FakeEndpointServices,
  MemoryLedger,
  MemoryLedgerTable,
  MemoryRulesStore,
  RecordingEvents,
  RecordingNotifier,
} from '../../support/gate-fakes.ts';

const SERVICE = 'vpce-svc-0123456789abcdef0';
const ENDPOINT = 'vpce-0123456789abcdef0';
const RUNS = { numRuns: 150 };

const VALID = {
  'Connection Event': [
    ConnectionEventSchema,
    {
      version: '0',
      'detail-type': 'Connection Event',
      source: 'privatelink-gate',
      time: '2026-11-21T12:00:00Z',
      detail: { serviceId: SERVICE, endpointId: ENDPOINT, trigger: 'notification' },
    },
  ],
  'Sweep Requested': [
    SweepEventSchema,
    {
      'detail-type': 'Sweep Requested',
      source: 'privatelink-gate',
      detail: {
        reason: 'continuation',
        serviceIds: [SERVICE],
        cursor: { serviceId: SERVICE, nextToken: 't' },
      },
    },
  ],
  'SNS event': [
    SnsEventSchema,
    {
      Records: [
        {
          EventSource: 'aws:sns',
          Sns: { TopicArn: 'arn:aws:sns:us-east-1:000000000000:ingest', MessageId: 'm-1', Message: '{}' },
        },
      ],
    },
  ],
  'CloudTrail event': [
    CloudTrailEventSchema,
    {
      source: 'aws.ec2',
      'detail-type': 'AWS API Call via CloudTrail',
      detail: {
        eventName: 'AcceptVpcEndpointConnections',
        eventTime: '2026-11-21T12:00:00Z',
        requestParameters: { serviceId: SERVICE },
        userIdentity: { arn: 'arn:aws:iam::000000000000:user/alice' },
      },
    },
  ],
  'DynamoDB stream event': [
    StreamEventSchema,
    {
      Records: [
        {
          eventName: 'MODIFY',
          dynamodb: {
            SequenceNumber: '100',
            NewImage: { kind: { S: 'rule' }, id: { S: 'r1' }, effect: { S: 'accept' } },
            OldImage: { kind: { S: 'rule' }, id: { S: 'r1' } },
          },
        },
      ],
    },
  ],
} as const;

function refusal(run: () => unknown): InvalidEventError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return error as InvalidEventError;
  }
}

describe.each(Object.entries(VALID))('the %s parser', (what, [schema, valid]) => {
  it('reads the valid shape', () => {
    expect(() => parseEvent(schema, valid, what)).not.toThrow();
  });

  it('refuses a hostile field with its own error, naming the field (property)', () => {
    fc.assert(
      fc.property(mutationOf(valid), ({ path, value }) => {
        const error = refusal(() => parseEvent(schema, value, what));
        if (error === undefined) return;
        expect(error.message).toMatch(new RegExp(`^invalid ${what}: `));
        expect(namesPathOrAncestor(error.message, path, '(event)')).toBe(true);
      }),
      RUNS,
    );
  });

  it('refuses anything at all with its own error (property)', () => {
    fc.assert(
      fc.property(hostileValue, (value) => {
        refusal(() => parseEvent(schema, value, what));
      }),
      RUNS,
    );
  });
});

describe('stream images', () => {
  it('turn into items, an unreadable one into an item of no valid kind naming its record (property)', () => {
    const [schema, valid] = VALID['DynamoDB stream event'];
    fc.assert(
      fc.property(mutationOf(valid), ({ value }) => {
        let records: ReturnType<typeof parseEvent<typeof schema>>['Records'];
        try {
          records = parseEvent(schema, value, 'DynamoDB stream event').Records;
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidEventError);
          return;
        }
        const changes = streamItems(records);
        expect(changes).toHaveLength(records.length);
        for (const change of changes)
          for (const item of [change.newItem, change.oldItem])
            if (item !== undefined && item.kind === UNREADABLE_IMAGE_KIND)
              expect(item.id).toBe(`stream-record-${change.id}`);
      }),
      RUNS,
    );
  });

  it('a poisoned record does not block the others in its batch: it is reported, they are handled', async () => {
    const changes = streamItems([
      { eventName: 'INSERT', dynamodb: { SequenceNumber: '1', NewImage: { id: { Q: 'x' } as never } } },
      {
        eventName: 'INSERT',
        dynamodb: {
          SequenceNumber: '2',
          NewImage: { kind: { S: 'rule' }, id: { S: 'ok' }, effect: { S: 'reject' }, match: { M: {} } },
        },
      },
    ]);
    expect(changes[0]?.newItem).toMatchObject({ kind: UNREADABLE_IMAGE_KIND, id: 'stream-record-1' });
    const ledger = new MemoryLedger();
    const result = await handleRuleChanges(changes, {
      rulesStore: new MemoryRulesStore([]),
      ledger,
      notifier: new RecordingNotifier(),
      events: new RecordingEvents(),
      now: () => new Date('2026-11-21T12:00:00Z'),
    });
    expect(result.failedFrom).toBeUndefined();
    expect(result.invalid.map((problem) => problem.item.id)).toEqual(['stream-record-1']);
    expect(result.version).toBeDefined();
    expect(result.services).toBe('all');
  });
});

const unmanagedOrHostile = fc.oneof(
  hostileValue,
  fc.constant({ serviceId: 'vpce-svc-0000000000000000f', vpcEndpointIds: [ENDPOINT] }),
);

describe('ingest of fuzzed notifications and CloudTrail calls', () => {
  it('forwards only managed services, and only ids that appear in the message (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(fc.string({ unit: 'binary' }), fc.json(), fc.constant(`{"ServiceId":"${SERVICE}"}`)),
          {
            minLength: 1,
            maxLength: 5,
          },
        ),
        async (bodies) => {
          const endpointServices = new FakeEndpointServices();
          endpointServices.managed.add(SERVICE);
          const events = new RecordingEvents();
          const result = await ingestNotifications(
            bodies.map((body) => ({ body, raw: {} })),
            { endpointServices, events },
          );
          for (const detail of result.forwarded) {
            expect(detail.serviceId).toBe(SERVICE);
            if (detail.endpointId !== undefined) expect(bodies.join(' ')).toContain(detail.endpointId);
          }
          // Every message is either forwarded or counted as dropped: none vanishes.
          expect(result.dropped).toBe(bodies.filter((body) => !body.includes(SERVICE)).length);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('never records a manual action for an unmanaged service or one it cannot read (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        unmanagedOrHostile,
        unmanagedOrHostile,
        fc.constantFrom('AcceptVpcEndpointConnections', 'RejectVpcEndpointConnections', 'CreateTags'),
        async (requestParameters, responseElements, eventName) => {
          const endpointServices = new FakeEndpointServices();
          const ledger = new MemoryLedgerTable();
          const result = await ingestCloudTrail(
            { eventName, requestParameters, responseElements },
            {
              endpointServices,
              events: new RecordingEvents(),
              ledger,
              endpointStates: ledger,
              notifier: new RecordingNotifier(),
              ingestTopicArn: 'arn:aws:sns:us-east-1:000000000000:ingest',
              gateRoleArns: [],
              rulesVersion: async () => 1,
              ruleSet: async () => ruleSetFromItems([]).ruleSet,
              now: () => new Date('2026-11-21T12:00:00Z'),
              holder: 'fuzz',
            },
          );
          expect(result.kind).toBe('ignored');
          expect(ledger.entries).toHaveLength(0);
        },
      ),
      { numRuns: 80 },
    );
  });
});
