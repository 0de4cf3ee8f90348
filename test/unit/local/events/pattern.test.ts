import { describe, expect, it } from 'vitest';
import {
  InvalidEventPatternError,
  matchesPattern,
  parseEventPattern,
} from '../../../../local/events/pattern.ts';

/** The event of EventBridge's "Content filtering" page, with the fields its examples use. */
const event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: {
    'instance-id': 'i-1234567890abcdef0',
    state: 'terminated',
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.123',
    location: null,
    empty: '',
    flags: [true, false],
    'event-name': 'ConsoleLogin',
    filename: 'reports/2024/summary.png',
    tags: ['alpha', 'beta'],
    items: [
      { name: 'a', size: 1 },
      { name: 'b', size: 20 },
    ],
  },
};

const cases: Array<[string, unknown, boolean]> = [
  ['exact source', { source: ['aws.ec2'] }, true],
  ['exact source, other value', { source: ['aws.s3'] }, false],
  ['any of several values', { detail: { state: ['running', 'terminated'] } }, true],
  ['numbers compare as numbers', { detail: { 'c-count': [5.0] } }, true],
  ['a string is not a number', { detail: { 'c-count': ['5'] } }, false],
  ['null matches null', { detail: { location: [null] } }, true],
  ['empty string matches empty string', { detail: { empty: [''] } }, true],
  ['booleans in an array', { detail: { flags: [true] } }, true],
  [
    'array: any element',
    { resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'] },
    true,
  ],
  ['array: any element of tags', { detail: { tags: ['beta'] } }, true],
  ['prefix', { time: [{ prefix: '2017-12-22' }] }, true],
  ['prefix, no match', { time: [{ prefix: '2018' }] }, false],
  ['prefix equals-ignore-case', { source: [{ prefix: { 'equals-ignore-case': 'AWS.' } }] }, true],
  ['suffix', { detail: { filename: [{ suffix: '.png' }] } }, true],
  [
    'suffix equals-ignore-case',
    { detail: { filename: [{ suffix: { 'equals-ignore-case': '.PNG' } }] } },
    true,
  ],
  ['suffix, no match', { detail: { filename: [{ suffix: '.jpg' }] } }, false],
  ['equals-ignore-case', { detail: { 'event-name': [{ 'equals-ignore-case': 'consolelogin' }] } }, true],
  ['anything-but a string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, true],
  ['anything-but the value', { detail: { state: [{ 'anything-but': 'terminated' }] } }, false],
  ['anything-but a list', { detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } }, false],
  ['anything-but numbers', { detail: { 'c-count': [{ 'anything-but': [100, 200] }] } }, true],
  ['anything-but prefix', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, true],
  ['anything-but prefix, excluded', { detail: { state: [{ 'anything-but': { prefix: 'term' } }] } }, false],
  ['anything-but suffix', { detail: { filename: [{ 'anything-but': { suffix: '.png' } }] } }, false],
  [
    'anything-but equals-ignore-case list',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['TERMINATED', 'Stopped'] } }] } },
    false,
  ],
  ['anything-but wildcard', { detail: { filename: [{ 'anything-but': { wildcard: '*/2023/*' } }] } }, true],
  ['anything-but needs the field', { detail: { missing: [{ 'anything-but': 'x' }] } }, false],
  ['numeric range', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, true],
  ['numeric out of range', { detail: { 'd-count': [{ numeric: ['<', 3] }] } }, false],
  ['numeric equals', { detail: { 'x-limit': [{ numeric: ['=', 301.8] }] } }, true],
  ['numeric on a string', { detail: { state: [{ numeric: ['>', 0] }] } }, false],
  ['exists true', { detail: { state: [{ exists: true }] } }, true],
  ['exists false on a present field', { detail: { state: [{ exists: false }] } }, false],
  ['exists false on a missing field', { detail: { 'no-such-field': [{ exists: false }] } }, true],
  ['exists false under a missing object', { 'no-such-object': { x: [{ exists: false }] } }, true],
  ['exists true on a missing field', { detail: { 'no-such-field': [{ exists: true }] } }, false],
  ['exists on an object is not a leaf', { detail: [{ exists: true }] }, false],
  ['wildcard', { detail: { filename: [{ wildcard: 'reports/*/summary.png' }] } }, true],
  ['wildcard, no match', { detail: { filename: [{ wildcard: 'reports/*/detail.png' }] } }, false],
  ['wildcard with an escaped star', { detail: { filename: [{ wildcard: 'reports\\*' }] } }, false],
  ['cidr', { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, true],
  ['cidr, outside', { detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } }, false],
  ['nested field missing', { detail: { nothing: ['x'] } }, false],
  ['every field must match', { source: ['aws.ec2'], 'detail-type': ['Other'] }, false],
  ['$or: one branch matches', { $or: [{ source: ['aws.s3'] }, { detail: { state: ['terminated'] } }] }, true],
  ['$or: no branch matches', { $or: [{ source: ['aws.s3'] }, { detail: { state: ['running'] } }] }, false],
  [
    '$or nested in detail',
    { detail: { $or: [{ 'c-count': [{ numeric: ['>', 10] }] }, { 'd-count': [{ numeric: ['<', 10] }] }] } },
    true,
  ],
  [
    '$or and a sibling field',
    { source: ['aws.s3'], $or: [{ region: ['us-west-1'] }, { account: ['1'] }] },
    false,
  ],
  [
    'objects in arrays: one element',
    { detail: { items: { name: ['b'], size: [{ numeric: ['>', 10] }] } } },
    true,
  ],
  [
    'objects in arrays: not across elements',
    { detail: { items: { name: ['a'], size: [{ numeric: ['>', 10] }] } } },
    false,
  ],
];

