/**
 * An upgrade loses nothing: a `--data` directory as the release before the deployed stack
 * wrote it (state file version 2, the gate's rules and ledger in the hand-wired tables
 * `plgate-rules` and `plgate-ledger`) starts on this release, and after the gate's stack
 * is deployed its rules and decisions are in the stack's tables.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createClients } from '../../../functions/aws/clients.ts';
import { DynamoLedger } from '../../../functions/aws/ledger.ts';
import { DynamoRulesStore } from '../../../functions/aws/rules-store.ts';
import type { LedgerEntry } from '../../../functions/gate/ports.ts';
import {
  LEDGER_BY_ACCOUNT_INDEX,
  LEDGER_BY_SERVICE_INDEX,
  LEDGER_TABLE_KEY,
  RULES_TABLE_KEY,
} from '../../../functions/shared/tables.ts';
import { deployGate } from '../../../local/gate.ts';
import { HAND_WIRED_TABLES } from '../../../local/migrations/hand-wired-tables.ts';
import { STATE_FILE } from '../../../local/state-file.ts';
import { gateAssemblyDir } from '../../support/gate-assembly.ts';
import { PROVIDER_KEY, startTestCloud } from '../../support/local-cloud.ts';

const held: LedgerEntry = {
  at: '2026-11-30T10:00:00.000Z',
  endpointId: 'vpce-0123456789abcdef0',
  serviceId: 'vpce-svc-0123456789abcdef0',
  account: '111111111111',
  trigger: 'sweep',
  decision: 'review',
  rule: null,
  matched: [],
  reasons: ['no rule decided: the defaults say review'],
  action: 'none',
  outcome: 'held',
  dryRun: false,
  rulesVersion: 3,
  state: 'pendingAcceptance',
};

const dataDir = mkdtempSync(join(tmpdir(), 'plgate-upgrade-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const client = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: PROVIDER_KEY, secretAccessKey: 'x' },
  });

const documents = (endpoint: string) =>
  createClients({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: PROVIDER_KEY, secretAccessKey: 'x' },
  });
const close = (clients: ReturnType<typeof documents>) => {
  for (const c of Object.values(clients)) c.destroy();
};

/** The previous release's tables, as its local/gate-resources.ts created them. */
async function previousReleaseTables(dynamodb: DynamoDBClient): Promise<void> {
  const s = 'S' as const;
  await dynamodb.send(
    new CreateTableCommand({
      TableName: HAND_WIRED_TABLES.rules,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: RULES_TABLE_KEY.partitionKey, AttributeType: s },
        { AttributeName: RULES_TABLE_KEY.sortKey, AttributeType: s },
      ],
      KeySchema: [
        { AttributeName: RULES_TABLE_KEY.partitionKey, KeyType: 'HASH' },
        { AttributeName: RULES_TABLE_KEY.sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
  await dynamodb.send(
    new CreateTableCommand({
      TableName: HAND_WIRED_TABLES.ledger,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: LEDGER_TABLE_KEY.partitionKey, AttributeType: s },
        { AttributeName: LEDGER_TABLE_KEY.sortKey, AttributeType: s },
        { AttributeName: LEDGER_BY_SERVICE_INDEX.partitionKey, AttributeType: s },
        { AttributeName: LEDGER_BY_ACCOUNT_INDEX.partitionKey, AttributeType: s },
        { AttributeName: LEDGER_BY_SERVICE_INDEX.sortKey, AttributeType: s },
      ],
      KeySchema: [
        { AttributeName: LEDGER_TABLE_KEY.partitionKey, KeyType: 'HASH' },
        { AttributeName: LEDGER_TABLE_KEY.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [LEDGER_BY_SERVICE_INDEX, LEDGER_BY_ACCOUNT_INDEX].map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      })),
    }),
  );
}

describe('a --data directory the previous release wrote', () => {
  it('keeps its rules and decisions: they move into the deployed stack’s tables', async () => {
    // The previous release's state: its tables and items, and a version-2 state file.
    let cloud = await startTestCloud({ dataDir, saveDelayMs: 0 });
    let dynamodb = client(cloud.endpoint);
    await previousReleaseTables(dynamodb);
    let clients = documents(cloud.endpoint);
    const oldRules = new DynamoRulesStore(clients.dynamodb, HAND_WIRED_TABLES.rules);
    await oldRules.putItems([
      { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: ['111111111111'] } },
    ]);
    await new DynamoLedger(clients.dynamodb, HAND_WIRED_TABLES.ledger, { retentionDays: 400 }).append(held);
    close(clients);
    dynamodb.destroy();
    await cloud.stop();
    const path = join(dataDir, STATE_FILE);
    const { services: _none, ...v2 } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...v2, version: 2 }));

    cloud = await startTestCloud({ dataDir, saveDelayMs: 0 });
    try {
      expect(cloud.restoredFromVersion).toBe(2);
      const log: string[] = [];
      const gate = await deployGate(cloud, {
        assemblyDir: gateAssemblyDir(),
        code: 'source',
        log: (line) => log.push(line),
      });
      expect(log.join('\n')).toMatch(/upgraded the --data state: 1 rule items and [1-9]\d* ledger items/);
      dynamodb = client(cloud.endpoint);
      clients = documents(cloud.endpoint);
      const rules = await new DynamoRulesStore(clients.dynamodb, gate.config.rulesTable).items();
      expect(rules).toContainEqual(
        expect.objectContaining({ kind: 'rule', id: 'partners', effect: 'accept' }),
      );
      const history = await new DynamoLedger(clients.dynamodb, gate.config.ledgerTable, {
        retentionDays: 400,
      }).history({
        endpointId: held.endpointId,
      });
      expect(history).toEqual([expect.objectContaining({ ...held })]);
      const { TableNames = [] } = await dynamodb.send(new ListTablesCommand({}));
      expect(TableNames).not.toContain(HAND_WIRED_TABLES.rules);
      expect(TableNames).not.toContain(HAND_WIRED_TABLES.ledger);
    } finally {
      close(clients);
      dynamodb.destroy();
      await cloud.stop();
    }
  });
});
