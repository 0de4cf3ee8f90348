/**
 * Zod for the Lambda bundles: zod/mini, whose functions tree-shake (the classic API put all
 * of zod, 445 KiB with every locale, into every bundle), with the English messages that the
 * classic API loads by itself, so every message reads exactly as before. Import it as a
 * namespace (`import * as z from '…/shared/zod.ts'`): esbuild then keeps only what is used.
 */
import { config, never, type ZodMiniObject, ZodMiniType } from 'zod/mini';
import * as core from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';

/**
 * A zod/mini object parsed the way the classic API parses objects (compiled once, on first
 * use). zod/mini's own object hands a property's issues on in one spread call, which
 * overflows the stack for a list of 200,000 bad values; this one hands them on one by one,
 * so every problem of a huge rule item is still counted (test/unit/core/rule-files-bounds).
 */
const objectJit: core.$constructor<core.$ZodObject> = core.$ZodObjectJIT;
const ObjectWithManyIssues = core.$constructor<ZodMiniObject>('ZodMiniObject', (inst, def) => {
  objectJit.init(inst, def);
  ZodMiniType.init(inst, def);
  Object.defineProperty(inst, 'shape', {
    get: () => inst._zod.def.shape,
    enumerable: false,
    configurable: true,
  });
});

/** `z.strictObject`, for objects whose properties can hold any number of issues. */
export function strictObjectOfLists<T extends core.$ZodLooseShape>(
  shape: T,
): ZodMiniObject<core.util.Writeable<T>, core.$strict> {
  return new ObjectWithManyIssues({ type: 'object', shape, catchall: never() }) as ZodMiniObject<
    core.util.Writeable<T>,
    core.$strict
  >;
}
