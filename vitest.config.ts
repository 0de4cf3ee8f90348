import { configDefaults, defineConfig } from 'vitest/config';
import SlowFirst from './test/support/slow-first.ts';

/** Tests of plain code with fakes: no server, no process of their own, no state that outlives a test. */
const UNIT = ['test/unit/**/*.test.ts', 'test/cli/unit/**/*.test.ts'];

export default defineConfig({
  test: {
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
    projects: [
      {
        extends: true,
        // Unit tests share their workers' modules: each file no longer loads the SDK and the
        // core again (the unit tests take a third of the CPU they took isolated). They pass in
        // any order (checked with --sequence.shuffle).
        test: { name: 'unit', include: UNIT, isolate: false },
      },
      {
        extends: true,
        // Servers, processes and the in-process gate (one per process): a worker per file.
        test: {
          name: 'integration',
          isolate: false,
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...UNIT],
        },
      },
    ],
  },
});
