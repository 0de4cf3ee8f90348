/**
 * `plgate local` as a user runs it: the real binary in its own process, with its output
 * collected. Used by the tests that prove the whole product from the outside.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface PlgateLocalProcess {
  /** The edge endpoint it printed, e.g. http://127.0.0.1:41234. */
  endpoint: string;
  output(): string;
  /** Resolves when the output shows the pattern: the event itself, not a guess at its time. */
  waitFor(pattern: RegExp): Promise<void>;
  /** SIGTERM, then waits for the exit; resolves to the exit code (null when a signal ended it). */
  stop(): Promise<number | null>;
}

function spawnPlgate(args: readonly string[]): { child: ChildProcess; output: string[] } {
  const child = spawn(process.execPath, ['bin/plgate.mjs', 'local', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(chunk.toString());
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return { child, output };
}

/** Starts `plgate local --port 0 ARGS…` and resolves once it says where it listens. */
export function startPlgateLocal(args: readonly string[]): Promise<PlgateLocalProcess> {
  const { child, output } = spawnPlgate(args);
  return new Promise((resolve, reject) => {
    // It listens only once the gate is deployed, after synthesizing the app in process: 2-4 s
    // alone, 20-40 s on two cores shared with the rest of the suite (measured here).
    const timer = setTimeout(
      () => reject(new Error(`plgate local did not start:\n${output.join('')}`)),
      120_000,
    );
    const exited = (code: number | null) =>
      reject(new Error(`plgate local exited with ${code}:\n${output.join('')}`));
    child.once('exit', exited);
    const watch = () => {
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output.join(''));
      if (!found?.[1]) return;
      clearTimeout(timer);
      child.stdout?.off('data', watch);
      child.off('exit', exited);
      resolve({
        endpoint: found[1],
        output: () => output.join(''),
        waitFor: (pattern) =>
          new Promise<void>((resolveSeen, rejectSeen) => {
            const check = () => {
              if (!pattern.test(output.join(''))) return false;
              child.stdout?.off('data', check);
              child.stderr?.off('data', check);
              child.off('exit', gone);
              resolveSeen();
              return true;
            };
            const gone = () =>
              rejectSeen(new Error(`plgate local exited before ${pattern}:\n${output.join('')}`));
            if (check()) return;
            child.stdout?.on('data', check);
            child.stderr?.on('data', check);
            child.once('exit', gone);
          }),
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
          const done = new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
          child.kill('SIGTERM');
          return await done;
        },
      });
    };
    child.stdout?.on('data', watch);
  });
}

/** Runs `plgate local --port 0 ARGS…` to its end (e.g. `--demo --once`). */
export function runPlgateLocal(
  args: readonly string[],
  timeoutMs = 90_000,
): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnPlgate(args);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`plgate local did not finish in ${timeoutMs} ms:\n${output.join('')}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.join('') });
    });
  });
}
