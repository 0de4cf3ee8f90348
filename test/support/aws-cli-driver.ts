/**
 * The AWS CLI run in long-lived Python processes (aws-cli-driver.py), a few per test worker.
 * Each command is the CLI's own code path with a fresh session from its own environment, as
 * a new `aws` process runs it; what is saved is starting Python and parsing the service
 * models again, about 0.6 s of CPU a command, over a hundred commands a suite.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const DRIVER_SCRIPT = fileURLToPath(new URL('./aws-cli-driver.py', import.meta.url));
/** Commands of one test often run side by side (Promise.all); two drivers keep them so. */
const MAX_DRIVERS = 2;

export interface CliOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

interface Pending {
  resolve: (outcome: CliOutcome) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** One Python process answering one command at a time, in the order asked. */
class Driver {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private dead: Error | undefined;

  constructor(python: string) {
    this.child = spawn(python, [DRIVER_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    // Never keeps a test worker alive: the driver ends when its stdin closes with the worker.
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) {
      (stream as unknown as Socket).unref?.();
    }
    let stderr = '';
    this.child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.answer(line));
    this.child.on('error', (error) => this.fail(error));
    this.child.on('exit', (code, signal) =>
      this.fail(new Error(`the AWS CLI driver exited (${signal ?? code}): ${stderr.trim()}`)),
    );
  }

  get busy(): number {
    return this.pending.size;
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  run(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CliOutcome> {
    if (this.dead !== undefined) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new Error(`aws ${args.join(' ')} took over ${timeoutMs} ms`));
        this.child.kill('SIGKILL');
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.stdin.write(`${JSON.stringify({ id, env, args })}\n`);
    });
  }

  private answer(line: string): void {
    const answer = JSON.parse(line) as { id: number; rc: number; stdout: string; stderr: string };
    const waiting = this.pending.get(answer.id);
    if (waiting === undefined) return;
    this.pending.delete(answer.id);
    clearTimeout(waiting.timer);
    waiting.resolve({ exitCode: answer.rc, stdout: answer.stdout, stderr: answer.stderr });
  }

  private fail(error: Error): void {
    this.dead ??= error;
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
      this.pending.delete(id);
    }
  }
}

const drivers: Driver[] = [];

/**
 * The Python that runs an `aws` that is a Python script (the CLI v1 installed with pip),
 * from its `#!` line; undefined for any other `aws` (CLI v2 is a binary), which then runs a
 * process per command.
 */
export function cliPython(awsExecutable: string): string | undefined {
  try {
    const first = readFileSync(awsExecutable, 'utf8').slice(0, 300).split('\n', 1)[0] ?? '';
    const match = /^#!\s*(\S*python[0-9.]*)\s*$/.exec(first);
    return match?.[1];
  } catch {
    return undefined;
  }
}

/** Runs one AWS CLI command in a driver process of this worker. */
export function runInDriver(
  python: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<CliOutcome> {
  for (let i = drivers.length - 1; i >= 0; i--) if (!drivers[i]?.alive) drivers.splice(i, 1);
  let driver = drivers.find((candidate) => candidate.busy === 0);
  if (driver === undefined && drivers.length < MAX_DRIVERS) {
    driver = new Driver(python);
    drivers.push(driver);
  }
  driver ??= drivers.reduce((least, candidate) => (candidate.busy < least.busy ? candidate : least));
  return driver.run(args, env, timeoutMs);
}
