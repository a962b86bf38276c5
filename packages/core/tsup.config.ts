import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'backend/index': 'src/backend/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', 'backend/index': 'src/backend/index.ts', 'testing/index': 'src/testing/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
});
