/**
 * Release check: packs every publishable package (`npm pack`), checks each tarball (LICENSE, README, the
 * `repository` / `homepage` / `license` fields, `require` refused with one line that says ESM), installs the
 * tarballs into a fresh project outside the workspace (npm cache, `--prefer-offline`; every `@hrnet/*` name
 * is pinned to its tarball by `overrides`, so none is looked up in a registry), and there imports
 * `@hrnet/core` / `@hrnet/heads` from ESM and type-checks a TypeScript file against them; a model is built and
 * run. The optional native backend: absent first (`initBackend` says so in one line), then its tarball is
 * installed (its install script builds the addon) and `initBackend('native')` runs the same model.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=http'];

/**
 * `npm install` in `cwd`; fails if npm asked a registry about any `@hrnet/*` name (they must all come from the
 * tarballs). Returns how many registry requests the npm cache did not answer.
 */
async function npmInstall(cwd: string, args: string[]): Promise<number> {
  const { stderr } = await run('npm', ['install', ...args, ...NPM_FLAGS], { cwd, maxBuffer: 1 << 26 });
  const fetches = stderr.split('\n').filter((l) => l.includes('http fetch'));
  expect(fetches.filter((l) => /@hrnet|%40hrnet/i.test(l))).toEqual([]);
  return fetches.filter((l) => !/cache (hit|revalidated|stale)/.test(l)).length;
}

interface Pkg {
  name: string;
  dir: string;
  json: Record<string, any>;
  tarball: string;
}

async function publishable(): Promise<Omit<Pkg, 'tarball'>[]> {
  const dirs = (await readdir(join(ROOT, 'packages'))).sort();
  const all = await Promise.all(dirs.map(async (d) => ({ dir: `packages/${d}`, json: JSON.parse(await readFile(join(ROOT, 'packages', d, 'package.json'), 'utf8')) })));
  return all.filter((p) => !p.json.private).map((p) => ({ name: p.json.name as string, ...p }));
}

