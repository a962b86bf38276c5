import { defineConfig } from 'tsup';

export default defineConfig({
  // decode-worker is a separate entry: DecodePool starts it as dist/decode-worker.js.
  entry: ['src/index.ts', 'src/decode-worker.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
