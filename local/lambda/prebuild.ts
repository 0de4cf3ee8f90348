/**
 * The gate's handlers bundled ahead of need. `plgate local` without `--stack` starts this
 * before it loads the local cloud and synthesizes the app, so esbuild (a process of its own)
 * builds while Node compiles and synthesizes; the deployer's functions then find their
 * bundles built or being built (source-bundle.ts shares a build in progress).
 */
import { fileURLToPath } from 'node:url';
import { sourceBundle } from './source-bundle.ts';

/** The gate's handlers, by their source file's name under functions/handlers/. */
export const GATE_HANDLERS = ['ingest', 'decide', 'sweep', 'rule-change', 'register', 'operator'] as const;
export type GateHandler = (typeof GATE_HANDLERS)[number];

/** The module the stack's functions name in their handler (`index.handler`). */
export const HANDLER_MODULE = 'index';

/** Starts building every handler's bundle with the stack's default environment; returns at once. */
export function prebuildGateBundles(): void {
  for (const handler of GATE_HANDLERS) {
    const entry = fileURLToPath(new URL(`../../functions/handlers/${handler}.ts`, import.meta.url));
    sourceBundle(entry, HANDLER_MODULE, {}).catch(() => {
      // Nothing to report here: each function asks for its bundle when it is deployed and
      // reports a build that fails then, naming its entry.
    });
  }
}
