import { describe, expect, it } from 'vitest';
import {
  checkTargetInput,
  InvalidTargetInputError,
  type TargetInputSpec,
  targetPayload,
  valueAt,
} from '../../../../local/events/target-input.ts';

/** The EC2 event of EventBridge's "Input transformation" examples. */
const event = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING', count: 3, tags: { env: 'prod' } },
};

const context = {
  ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/example',
  ruleName: 'example',
  ingestionTime: '2015-11-11T21:29:55Z',
};

const paths = { instance: '$.detail.instance-id', state: '$.detail.state' };

const cases: Array<[string, TargetInputSpec, unknown]> = [
  ['no input: the event', {}, { kind: 'json', value: event }],
  ['Input: fixed JSON', { Input: '{"fixed":true}' }, { kind: 'json', value: { fixed: true } }],
  ['InputPath: the detail', { InputPath: '$.detail' }, { kind: 'json', value: event.detail }],
  ['InputPath: one resource', { InputPath: '$.resources[0]' }, { kind: 'json', value: event.resources[0] }],
  ['InputPath: missing', { InputPath: '$.detail.nothing' }, { kind: 'json', value: null }],
  [
    'JSON template, placeholders outside quotes are quoted',
    {
      InputTransformer: {
        InputPathsMap: paths,
        InputTemplate: '{"instance_id": <instance>, "instance_state": <state>}',
      },
    },
    { kind: 'json', value: { instance_id: 'i-0123456789', instance_state: 'RUNNING' } },
  ],
  [
    'JSON template, placeholders inside quotes are text',
    {
      InputTransformer: {
        InputPathsMap: paths,
        InputTemplate: '{"message": "instance <instance> is in <state>"}',
      },
    },
    { kind: 'json', value: { message: 'instance i-0123456789 is in RUNNING' } },
  ],
  [
    'JSON template, numbers and objects keep their JSON',
    {
      InputTransformer: {
        InputPathsMap: { count: '$.detail.count', tags: '$.detail.tags' },
        InputTemplate: '{"count": <count>, "tags": <tags>, "label": "n=<count>"}',
      },
    },
    { kind: 'json', value: { count: 3, tags: { env: 'prod' }, label: 'n=3' } },
  ],
  [
    'JSON template, a missing value is null',
    { InputTransformer: { InputPathsMap: { x: '$.detail.nothing' }, InputTemplate: '{"x": <x>}' } },
    { kind: 'json', value: { x: null } },
  ],
  [
    'string template',
    { InputTransformer: { InputPathsMap: paths, InputTemplate: '"instance <instance> is in <state>"' } },
    { kind: 'text', text: '"instance i-0123456789 is in RUNNING"' },
  ],
  [
    'string template with escaped quotes',
    { InputTransformer: { InputPathsMap: paths, InputTemplate: '<instance> is in state "<state>"' } },
    { kind: 'text', text: 'i-0123456789 is in state "RUNNING"' },
  ],
  [
    'predefined variables',
    {
      InputTransformer: {
        InputTemplate:
          '{"rule": <aws.events.rule-name>, "arn": <aws.events.rule-arn>, "at": <aws.events.event.ingestion-time>}',
      },
    },
    { kind: 'json', value: { rule: 'example', arn: context.ruleArn, at: context.ingestionTime } },
  ],
  [
    'the event without its detail, and whole',
    { InputTransformer: { InputTemplate: '{"e": <aws.events.event>, "j": <aws.events.event.json>}' } },
    { kind: 'json', value: { e: { ...event, detail: undefined }, j: event } },
  ],
];

describe('target input', () => {
  it.each(cases)('%s', (_name, spec, expected) => {
    // Act
    const payload = targetPayload(spec, event, context);
    // Assess
    expect(JSON.parse(JSON.stringify(payload))).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it('JSON paths: wildcards give lists, indices pick', () => {
    expect(valueAt(event, '$.detail.tags.*')).toEqual(['prod']);
    expect(valueAt(event, '$.resources[1]')).toBeUndefined();
    expect(valueAt(event, '$')).toEqual(event);
  });

  const invalid: Array<[string, TargetInputSpec, string]> = [
    ['two kinds of input', { Input: '{}', InputPath: '$.detail' }, 'only one of'],
    ['Input not JSON', { Input: '{' }, 'is not valid JSON'],
    ['InputPath not a path', { InputPath: 'detail' }, 'starts with $'],
    ['InputPath bracket names', { InputPath: "$['detail']" }, 'not a JSON path EventBridge takes'],
    [
      'a reserved variable',
      { InputTransformer: { InputPathsMap: { 'aws.events.rule-arn': '$.id' }, InputTemplate: 'x' } },
      'reserved',
    ],
    ['an empty template', { InputTransformer: { InputTemplate: '' } }, 'InputTemplate'],
  ];

  it.each(invalid)('refuses %s', (_name, spec, reason) => {
    expect(() => checkTargetInput(spec, 'Targets[0]')).toThrow(InvalidTargetInputError);
    expect(() => checkTargetInput(spec, 'Targets[0]')).toThrow(reason);
  });
});
