import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Building hrnet_w64 (128M parameters) or running a cpu-backend backward pass takes seconds, more on a
    // loaded 2-core CI machine; 5 s (vitest's default) is a flaky bound there, not a correctness check.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
