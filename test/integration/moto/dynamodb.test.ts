import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe } from 'vitest';
import {
  MOTO_CREDENTIALS,
  MOTO_REGION,
  type Moto,
  MotoError,
  motoAvailable,
  startMoto,
} from '../../support/moto.ts';
import { createGateTables, type DynamoTarget, dynamoScenarios } from './dynamo-scenarios.ts';

describe.skipIf(!motoAvailable())('DynamoDB adapters against moto', () => {
  let moto: Moto | undefined;
  let target: DynamoTarget | undefined;

  beforeAll(async () => {
    moto = await startMoto();
    const client = new DynamoDBClient({
      region: MOTO_REGION,
      endpoint: moto.endpoint,
      credentials: MOTO_CREDENTIALS,
    });
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
    await moto?.stop();
  });

  dynamoScenarios(() => {
    if (target === undefined) throw new MotoError('moto did not start');
    return target;
  });
});
