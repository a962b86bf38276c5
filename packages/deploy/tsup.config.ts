import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // An optional dependency, imported at run time only when the 'onnx' runtime is asked for (tsup bundles
  // optionalDependencies unless told).
  external: ['onnxruntime-node'],
});
