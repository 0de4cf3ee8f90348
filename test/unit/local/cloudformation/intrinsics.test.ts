import { describe, expect, it } from 'vitest';
import {
  evaluateConditions,
  type ResolveContext,
  referencesOf,
  resolveValue,
  TemplateError,
} from '../../../../local/cloudformation/intrinsics.ts';

const context = (overrides: Partial<ResolveContext> = {}): ResolveContext => ({
  parameters: { 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '111111111111', Stage: 'prod' },
  resources: {
    Table: {
      physicalId: 'my-table',
      attributes: { Arn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/my-table' },
    },
  },
  conditions: { IsProd: true, IsDev: false },
  mappings: { Sizes: { prod: { Memory: 1024 } } },
  exports: { SharedBus: 'bus-1' },
  region: 'eu-west-1',
  ...overrides,
});

describe('intrinsic functions', () => {
  it.each([
    ['Ref of a parameter', { Ref: 'Stage' }, 'prod'],
    ['Ref of a pseudo parameter', { Ref: 'AWS::Region' }, 'eu-west-1'],
    ['Ref of a resource', { Ref: 'Table' }, 'my-table'],
    [
      'GetAtt as a list',
      { 'Fn::GetAtt': ['Table', 'Arn'] },
      'arn:aws:dynamodb:eu-west-1:111111111111:table/my-table',
    ],
    [
      'GetAtt as a dotted string',
      { 'Fn::GetAtt': 'Table.Arn' },
      'arn:aws:dynamodb:eu-west-1:111111111111:table/my-table',
    ],
    ['Join', { 'Fn::Join': ['-', ['a', { Ref: 'Stage' }, 'c']] }, 'a-prod-c'],
    [
      'Sub with pseudo, attribute and literal',
      { 'Fn::Sub': '${AWS::Region}/${Table.Arn}/${!Literal}' },
      'eu-west-1/arn:aws:dynamodb:eu-west-1:111111111111:table/my-table/${Literal}',
    ],
    ['Sub with variables', { 'Fn::Sub': ['${Name}-${Stage}', { Name: { Ref: 'Table' } }] }, 'my-table-prod'],
    ['Select', { 'Fn::Select': [1, ['a', 'b', 'c']] }, 'b'],
    ['Split then Select', { 'Fn::Select': [2, { 'Fn::Split': [':', 'arn:aws:sns'] }] }, 'sns'],
    ['If true', { 'Fn::If': ['IsProd', 'big', 'small'] }, 'big'],
    ['If false', { 'Fn::If': ['IsDev', 'big', 'small'] }, 'small'],
    ['FindInMap', { 'Fn::FindInMap': ['Sizes', { Ref: 'Stage' }, 'Memory'] }, 1024],
    ['ImportValue', { 'Fn::ImportValue': 'SharedBus' }, 'bus-1'],
    ['Base64', { 'Fn::Base64': 'hi' }, 'aGk='],
  ])('%s', (_name, value, expected) => {
    expect(resolveValue(value, context(), 'X')).toEqual(expected);
  });

  it('drops a property that is AWS::NoValue, in objects and lists', () => {
    const resolved = resolveValue(
      { A: { Ref: 'AWS::NoValue' }, B: [1, { 'Fn::If': ['IsDev', 2, { Ref: 'AWS::NoValue' }] }], C: 'kept' },
      context(),
      'X',
    );
    expect(resolved).toEqual({ B: [1], C: 'kept' });
  });

  it('names where and what when a reference is missing or a function unknown', () => {
    expect(() => resolveValue({ Ref: 'Nope' }, context(), 'Resources.Fn.Properties.Role')).toThrow(
      /Resources.Fn.Properties.Role: Ref: nothing named Nope/,
    );
    expect(() => resolveValue({ 'Fn::GetAtt': ['Table', 'StreamArn'] }, context(), 'X')).toThrow(
      /Table has no attribute StreamArn/,
    );
    expect(() => resolveValue({ 'Fn::Cidr': ['10.0.0.0/16', 2, 8] }, context(), 'X')).toThrow(TemplateError);
  });

  it('evaluates conditions that refer to each other, in any order', () => {
    const conditions = evaluateConditions(
      {
        Both: { 'Fn::And': [{ Condition: 'IsProd' }, { 'Fn::Not': [{ Condition: 'IsEu' }] }] },
        IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] },
        IsEu: {
          'Fn::Or': [{ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] }, { 'Fn::Equals': ['a', 'b'] }],
        },
      },
      context(),
    );
    expect(conditions).toEqual({ Both: false, IsProd: true, IsEu: true });
    expect(() => evaluateConditions({ Loop: { Condition: 'Loop' } }, context())).toThrow(/refers to itself/);
  });

  it('finds the logical ids a value refers to', () => {
    const found = referencesOf({
      A: { Ref: 'Topic' },
      B: { 'Fn::GetAtt': ['Role', 'Arn'] },
      C: { 'Fn::Sub': '${Queue.Arn}/${AWS::Region}/${!Not}' },
      D: { 'Fn::Join': ['', [{ Ref: 'Bus' }]] },
    });
    expect([...found].sort()).toEqual(['AWS::Region', 'Bus', 'Queue', 'Role', 'Topic']);
  });
});