describe('event patterns', () => {
  it.each(cases)('%s', (_name, pattern, expected) => {
    // Prepare
    const parsed = parseEventPattern(JSON.stringify(pattern));
    // Act / Assess
    expect(matchesPattern(parsed, event)).toBe(expected);
  });

  const invalid: Array<[string, unknown, string]> = [
    ['not JSON', '{', 'not valid JSON'],
    ['not an object', '[]', 'JSON object'],
    ['empty', {}, 'empty objects'],
    ['a bare value', { source: 'aws.ec2' }, '$.source'],
    ['an empty array', { source: [] }, 'empty arrays'],
    ['an unknown operator', { source: [{ contains: 'x' }] }, 'unrecognized match type contains'],
    ['prefix of a number', { source: [{ prefix: 1 }] }, 'prefix takes a string'],
    ['bad numeric operator', { detail: { n: [{ numeric: ['!=', 1] }] } }, 'operator'],
    ['two lower bounds', { detail: { n: [{ numeric: ['>', 1, '>=', 2] }] } }, 'at most one lower'],
    ['exists of a string', { detail: { n: [{ exists: 'yes' }] } }, 'exists takes true or false'],
    ['double wildcard', { detail: { n: [{ wildcard: 'a**b' }] } }, 'consecutive wildcard'],
    ['bad cidr', { detail: { ip: [{ cidr: '10.0.0/8' }] } }, 'not a CIDR block'],
    ['$or of one', { $or: [{ source: ['a'] }] }, 'at least two'],
    ['two operators in one filter', { source: [{ prefix: 'a', suffix: 'b' }] }, 'exactly one operator'],
  ];

  it.each(invalid)('refuses %s, naming why', (_name, pattern, reason) => {
    // Act / Assess
    expect(() => parseEventPattern(typeof pattern === 'string' ? pattern : JSON.stringify(pattern))).toThrow(
      InvalidEventPatternError,
    );
    expect(() => parseEventPattern(typeof pattern === 'string' ? pattern : JSON.stringify(pattern))).toThrow(
      reason,
    );
  });

  it('takes a pattern as an object, as CloudFormation gives it', () => {
    expect(matchesPattern(parseEventPattern({ source: ['aws.ec2'] }), event)).toBe(true);
  });
});
