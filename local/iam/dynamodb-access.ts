/**
 * What a DynamoDB request asks IAM for: the IAM action of the operation (of each item, for
 * transactions) on each table it names, `table/NAME/index/INDEX` for index reads, `*` for
 * ListTables. A table is named by name (the caller's own account) or by ARN (any account).
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

export function dynamoDbAccess(caller: Caller, operation: string, request: unknown): DynamoDbAccess {
  const requests: AccessRequest[] = [];
  const tables: TableReference[] = [];
  const on = (action: string, tableName: unknown, indexName?: unknown) => {
    if (typeof tableName !== 'string' || tableName === '') return;
    const table = tableReference(tableName, caller.account);
    tables.push(table);
    const tableArn = `arn:aws:dynamodb:${caller.region}:${table.account}:table/${table.name}`;
    requests.push({
      action,
      resource:
        typeof indexName === 'string' && indexName !== '' ? `${tableArn}/index/${indexName}` : tableArn,
      resourceAccount: table.account,
    });
  };
  const body = isObject(request) ? request : {};
  const action = `dynamodb:${operation}`;
  switch (operation) {
    case 'ListTables':
      requests.push({ action, resource: '*', resourceAccount: caller.account });
      break;
    case 'BatchGetItem':
    case 'BatchWriteItem':
      for (const name of Object.keys(isObject(body.RequestItems) ? body.RequestItems : {})) on(action, name);
      break;
    case 'TransactWriteItems':
    case 'TransactGetItems':
      for (const item of Array.isArray(body.TransactItems) ? body.TransactItems : []) {
        if (!isObject(item)) continue;
        for (const [kind, operationOf] of Object.entries(item)) {
          if (!isObject(operationOf)) continue;
          on(
            kind === 'Get' ? 'dynamodb:GetItem' : (TRANSACT_WRITE_ACTIONS[kind] ?? action),
            operationOf.TableName,
          );
        }
      }
      break;
    default:
      on(action, body.TableName, operation === 'Query' || operation === 'Scan' ? body.IndexName : undefined);
  }
  return { requests, tables };
}
