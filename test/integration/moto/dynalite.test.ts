/**
 * The same DynamoDB scenarios against dynalite, the engine `plgate local` embeds: the
 * adapters must behave the same on both (nested map updates above all).
 */
import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe } from 'vitest';
import { MOTO_CREDENTIALS, MOTO_REGION, MotoError } from '../../support/moto.ts';
import { createGateTables, type DynamoTarget, dynamoScenarios } from './dynamo-scenarios.ts';

describe('DynamoDB adapters against dynalite', () => {
  let server: Server | undefined;
  let target: DynamoTarget | undefined;

  beforeAll(async () => {
    const started = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    server = started;
    await new Promise<void>((resolve, reject) => {
      started.once('error', reject);
      started.listen(0, '127.0.0.1', () => resolve());
    });
    const address = started.address();
    if (typeof address !== 'object' || address === null) throw new MotoError('dynalite has no TCP address');
    const { port } = address;
    const client = new DynamoDBClient({
      region: MOTO_REGION,
      endpoint: `http://127.0.0.1:${port}`,
      credentials: MOTO_CREDENTIALS,
    });
    const names = { rulesTable: 'plgate-rules', ledgerTable: 'plgate-ledger' };
    // dynalite has no UpdateTimeToLive; the TTL attribute is still written and read back.
    await createGateTables(client, names, { ttl: false });
    target = {
      client,
      doc: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
      ...names,
    };
  });

  afterAll(async () => {
    target?.client.destroy();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  });

  dynamoScenarios(() => {
    if (target === undefined) throw new MotoError('dynalite did not start');
    return target;
  });
});
