/**
 * Runs `plgate` through its `main()` in this process: the same program, arguments, output
 * and exit code as the binary, without starting a Node process and loading the SDK per
 * command. For tests about what a command does; tests about the process itself (signals,
 * the binary's exit status, stdin) use `plgate()` from run-plgate.ts.
 */
import { Readable } from 'node:stream';
import { main } from '../../cli/main.ts';
import type { PlgateRun } from './run-plgate.ts';

/** One command at a time: stdout, stderr and the exit code are process-wide. */
let queue: Promise<unknown> = Promise.resolve();

/** `env`: variables to set (a string) or unset (undefined) for this command only. */
export function plgateInProcess(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
  /** `input`: what the command reads on stdin. */
  options: { input?: string } = {},
): Promise<PlgateRun> {
  const run = queue.then(() => capture(args, { NO_COLOR: '1', ...env }, options.input));
  queue = run.catch(() => undefined);
  return run;
}

async function capture(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  input: string | undefined,
): Promise<PlgateRun> {
  const stdin = Object.getOwnPropertyDescriptor(process, 'stdin');
  if (input !== undefined)
    Object.defineProperty(process, 'stdin', {
      value: Readable.from([Buffer.from(input)]),
      configurable: true,
    });
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const exitCode = process.exitCode;
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  let stdout = '';
  let stderr = '';
  const into =
    (append: (text: string) => void) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
      callback?.();
      return true;
    };
  process.stdout.write = into((text) => {
    stdout += text;
  }) as typeof process.stdout.write;
  process.stderr.write = into((text) => {
    stderr += text;
  }) as typeof process.stderr.write;
  process.exitCode = undefined;
  setEnv(env);
  try {
    const code = await main([...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    process.exitCode = exitCode;
    setEnv(saved);
    if (input !== undefined && stdin) Object.defineProperty(process, 'stdin', stdin);
  }
}

function setEnv(values: Readonly<Record<string, string | undefined>>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/**
 * As `plgate(args, { env, input })` of run-plgate.ts, in this process: `env` stands for the
 * whole environment of the command, so AWS settings it leaves out are unset for it.
 */
export function plgateInProcessWith(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<PlgateRun> {
  const env: Record<string, string | undefined> = {};
  if (options.env) {
    for (const name of Object.keys(process.env))
      if (name.startsWith('AWS_') || name === 'HOME') env[name] = undefined;
    for (const [name, value] of Object.entries(options.env)) env[name] = value;
  }
  return plgateInProcess(args, env, options.input === undefined ? {} : { input: options.input });
}
