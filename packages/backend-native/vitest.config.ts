import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

export default mergeConfig(
  shared,
  defineConfig({
    resolve: {
      // @hrnet/core's initBackend('native') imports the package by name: use this source, not dist/, so
      // the tests and core share one copy (and need no build).
      alias: { '@hrnet/backend-native': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    },
  }),
);
