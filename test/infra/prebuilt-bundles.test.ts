/**
 * `plgate local` bundles the handlers before the stack is deployed (local/lambda/prebuild.ts).
 * That helps only while it builds what the deployed functions then ask for: the same entries,
 * the same module name and the same defines as the template's functions.
 */
import { describe, expect, it } from 'vitest';
import { bundleDefines } from '../../infra/constructs/bundle-options.ts';
import { SOURCE_METADATA_KEY } from '../../infra/source-metadata.ts';
import { GATE_HANDLERS, HANDLER_MODULE } from '../../local/lambda/prebuild.ts';
import { sharedGate } from './synth.ts';

describe('the bundles plgate local builds ahead', () => {
  it('are the ones the default stack’s functions ask for', () => {
    const { json } = sharedGate();
    const functions = Object.values(json.Resources).filter(({ Type }) => Type === 'AWS::Lambda::Function');
    const sources = functions.map(
      ({ Metadata }) => (Metadata as Record<string, unknown>)[SOURCE_METADATA_KEY],
    );
    expect(sources.sort()).toEqual(GATE_HANDLERS.map((handler) => `functions/handlers/${handler}.ts`).sort());
    for (const { Properties } of functions) {
      const properties = Properties as {
        Handler: string;
        Environment?: { Variables?: Record<string, string> };
      };
      expect(properties.Handler).toBe(`${HANDLER_MODULE}.handler`);
      expect(bundleDefines(properties.Environment?.Variables ?? {})).toEqual(bundleDefines({}));
    }
  });
});
