/**
 * From a `--data` directory written before the local cloud deployed the stack (state file
 * version 1 or 2): the gate then ran wired by hand, with its rules and ledger in tables of
 * fixed names. The deployed stack has tables of its own; this copies every item of the old
 * tables into them, then deletes the old tables, so an upgrade keeps every rule, decision
 * and pending request. Runs once: afterwards the old tables are gone.
 */
import type { EmbeddedDynamoDb } from '../dynamodb/api.ts';

/** The tables' names before version 3 (local/gate-resources.ts of that release). */
export const HAND_WIRED_TABLES = { rules: 'plgate-rules', ledger: 'plgate-ledger' } as const;

type Item = Record<string, unknown>;

async function call(dynamodb: EmbeddedDynamoDb, operation: string, request: Item): Promise<Item | undefined> {
  const response = await dynamodb.handle(operation, JSON.stringify(request));
  const body = response.body === '' ? {} : (JSON.parse(response.body) as Item);
  if (response.status === 200) return body;
  if (String(body.__type ?? '').endsWith('ResourceNotFoundException')) return undefined;
  throw new Error(`${operation} ${String(request.TableName)}: ${String(body.message ?? response.body)}`);
}

async function copyTable(dynamodb: EmbeddedDynamoDb, from: string, to: string): Promise<number | undefined> {
  let copied = 0;
  let start: unknown;
  do {
    const page = await call(dynamodb, 'Scan', {
      TableName: from,
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
    if (page === undefined) return copied === 0 ? undefined : copied;
    const items = (page.Items as Item[] | undefined) ?? [];
    for (let i = 0; i < items.length; i += 25) {
      let requests: Item = { [to]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
      while (Object.keys(requests).length > 0) {
        const written = await call(dynamodb, 'BatchWriteItem', { RequestItems: requests });
        requests = (written?.UnprocessedItems as Item | undefined) ?? {};
      }
    }
    copied += items.length;
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return copied;
}

/** Copies the hand-wired tables into the stack's; what it copied, per table (none when there were none). */
export async function migrateHandWiredTables(
  dynamodb: EmbeddedDynamoDb,
  stackTables: { rules: string; ledger: string },
  log: (line: string) => void,
): Promise<{ rules: number; ledger: number } | undefined> {
  const rules = await copyTable(dynamodb, HAND_WIRED_TABLES.rules, stackTables.rules);
  const ledger = await copyTable(dynamodb, HAND_WIRED_TABLES.ledger, stackTables.ledger);
  if (rules === undefined && ledger === undefined) return undefined;
  for (const table of Object.values(HAND_WIRED_TABLES))
    await call(dynamodb, 'DeleteTable', { TableName: table });
  log(
    `upgraded the --data state: ${rules ?? 0} rule items and ${ledger ?? 0} ledger items moved from ${HAND_WIRED_TABLES.rules} and ${HAND_WIRED_TABLES.ledger} into the stack's tables ${stackTables.rules} and ${stackTables.ledger}`,
  );
  return { rules: rules ?? 0, ledger: ledger ?? 0 };
}
