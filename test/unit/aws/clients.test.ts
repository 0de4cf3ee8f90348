import { describe, expect, it } from 'vitest';
import { createClients } from '../../../functions/aws/clients.ts';

/** The SDK's resolved retry strategy knows its mode; its declared type does not say so. */
const modeOf = (strategy: object): unknown => Reflect.get(strategy, 'mode');

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

describe('createClients', () => {
  it('points every client at one endpoint, with the retry settings given', async () => {
    const clients = createClients(
      {
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:4566',
        credentials,
        maxAttempts: 3,
        retryMode: 'standard',
      },
      {},
    );
    for (const client of [
      clients.ec2,
      clients.dynamodb,
      clients.sns,
      clients.eventBridge,
      clients.organizations,
    ]) {
      const endpoint = await client.config.endpoint?.();
      expect(endpoint?.hostname).toBe('127.0.0.1');
      expect(endpoint?.port).toBe(4566);
      expect(await client.config.region()).toBe('eu-west-1');
      const retry = await client.config.retryStrategy();
      expect(modeOf(retry)).toBe('standard');
      expect(await client.config.maxAttempts()).toBe(3);
    }
  });

  it('defaults to adaptive retries for EC2 only, and reads AWS_MAX_ATTEMPTS / AWS_RETRY_MODE', async () => {
    const defaults = createClients({ region: 'us-east-1', credentials }, {});
    expect(modeOf(await defaults.ec2.config.retryStrategy())).toBe('adaptive');
    expect(await defaults.ec2.config.maxAttempts()).toBe(3);
    // Adaptive pacing after one throttle would stall a batch's DynamoDB, SNS and EventBridge calls.
    for (const client of [defaults.dynamodb, defaults.sns, defaults.eventBridge, defaults.organizations])
      expect(modeOf(await client.config.retryStrategy())).toBe('standard');
    const adaptiveEverywhere = createClients(
      { region: 'us-east-1', credentials },
      { AWS_RETRY_MODE: 'adaptive' },
    );
    expect(modeOf(await adaptiveEverywhere.dynamodb.config.retryStrategy())).toBe('adaptive');
    const fromEnv = createClients(
      { region: 'us-east-1', credentials },
      { AWS_MAX_ATTEMPTS: '2', AWS_RETRY_MODE: 'standard' },
    );
    expect(await fromEnv.sns.config.maxAttempts()).toBe(2);
    expect(modeOf(await fromEnv.sns.config.retryStrategy())).toBe('standard');
  });

  it('the document client drops undefined values instead of failing', () => {
    const { dynamodb } = createClients({ region: 'us-east-1', credentials }, {});
    expect(dynamodb.config.translateConfig?.marshallOptions?.removeUndefinedValues).toBe(true);
  });

  it('refuses bad settings, naming them', () => {
    expect(() => createClients({ maxAttempts: 0 }, {})).toThrow(
      /maxAttempts must be a whole number from 1 to 3 \(more would outlast the gate's leases\), got 0/,
    );
    // More attempts, or a longer request timeout, would let a call outlive the lease it runs under.
    expect(() => createClients({}, { AWS_MAX_ATTEMPTS: '7' })).toThrow(/maxAttempts .* got 7/);
    expect(() => createClients({ requestTimeoutMs: 60_000 }, {})).toThrow(
      /requestTimeoutMs must be a whole number from 1 to 10000, got 60000/,
    );
    expect(() => createClients({}, { AWS_RETRY_MODE: 'legacy' })).toThrow(/AWS_RETRY_MODE must be one of/);
    expect(() => createClients({}, { AWS_MAX_ATTEMPTS: 'many' })).toThrow(
      /AWS_MAX_ATTEMPTS must be a whole number, got "many"/,
    );
    expect(() => createClients({ endpoint: 'not a url' }, {})).toThrow(/endpoint must be a URL/);
  });
});
