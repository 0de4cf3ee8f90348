import { describe, expect, it } from 'vitest';
import { dynamoDbAccess } from '../../../local/iam/dynamodb-access.ts';
import type { Caller } from '../../../local/identity.ts';

const caller: Caller = {
  account: '000000000000',
  region: 'us-east-1',
  service: 'dynamodb',
  accessKeyId: 'x',
};
const byKind = () => 'kind';
const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/rules';

describe('dynamodb:LeadingKeys of a request', () => {
  it('names the partition key value of a single-item operation', () => {
    const put = dynamoDbAccess(
      caller,
      'PutItem',
      { TableName: 'rules', Item: { kind: { S: 'rule' }, id: { S: 'a' } } },
      byKind,
    );
    expect(put.requests).toEqual([
      {
        action: 'dynamodb:PutItem',
        resource: TABLE,
        resourceAccount: '000000000000',
        context: { 'dynamodb:LeadingKeys': ['rule'] },
      },
    ]);
    const get = dynamoDbAccess(
      caller,
      'GetItem',
      { TableName: 'rules', Key: { kind: { S: 'meta' }, id: { S: 'version' } } },
      byKind,
    );
    expect(get.requests[0]?.context).toEqual({ 'dynamodb:LeadingKeys': ['meta'] });
  });

  it('names every distinct partition of a batch, puts and deletes alike', () => {
    const batch = dynamoDbAccess(
      caller,
      'BatchWriteItem',
      {
        RequestItems: {
          rules: [
            { PutRequest: { Item: { kind: { S: 'rule' }, id: { S: 'a' } } } },
            { PutRequest: { Item: { kind: { S: 'rule' }, id: { S: 'b' } } } },
            { DeleteRequest: { Key: { kind: { S: 'decision' }, id: { S: 'c' } } } },
          ],
        },
      },
      byKind,
    );
    expect(batch.requests[0]?.context).toEqual({ 'dynamodb:LeadingKeys': ['rule', 'decision'] });
  });

  it('names none when the table is unknown, or for a Query', () => {
    const unknown = dynamoDbAccess(caller, 'PutItem', { TableName: 'rules', Item: { kind: { S: 'rule' } } });
    expect(unknown.requests[0]?.context).toBeUndefined();
    const query = dynamoDbAccess(
      caller,
      'Query',
      { TableName: 'rules', KeyConditionExpression: '#k = :k' },
      byKind,
    );
    expect(query.requests[0]?.context).toBeUndefined();
  });
});
