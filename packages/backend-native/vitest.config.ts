import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // @hrnet/core's initBackend('native') imports the package by name: use this source, not dist/, so
    // the tests and core share one copy (and need no build).
    alias: { '@hrnet/backend-native': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    testTimeout: 60_000,
  },
});