/** `node <file>` in `cwd`: exit code, stdout, stderr (never throws). */
async function node(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const TINY_CFG = `{
  stem_width: 16,
  stage1: { num_modules: 1, num_branches: 1, block_type: 'BOTTLENECK', num_blocks: [1], num_channels: [8], fuse_method: 'SUM' },
  stage2: { num_modules: 1, num_branches: 2, block_type: 'BASIC', num_blocks: [1, 1], num_channels: [8, 16], fuse_method: 'SUM' },
  stage3: { num_modules: 1, num_branches: 3, block_type: 'BASIC', num_blocks: [1, 1, 1], num_channels: [8, 16, 32], fuse_method: 'SUM' },
  stage4: { num_modules: 1, num_branches: 4, block_type: 'BASIC', num_blocks: [1, 1, 1, 1], num_channels: [8, 16, 32, 64], fuse_method: 'SUM' },
}`;

/** Builds a seeded tiny classifier, runs it on `backend`, prints `{ backend, shape, sum }`. */
const FORWARD_MJS = `import * as tf from '@tensorflow/tfjs';
import { activeBackend, initBackend } from '@hrnet/core';
import { createModel } from '@hrnet/heads';
const kind = process.argv[2];
await initBackend(kind, { log: (m) => console.error(m) });
const model = createModel({ family: 'classification', config: ${TINY_CFG} }, { numClasses: 5, headChannels: [8, 16, 32, 64], numFeatures: 64, seed: 1 });
const y = model.predict(tf.linspace(-1, 1, 2 * 64 * 64 * 3).reshape([2, 64, 64, 3]));
console.log(JSON.stringify({ backend: activeBackend().kind, shape: y.shape, values: Array.from(await y.data()) }));
`;

const CHECK_TS = `import * as tf from '@tensorflow/tfjs';
import { initBackend, type HrnetConfigInput } from '@hrnet/core';
import { createModel, estimatePoses, type Pose } from '@hrnet/heads';
const cfg: HrnetConfigInput = ${TINY_CFG};
export async function topClass(x: tf.Tensor4D): Promise<number> {
  await initBackend('wasm');
  const model: tf.LayersModel = createModel({ family: 'classification', config: cfg }, { numClasses: 5 });
  return (model.predict(x) as tf.Tensor2D).argMax(-1).dataSync()[0];
}
export const poses: (m: tf.LayersModel, img: { data: Uint8Array; width: number; height: number }) => Promise<Pose[]> = (m, img) => estimatePoses(m, img);
`;
/** Must not compile: proves the types are real (not `any`). */
const WRONG_TS = `import { createModel } from '@hrnet/heads';\nexport const m = createModel(42);\n`;

describe('npm pack → install into a fresh project → import from ESM and TypeScript', () => {
  let tmp: string;
  let app: string;
  let pkgs: Pkg[];
  let license: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'hrnet-pack-'));
    const tarballs = join(tmp, 'tarballs');
    await mkdir(tarballs);
    const found = await publishable();
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tarballs, ...found.flatMap((p) => ['-w', p.dir])], { cwd: ROOT, maxBuffer: 1 << 26 });
    const packed = JSON.parse(stdout) as { name: string; filename: string; files: { path: string }[] }[];
    pkgs = found.map((p) => ({ ...p, tarball: join(tarballs, packed.find((t) => t.name === p.name)!.filename.replace(/^@/, '').replace(/\//, '-')) }));
    for (const p of pkgs) (p as Pkg & { files: string[] }).files = packed.find((t) => t.name === p.name)!.files.map((f) => f.path);
    license = await readFile(join(ROOT, 'LICENSE'), 'utf8');

    app = join(tmp, 'app');
    await mkdir(app);
    // The spec npm writes back (relative): the override and a later direct dependency must match it textually.
    const spec = (p: Pkg) => `file:../tarballs/${p.tarball.slice(tarballs.length + 1)}`;
    const withoutNative = pkgs.filter((p) => p.name !== '@hrnet/backend-native');
    const tfVersion = JSON.parse(await readFile(join(ROOT, 'node_modules/@tensorflow/tfjs/package.json'), 'utf8')).version;
    const typesNode = JSON.parse(await readFile(join(ROOT, 'node_modules/@types/node/package.json'), 'utf8')).version;
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'hrnet-pack-check',
        private: true,
        type: 'module',
        dependencies: Object.fromEntries([...withoutNative.map((p) => [p.name, spec(p)]), ['@tensorflow/tfjs', tfVersion], ['@tensorflow/tfjs-backend-wasm', tfVersion]]),
        devDependencies: { '@types/node': typesNode },
        overrides: Object.fromEntries(pkgs.map((p) => [p.name, spec(p)])),
        // npm 11 runs no dependency's install script unless allowed: the native addon is built by one.
        allowScripts: { '@hrnet/backend-native': true },
      }),
    );
    // Optional dependencies left out: the native backend (installed below), Dawn, onnxruntime, sharp's binaries.
    const fetched = await npmInstall(app, ['--omit=optional', '--ignore-scripts']);
    console.info(`pack-install: ${pkgs.length} tarballs installed; ${fetched} registry requests not answered by the npm cache`);
    await writeFile(join(app, 'forward.mjs'), FORWARD_MJS);
    await writeFile(join(app, 'check.ts'), CHECK_TS);
    await writeFile(join(app, 'wrong.ts'), WRONG_TS);
  });

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('every tarball has the LICENSE, README, release fields and refuses require() in one line that says ESM', async () => {
    expect(pkgs.map((p) => p.name)).toContain('@hrnet/core');
    // core's browser build (the `browser` export condition) ships too
    expect((pkgs.find((p) => p.name === '@hrnet/core') as Pkg & { files: string[] }).files).toEqual(expect.arrayContaining(['dist/browser/index.js', 'dist/browser/backend/index.js']));
    for (const p of pkgs as (Pkg & { files: string[] })[]) {
      expect(p.files, p.name).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'require.cjs', 'dist/index.js', 'dist/index.d.ts']));
      expect(await readFile(join(app, 'node_modules', p.name, 'LICENSE'), 'utf8').catch(() => license), `${p.name} LICENSE`).toBe(license);
      expect(p.json.license).toBe('MIT');
      expect(p.json.repository).toMatchObject({ type: 'git', directory: p.dir });
      expect(p.json.homepage).toMatch(new RegExp(`^https://.*/${p.dir}#readme$`));
      expect(p.json.version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
    }
    for (const name of ['@hrnet/core', '@hrnet/heads']) {
      const r = await node(app, ['-e', `require(${JSON.stringify(name)})`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Error: ${name} is an ES module package: use import`);
    }
  });

  it('imports core and heads from ESM, builds a model and runs it; the missing native backend is reported in one line', async () => {
    const r = await node(app, ['forward.mjs', 'auto']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.backend).toBe('wasm');
    expect(out.shape).toEqual([2, 5]);
    expect(out.values.every(Number.isFinite)).toBe(true);
    // initBackend('auto')'s one line names what it skipped, the native backend among them.
    const line = r.stderr.split('\n').find((l) => l.startsWith('[hrnet] backend:'))!;
    expect(line).toMatch(/skipped native: .*@hrnet\/backend-native.*(not installed|cannot|Cannot)/);
    const n = await node(app, ['forward.mjs', 'native']);
    expect(n.code).toBe(1);
    expect(n.stderr).toMatch(/initBackend\('native'\): .*@hrnet\/backend-native/);
  });

  it('type-checks a TypeScript file against the installed types (and rejects a wrong call)', async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    // skipLibCheck as tfjs users must: tfjs-layers' own .d.ts files fail a strict check of themselves.
    const base = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022,dom', '--types', 'node'];
    const ok = await node(app, [tsc, ...base, 'check.ts']);
    expect(ok.stdout + ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const wrong = await node(app, [tsc, ...base, 'wrong.ts']);
    expect(wrong.code).not.toBe(0);
    // TS2769 since createModel has overloads (a name, or a family config)
    expect(wrong.stdout).toMatch(/wrong\.ts\(2,30\): error TS(2345|2769)/);
  });

  it('installing the native backend tarball turns it on: the same model runs on native', async () => {
    const manifest = JSON.parse(await readFile(join(app, 'package.json'), 'utf8'));
    manifest.dependencies['@hrnet/backend-native'] = manifest.overrides['@hrnet/backend-native'];
    await writeFile(join(app, 'package.json'), JSON.stringify(manifest));
    await npmInstall(app, ['--omit=optional']);
    const status = JSON.parse(await readFile(join(app, 'node_modules/@hrnet/backend-native/build/build-status.json'), 'utf8'));
    const r = await node(app, ['forward.mjs', 'native']);
    if (!status.ok) {
      // No compiler or oneDNN here: the reason is the one line initBackend('native') fails with.
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(status.reason);
      return;
    }
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got.backend).toBe('native');
    const wasm = JSON.parse((await node(app, ['forward.mjs', 'wasm'])).stdout);
    got.values.forEach((v: number, i: number) => expect(Math.abs(v - wasm.values[i])).toBeLessThanOrEqual(1e-4));
  });
});
