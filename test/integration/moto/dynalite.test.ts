/**
 * The same DynamoDB scenarios against the DynamoDB `plgate local` serves: dynalite, with the
 * local cloud's own layer for what dynalite lacks (TransactWriteItems, TTL settings). The
 * adapters must behave the same on it as on moto (nested map updates and transactions above all).
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe } from 'vitest';
import type { LocalCloud } from '../../../local/cloud.ts';
import { dynamoFor, startTestCloud } from '../../support/local-cloud.ts';
import { MotoError } from '../../support/moto.ts';
import { createGateTables, type DynamoTarget, dynamoScenarios } from './dynamo-scenarios.ts';

describe('DynamoDB adapters against the local cloud (dynalite)', () => {
  let cloud: LocalCloud | undefined;
  let target: DynamoTarget | undefined;

  beforeAll(async () => {
    cloud = await startTestCloud();
    const client = dynamoFor(cloud);
    const names = { rulesTable: 'plgate-rules', ledgerTable: 'plgate-ledger' };
    await createGateTables(client, names, { ttl: true });
    target = {
      client,
      doc: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
      ...names,
    };
  });

  afterAll(async () => {
    target?.client.destroy();
    await cloud?.stop();
  });

  dynamoScenarios(() => {
    if (target === undefined) throw new MotoError('the local cloud did not start');
    return target;
  });
});
