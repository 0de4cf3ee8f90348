/**
 * Starts `moto_server` (Python) on a free loopback port for one test file and stops it.
 * When moto_server is not installed the suite fails under CI=true; elsewhere it is
 * skipped with a loud message.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

export const MOTO_REGION = 'us-east-1';
/** moto's default account. */
export const MOTO_ACCOUNT = '123456789012';
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

export class MotoError extends Error {
  override name = 'MotoError';
}

export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Whether moto_server can run here. Throws under CI=true when it cannot, so a missing
 * tool fails the build instead of hiding tests.
 */
export function motoAvailable(): boolean {
  const found = spawnSync('moto_server', ['--help'], { stdio: 'ignore' });
  const available = found.error === undefined && found.status === 0;
  if (!available) {
    const message =
      'moto_server is not installed (pip install "moto[server]"): moto integration tests cannot run';
    if (process.env.CI === 'true') throw new MotoError(message);
    process.stderr.write(`\n*** SKIPPING: ${message} ***\n\n`);
  }
  return available;
}

/**
 * moto_server's own app, served one request at a time. `moto_server` serves each request on
 * a thread of its own, and moto's DynamoDB keeps no lock, so two conditional writes that
 * race can both pass their condition: DynamoDB's conditional write is atomic, and the
 * adapters' tests of racing deciders rely on it (they failed now and then on a loaded
 * machine). One request at a time gives moto that atomicity.
 */
const SINGLE_THREADED_MOTO = [
  'import sys',
  'from werkzeug.serving import run_simple',
  'from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app',
  'run_simple(sys.argv[1], int(sys.argv[2]), DomainDispatcherApplication(create_backend_app), threaded=False, use_reloader=False)',
].join('\n');

export async function startMoto(timeoutMs = 30_000): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('python3', ['-c', SINGLE_THREADED_MOTO, '127.0.0.1', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new MotoError('moto_server failed to start', { cause: error })));
    child.once('exit', (code) => reject(new MotoError(`moto_server exited with ${code}: ${stderr}`)));
  });
  exited.catch(() => {});
  try {
    await Promise.race([waitUntilUp(endpoint, timeoutMs), exited]);
  } catch (error) {
    await stop(child);
    throw error;
  }
  return { endpoint, stop: () => stop(child) };
}

async function waitUntilUp(endpoint: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline)
      throw new MotoError(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new MotoError('no free port'));
      });
    });
  });
}
