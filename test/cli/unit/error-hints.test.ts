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
