import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // an optional dependency, loaded by name at run time (its addon sits next to its own dist/)
  external: ['@hrnet/collective-mpi'],
});
