import { defineConfig } from 'vitest/config';
import SlowFirst from './test/support/slow-first.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores on CI: integration tests each start their own servers.
    maxWorkers: 2,
    // A folder per run where test/infra shares what it synthesizes (synth once, not once per file).
    globalSetup: ['test/support/synth-cache.ts'],
    // The long files first, also on a fresh clone with no durations of a last run.
    sequence: { sequencer: SlowFirst },
    // Node 20 is supported here; the SDK's notice about its future Node 22 floor is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
