import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A file path or URL as a URL. */
function toUrl(module: string | URL): URL {
  return module instanceof URL ? module : module.startsWith('file:') ? new URL(module) : pathToFileURL(module);
}

/**
 * The worker module `name` next to `base` (an `import.meta.url`): the built `.js` when it exists (the
 * published package's dist/), otherwise the `.ts` source (tests and `tsx` runs from the repository).
 */
export function siblingWorkerModule(base: string, name: string): URL {
  const js = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(js))) return js;
  const ts = new URL(`./${name}.ts`, base);
  if (!existsSync(fileURLToPath(ts))) throw new Error(`worker module ${name}.js/.ts not found next to ${fileURLToPath(base)}`);
  return ts;
}

/**
 * Starts a worker thread on `module` (a file path or URL). A `.ts` module is loaded through tsx's ESM hooks
 * registered inside the worker (Node cannot run TypeScript workers itself; tsx must then be installed), so
 * the same code runs from sources and from a build. The one way every package starts its workers.
 */
export function spawnWorker(module: string | URL, options: WorkerOptions = {}): Worker {
  const url = toUrl(module);
  if (!url.pathname.endsWith('.ts')) return new Worker(url, options);
  let api: string;
  try {
    // the ESM build of tsx's API (require.resolve would give the CJS one)
    const pkgJson = createRequire(import.meta.url).resolve('tsx/package.json');
    api = new URL('./dist/esm/api/index.mjs', pathToFileURL(pkgJson)).href;
    if (!existsSync(fileURLToPath(api))) throw new Error('no ESM API');
  } catch {
    throw new Error(`the worker module ${fileURLToPath(url)} is TypeScript: running it needs tsx installed (or run the built package)`);
  }
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); }).catch((e) => { console.error(e); process.exit(1); });`;
  return new Worker(boot, { ...options, eval: true });
}
