import { defineConfig } from 'tsup';

export default defineConfig({
  // target-encoder: its own entry, so the data pipeline's worker threads load the encoder without the rest.
  entry: { index: 'src/index.ts', 'target-encoder': 'src/higher-hrnet/target-encoder.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
