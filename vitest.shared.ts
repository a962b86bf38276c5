import { defineConfig } from 'vitest/config';

/**
 * Settings every package's vitest config starts from. CI runs all packages' suites side by side on a
 * 2-core machine: building large models, cpu-backend backward passes and worker start-up take seconds
 * there, so vitest's 5 s default is a flakiness bound, not a correctness check. Speed is measured by
 * the benchmarks, never by test timeouts.
 */
export default defineConfig({
  test: {
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
