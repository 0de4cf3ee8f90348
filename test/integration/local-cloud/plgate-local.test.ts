import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseDuration } from '../../../cli/duration.ts';
import { UsageError } from '../../../cli/exit.ts';
import { main } from '../../../cli/main.ts';
import { startTestCloud } from '../../support/local-cloud.ts';

const PLGATE = resolve(import.meta.dirname, '../../../bin/plgate.mjs');

/** Runs the CLI in this process, capturing what it writes. */
async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'plgate-local-cli-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['PT1S', 1000],
    ['PT1M30S', 90_000],
    ['P1D', 86_400_000],
    ['P1DT2H', 93_600_000],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration('--accept-delay', text)).toBe(ms);
  });

  it.each(['', '1', 's', '-1s', '2 s', 'P', 'PT', 'P1S', 'soon'])('refuses %j as a usage error', (text) => {
    expect(() => parseDuration('--accept-delay', text)).toThrow(UsageError);
  });
});

describe('plgate local flags', () => {
  it.each([
    [['--port', 'abc'], '--port'],
    [['--port', '70000'], '--port'],
    [['--account', '1234'], '--account'],
    [['--region', 'moon'], '--region'],
    [['--sweep-interval', '5x'], '--sweep-interval'],
    [['--sweep-interval', '500ms'], '--sweep-interval'],
    [['--accept-delay', 'later'], '--accept-delay'],
    [['--rules', '/definitely/not/here'], '--rules'],
  ])('exits 2 on %j, naming the flag', async (flags, name) => {
    const result = await runCli(['local', ...flags]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(name);
  });

  it('refuses a file where --rules needs a directory', async () => {
    const file = join(scratch, 'rules.yaml');
    writeFileSync(file, 'rules: []\n');
    const result = await runCli(['local', '--rules', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('directory');
  });

  it('explains a port in use and exits 1', async () => {
    const cloud = await startTestCloud();
    try {
      const result = await runCli(['local', '--port', String(cloud.port), '--once']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${cloud.port}`);
      expect(result.stderr).toContain('already in use');
    } finally {
      await cloud.stop();
    }
  });

  it('starts, prints where it listens and, with --once, stops; --data is created', async () => {
    const data = join(scratch, 'data', 'nested');
    const result = await runCli([
      'local',
      '--port',
      '0',
      '--once',
      '--data',
      data,
      '--accept-delay',
      'PT0.1S',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(result.stdout).toContain('AWS_ENDPOINT_URL=http://127.0.0.1:');
    // Every API it answers is named, those of the deployed stack among them.
    expect(result.stdout).toMatch(
      /serving: EC2 .*DynamoDB.*SNS.*SQS.*EventBridge.*Lambda.*API Gateway.*CloudFormation.*STS/,
    );
    expect(result.stdout).toContain('stopped');
    expect(existsSync(data)).toBe(true);
  });
});

describe('plgate local as a process', () => {
  it('serves until SIGINT, then stops cleanly with exit code 0', async () => {
    const child = spawn(process.execPath, [PLGATE, 'local', '--port', '0', '--accept-delay', '100ms'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const endpoint = await new Promise<string>((found, failed) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match?.[1] !== undefined) found(match[1]);
      });
      child.on('exit', (code) =>
        failed(new Error(`plgate local exited (${code}) before listening: ${stderr}`)),
      );
    });
    const health: unknown = await (await fetch(`${endpoint}/_plgate/health`)).json();
    expect(health).toMatchObject({ status: 'ok', endpoint });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toContain('stopping (received SIGINT)');
    expect(stdout).toContain('stopped');
    await expect(fetch(`${endpoint}/_plgate/health`)).rejects.toThrow();
  });
});
