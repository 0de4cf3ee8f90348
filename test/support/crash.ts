/**
 * A decider process that dies: wraps the gate's ports so that, right after one chosen call
 * has done its work, the process "crashes" (that call throws) and every later call of any
 * port throws too, as if the process were gone: no cleanup, no lease release.
 */
export class CrashError extends Error {
  override name = 'CrashError';
}

export class Process {
  dead = false;
  /** `port.method` after whose success the process dies. */
  constructor(readonly crashAfter?: string) {}
}

export function mortal<T extends object>(port: T, name: string, process: Process): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const step = `${name}.${String(property)}`;
      return async (...args: unknown[]) => {
        if (process.dead) throw new CrashError(`process is dead: ${step} never ran`);
        const result = await value.apply(target, args);
        if (process.crashAfter === step) {
          process.dead = true;
          throw new CrashError(`crashed after ${step}`);
        }
        return result;
      };
    },
  });
}
