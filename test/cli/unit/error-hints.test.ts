import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hintFor } from '../../../cli/error-hints.ts';

/** What Node throws when nothing listens: the code, the address and the port. */
function refused(port: number): Error {
  return Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), {
    code: 'ECONNREFUSED',
    address: '127.0.0.1',
    port,
  });
}

describe('the hint for a refused connection', () => {
  it('suggests npm start for the local cloud on its default port', () => {
    const error = new Error('socket failed', { cause: new AggregateError([refused(4566)]) });
    expect(hintFor(error, { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' })).toBe(
      'nothing answers at http://127.0.0.1:4566 (AWS_ENDPOINT_URL, port 4566): is `plgate local` running? Start it in another terminal with `npm start`',
    );
  });

  it('names another port of AWS_ENDPOINT_URL, and how to start plgate local on it', () => {
    expect(hintFor(refused(5000), { AWS_ENDPOINT_URL: 'http://localhost:5000' })).toBe(
      'nothing answers at http://localhost:5000 (AWS_ENDPOINT_URL, port 5000): is `plgate local` running? Start it in another terminal with `npx plgate local --port 5000`',
    );
  });

  it('names the port that failed when it is not that of AWS_ENDPOINT_URL', () => {
    const hint = hintFor(refused(9999), { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });
    expect(hint).toBe('nothing answers at port 9999 of 127.0.0.1: check the URL and the network');
    expect(hintFor(refused(443), {})).toBe(
      'nothing answers at port 443 of 127.0.0.1: check the URL and the network, or AWS_ENDPOINT_URL for plgate local',
    );
  });

  it('reads the port from the message when the error has no port field', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' });
    expect(hintFor(error, { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' })).toContain('`npm start`');
  });
});

/** The shape of the SDK's error (@smithy/property-provider), which is not a dependency of ours. */
class CredentialsProviderError extends Error {
  override name = 'CredentialsProviderError';
}

const PROJECT_ROOT = new URL('../../../', import.meta.url).pathname;

describe('hints for failures before any gate logic runs', () => {
  it('names the missing AWS credentials, whether the error is the SDK class or only its message', () => {
    // Prepare
    const fromSdk = new CredentialsProviderError('no provider answered');
    const wrapped = new Error('reading stack PrivateLinkGate', {
      cause: new Error('Could not load credentials from any providers'),
    });
    // Act / Assess
    for (const error of [fromSdk, wrapped])
      expect(hintFor(error, {})).toMatch(/^no AWS credentials: set AWS_PROFILE/);
    expect(hintFor(new Error('AccessDenied'), {})).toBeUndefined();
  });

  it('prints the hint when `plgate … --stack NAME` runs without credentials', () => {
    // Prepare: no credentials anywhere the SDK looks, no local endpoint.
    const empty = mkdtempSync(join(tmpdir(), 'plgate-no-credentials-'));
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_')) env[key] = value;
    Object.assign(env, {
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SHARED_CREDENTIALS_FILE: join(empty, 'credentials'),
      AWS_CONFIG_FILE: join(empty, 'config'),
    });
    // Act
    const run = spawnSync(
      process.execPath,
      [
        join(PROJECT_ROOT, 'bin/plgate.mjs'),
        'history',
        'vpce-0123456789abcdef0',
        '--stack',
        'PrivateLinkGate',
      ],
      { env, encoding: 'utf8', timeout: 60_000 },
    );
    // Assess
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toContain('plgate: Could not load credentials from any providers');
    expect(run.stderr).toMatch(/^hint: no AWS credentials: /m);
  }, 60_000);
});
