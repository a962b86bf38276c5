/**
 * Builds the static page into `dist/` (or `--out <dir>`): the esbuild bundle of src/main.ts for the browser,
 * index.html, tfjs's wasm binaries, the bundled image and the two generated model directories.
 *
 *   npm run build:page -w @hrnet/example-browser-demo   # then: npm run serve -w @hrnet/example-browser-demo
 */
import { copyFile, cp, mkdir, readdir, rm } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { initBackend, saveModelToDir, withInitSeed } from '@hrnet/core';
import { createModel } from '@hrnet/heads';
import { DEMO_IMAGE, DEMO_LABELS, DEMO_MODEL_DIRS, DEMO_SEEDS, TINY_CLASSIFIER_CFG, TINY_CLASSIFIER_HEAD, TINY_HIGHER_HRNET_CFG } from '../src/demo-models.js';
import { writeScene } from './scene.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * Bundles `entry` for the browser platform (the `browser` export conditions and package.json `browser` maps:
 * @hrnet/core's browser build, tfjs's own Node-only files mapped away). A Node built-in that is still imported
 * fails the bundle; it is returned with the file importing it: a browser bundle must have none.
 */
export async function bundleForBrowser(entry: string, outfile: string): Promise<{ nodeImports: string[]; bytes: number }> {
  try {
    const result = await esbuild.build({ entryPoints: [entry], outfile, bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, metafile: true, logLevel: 'silent' });
    return { nodeImports: [], bytes: Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0) };
  } catch (e) {
    const errors = (e as esbuild.BuildFailure).errors ?? [];
    const builtin = (m: esbuild.Message) => BUILTINS.has(/^Could not resolve "([^"]+)"/.exec(m.text)?.[1] ?? '');
    if (errors.length === 0 || !errors.every(builtin)) throw e;
    return { nodeImports: errors.map((m) => `${/"([^"]+)"/.exec(m.text)![1]} (imported by ${relative(process.cwd(), m.location?.file ?? '?')})`), bytes: 0 };
  }
}

/** The two tiny models, seeded: the classifier with timm's initialisation, HigherHRNet with its layers' seeded initialisers. */
export function createDemoModels() {
  const classifier = createModel({ family: 'classification', config: TINY_CLASSIFIER_CFG }, { ...TINY_CLASSIFIER_HEAD, numClasses: DEMO_LABELS.length, seed: DEMO_SEEDS.classifier });
  // The official init (normal std 0.001) makes near-constant heatmaps: the layers' He initialisers give a varied picture.
  const pose = withInitSeed(DEMO_SEEDS.pose, () => createModel({ family: 'higher-hrnet', config: TINY_HIGHER_HRNET_CFG }));
  return { classifier, pose };
}

export async function buildDemo(out: string): Promise<{ bytes: number }> {
  await rm(out, { recursive: true, force: true });
  await mkdir(join(out, dirname(DEMO_IMAGE)), { recursive: true });
  const bundle = await bundleForBrowser(join(ROOT, 'src/main.ts'), join(out, 'main.js'));
  if (bundle.nodeImports.length) throw new Error(`the browser bundle imports Node built-ins: ${bundle.nodeImports.join(', ')}`);
  await copyFile(join(ROOT, 'src/index.html'), join(out, 'index.html'));
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  await mkdir(join(out, 'wasm'));
  for (const f of (await readdir(wasmDir)).filter((n) => n.endsWith('.wasm'))) await cp(join(wasmDir, f), join(out, 'wasm', f));
  await writeScene(join(out, DEMO_IMAGE));
  await initBackend('wasm', { log: () => undefined });
  const { classifier, pose } = createDemoModels();
  try {
    await saveModelToDir(classifier, join(out, DEMO_MODEL_DIRS.classifier));
    await saveModelToDir(pose, join(out, DEMO_MODEL_DIRS.pose));
  } finally {
    classifier.dispose();
    pose.dispose();
  }
  return { bytes: bundle.bytes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'dist') } } });
  buildDemo(values.out!).then(
    ({ bytes }) => console.log(`built ${values.out} (main.js ${(bytes / 2 ** 20).toFixed(1)} MiB)`),
    (e: unknown) => {
      console.error(`error: ${(e as Error).message}`);
      process.exitCode = 1;
    },
  );
}
