import { builtinModules } from 'node:module';
import { defineConfig, type Options } from 'tsup';

const entry = { index: 'src/index.ts', 'backend/index': 'src/backend/index.ts', 'testing/index': 'src/testing/index.ts' };
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * The browser build: the same entries with every Node built-in replaced by a module whose exports throw one
 * line when called. Weight files, model directories on disk, worker threads and Dawn are Node-only paths;
 * a browser page that never calls them bundles none of Node (what the `browser` export condition serves).
 */
const nodeBuiltinsThrow: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'node-builtins-throw',
  setup(build) {
    build.onResolve({ filter: /^[a-z_:/]+$/ }, (a) => (BUILTINS.has(a.path) ? { path: a.path, namespace: 'node-builtin' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, async (a) => {
      const names = Object.keys(await import(a.path)).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
      const fail = `(n) => function () { throw new Error(\`@hrnet/core: ${a.path} (\${n}) is Node-only and not available in the browser\`); }`;
      return {
        contents: `const fail = ${fail};\n${names.map((n) => `export const ${n} = fail(${JSON.stringify(n)});`).join('\n')}\nexport default new Proxy({}, { get: (_, n) => fail(String(n)) });\n`,
        loader: 'js',
      };
    });
  },
};

export default defineConfig([
  {
    entry,
    format: ['esm'],
    dts: { entry },
    sourcemap: true,
    // both builds run at once: this one leaves the browser build's folder alone
    clean: ['!browser/**'],
    target: 'node20',
  },
  {
    entry: { index: entry.index, 'backend/index': entry['backend/index'] },
    outDir: 'dist/browser',
    clean: true,
    format: ['esm'],
    platform: 'browser',
    // tsup would otherwise mark every `node:` import external before the plugin below sees it
    removeNodeProtocol: false,
    sourcemap: true,
    target: 'es2022',
    esbuildPlugins: [nodeBuiltinsThrow],
  },
]);
