import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker module `name` that sits next to `base` (an `import.meta.url`): the built `.js` when it
 * exists (the published package), otherwise the `.ts` source, loaded through tsx's ESM hooks (tests and
 * `tsx` runs from the repository; tsx must then be installed).
 */
export function spawnSiblingWorker(base: string, name: string, options: WorkerOptions = {}): Worker {
  const js = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(js))) return new Worker(js, options);
  const ts = new URL(`./${name}.ts`, base);
  if (!existsSync(fileURLToPath(ts))) throw new Error(`worker module ${name}.js/.ts not found next to ${base}`);
  let api: string;
  try {
    // The ESM build of tsx's API (require.resolve would give the CJS one).
    const pkgJson = createRequire(fileURLToPath(base)).resolve('tsx/package.json');
    api = new URL('./dist/esm/api/index.mjs', pathToFileURL(pkgJson)).href;
    if (!existsSync(fileURLToPath(api))) throw new Error('no ESM API');
  } catch {
    throw new Error(`running the TypeScript worker ${fileURLToPath(ts)} needs tsx installed (or build the package)`);
  }
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts.href)}); }).catch((e) => { console.error(e); process.exit(1); });`;
  return new Worker(boot, { ...options, eval: true });
}
