/** Runs the real `plgate` binary (bin/plgate.mjs) in a child process. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/plgate.mjs', import.meta.url));

export interface PlgateRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function plgate(
  args: readonly string[],
  /** `env` replaces the environment entirely (NO_COLOR is always added). */
  options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<PlgateRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...(options.env ?? process.env), NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
