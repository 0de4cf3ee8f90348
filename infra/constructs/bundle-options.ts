/**
 * How a handler's bundle is built, apart from CDK: the stack's functions use it, and so does
 * the local cloud when it bundles a handler from source (local/lambda/source-bundle.ts)
 * without loading the CDK.
 */
import { SDK_TRACING_ENV } from '../../functions/shared/config.ts';

/**
 * esbuild emits ESM; CommonJS dependencies bundled into it still call `require`, which
 * ESM lacks. The alias keeps the banner clear of any `createRequire` import in our code.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __gateCreateRequire } from 'node:module'; const require = __gateCreateRequire(import.meta.url);";

/** The constants a handler's bundle is built with, from the environment the stack gives it. */
export function bundleDefines(environment: Record<string, string>): Record<string, string> {
  return {
    'process.env.PLGATE_BUNDLED_SDK_TRACING': JSON.stringify(
      environment[SDK_TRACING_ENV] === 'true' ? 'true' : 'false',
    ),
  };
}
