/**
 * What a DynamoDB request asks IAM for: the IAM action of the operation (of each item, for
 * transactions) on each table it names, `table/NAME/index/INDEX` for index reads, `*` for
 * ListTables. A table is named by name (the caller's own account) or by ARN (any account).
 *
 * Item operations also carry `dynamodb:LeadingKeys`, the partition key values they touch,
 * as DynamoDB gives IAM: a role held to some partitions (the register function's
 * `ForAllValues:StringEquals` on the rules table) is refused the others. Query's key
 * condition is an expression and is not read, so a Query carries no LeadingKeys.
 */
import type { Caller } from '../identity.ts';
import type { AccessRequest } from './authorizer.ts';

export interface TableReference {
  account: string;
  name: string;
  /** As the request wrote it (a name or an ARN). */
  given: string;
}

export interface DynamoDbAccess {
  requests: AccessRequest[];
  tables: TableReference[];
}

const TABLE_ARN = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:([0-9]{12}):table\/([A-Za-z0-9_.-]{3,255})$/;

const TRANSACT_WRITE_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function tableReference(given: string, callerAccount: string): TableReference {
  const arn = TABLE_ARN.exec(given);
  return arn === null
    ? { account: callerAccount, name: given, given }
    : { account: arn[1] ?? callerAccount, name: arn[2] ?? given, given };
}

/** The partition key's attribute name of a table, when the table exists. */
export type PartitionKeyOf = (table: TableReference) => string | undefined;

/** The string form of a key attribute value (`{S}`, `{N}`), as IAM compares it. */
function scalarOf(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.S === 'string') return value.S;
  if (typeof value.N === 'string') return value.N;
  return undefined;
}

/** The items or keys a BatchWriteItem or BatchGetItem names for one table. */
function batchKeysOf(operation: string, entry: unknown): unknown[] {
  if (operation === 'BatchGetItem') return isObject(entry) && Array.isArray(entry.Keys) ? entry.Keys : [];
  if (!Array.isArray(entry)) return [];
  return entry.map((write) => {
    if (!isObject(write)) return undefined;
    if (isObject(write.PutRequest)) return write.PutRequest.Item;
    if (isObject(write.DeleteRequest)) return write.DeleteRequest.Key;
    return undefined;
  });
}

export function dynamoDbAccess(
  caller: Caller,
  operation: string,
  request: unknown,
  partitionKeyOf: PartitionKeyOf = () => undefined,
): DynamoDbAccess {
  const requests: AccessRequest[] = [];
  const tables: TableReference[] = [];
  const on = (action: string, tableName: unknown, indexName?: unknown, keys?: readonly unknown[]) => {
    if (typeof tableName !== 'string' || tableName === '') return;
    const table = tableReference(tableName, caller.account);
    tables.push(table);
    const tableArn = `arn:aws:dynamodb:${caller.region}:${table.account}:table/${table.name}`;
    const partitionKey = keys === undefined ? undefined : partitionKeyOf(table);
    const leadingKeys =
      partitionKey === undefined
        ? []
        : [
            ...new Set(
              (keys ?? []).flatMap((key) => {
                const value = isObject(key) ? scalarOf(key[partitionKey]) : undefined;
                return value === undefined ? [] : [value];
              }),
            ),
          ];
    requests.push({
      action,
      resource:
        typeof indexName === 'string' && indexName !== '' ? `${tableArn}/index/${indexName}` : tableArn,
      resourceAccount: table.account,
      ...(leadingKeys.length === 0 ? {} : { context: { 'dynamodb:LeadingKeys': leadingKeys } }),
    });
  };
  const body = isObject(request) ? request : {};
  const action = `dynamodb:${operation}`;
  switch (operation) {
    case 'ListTables':
      requests.push({ action, resource: '*', resourceAccount: caller.account });
      break;
    case 'GetItem':
    case 'DeleteItem':
    case 'UpdateItem':
      on(action, body.TableName, undefined, [body.Key]);
      break;
    case 'PutItem':
      on(action, body.TableName, undefined, [body.Item]);
      break;
    case 'BatchGetItem':
    case 'BatchWriteItem': {
      const items = isObject(body.RequestItems) ? body.RequestItems : {};
      for (const [name, entry] of Object.entries(items))
        on(action, name, undefined, batchKeysOf(operation, entry));
      break;
    }
    case 'TransactWriteItems':
    case 'TransactGetItems':
      for (const item of Array.isArray(body.TransactItems) ? body.TransactItems : []) {
        if (!isObject(item)) continue;
        for (const [kind, operationOf] of Object.entries(item)) {
          if (!isObject(operationOf)) continue;
          on(
            kind === 'Get' ? 'dynamodb:GetItem' : (TRANSACT_WRITE_ACTIONS[kind] ?? action),
            operationOf.TableName,
            undefined,
            [kind === 'Put' ? operationOf.Item : operationOf.Key],
          );
        }
      }
      break;
    default:
      on(action, body.TableName, operation === 'Query' || operation === 'Scan' ? body.IndexName : undefined);
  }
  return { requests, tables };
}
