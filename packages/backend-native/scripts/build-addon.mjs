#!/usr/bin/env node
/**
 * Builds build/hrnet_native.node with the system C++ compiler against the local Node headers and oneDNN
 * (Debian: libdnnl-dev). Downloads nothing. Never fails an install: when the compiler, the headers or
 * oneDNN are missing it says so, records the reason in build/build-status.json (the package reports it
 * when asked why the native backend is unavailable) and exits 0. HRNET_NATIVE_REQUIRE=1 makes a failed
 * build exit 1 instead; HRNET_NATIVE_SKIP_BUILD=1 skips it.
 *
 * Environment: CXX (default g++), NODE_HEADERS or npm_config_nodedir (Node's include dir or install
 * prefix), DNNL_ROOT (a oneDNN install prefix outside the system paths).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build');
const out = join(buildDir, 'hrnet_native.node');
const nativeDir = join(root, 'src', 'native');
const sources = readdirSync(nativeDir).filter((f) => f.endsWith('.cc')).sort().map((f) => join(nativeDir, f));
const require_ = process.env.HRNET_NATIVE_REQUIRE === '1';

function finish(ok, reason, log = '') {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(join(buildDir, 'build-status.json'), JSON.stringify({ ok, reason, node: process.version, date: new Date().toISOString() }, null, 2) + '\n');
  if (log) writeFileSync(join(buildDir, 'build.log'), log);
  if (ok) {
    console.log(`@hrnet/backend-native: built ${out}`);
    process.exit(0);
  }
  if (!require_) rmSync(out, { force: true });
  console.warn(`@hrnet/backend-native: native addon not built: ${reason}. The package still installs; the native backend reports itself unavailable and @hrnet/core falls back to wasm.`);
  process.exit(require_ ? 1 : 0);
}

if (process.env.HRNET_NATIVE_SKIP_BUILD === '1') finish(false, 'build skipped (HRNET_NATIVE_SKIP_BUILD=1)');
if (process.platform !== 'linux' || process.arch !== 'x64') finish(false, `unsupported platform ${process.platform}-${process.arch} (linux-x64 only)`);

/** Node's C headers (node_api.h): the running Node's own install first. */
function nodeIncludeDir() {
  const prefix = dirname(dirname(process.execPath));
  const candidates = [
    process.env.NODE_HEADERS,
    process.env.NODE_HEADERS && join(process.env.NODE_HEADERS, 'include', 'node'),
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
    join(prefix, 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
    join(homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
  ];
  return candidates.find((d) => d && existsSync(join(d, 'node_api.h')));
}

const cxx = process.env.CXX || 'g++';
const probe = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) finish(false, `no C++ compiler ('${cxx}' not found; install g++)`);

const nodeInc = nodeIncludeDir();
if (!nodeInc) finish(false, `Node's headers (node_api.h) not found for ${process.version} (set NODE_HEADERS to Node's include/node directory)`);

const dnnlRoot = process.env.DNNL_ROOT;
const args = [
  '-std=c++17',
  '-O3',
  '-shared',
  '-fPIC',
  '-fopenmp',
  '-fvisibility=hidden',
  '-Wall',
  // Resolve every symbol when the addon loads: a missing or mismatched libdnnl then fails the load (a
  // catchable error with the reason) instead of killing the process at the first call.
  '-Wl,-z,now',
  `-I${nodeInc}`,
  ...(dnnlRoot ? [`-I${join(dnnlRoot, 'include')}`, `-L${join(dnnlRoot, 'lib')}`, `-Wl,-rpath,${join(dnnlRoot, 'lib')}`] : []),
  ...sources,
  '-o',
  `${out}.tmp`,
  '-ldnnl',
];
mkdirSync(buildDir, { recursive: true });
const t0 = Date.now();
const res = spawnSync(cxx, args, { encoding: 'utf8' });
const log = `${cxx} ${args.join(' ')}\n${res.stdout ?? ''}${res.stderr ?? ''}`;
if (res.status !== 0) {
  const err = `${res.stderr ?? ''}${res.error ?? ''}`;
  let reason = `compilation failed (see ${join(buildDir, 'build.log')})`;
  if (/dnnl\.hpp: No such file/.test(err)) reason = 'oneDNN headers not found (install libdnnl-dev, or set DNNL_ROOT)';
  else if (/cannot find -ldnnl/.test(err)) reason = 'oneDNN library not found (install libdnnl-dev, or set DNNL_ROOT)';
  else if (/omp\.h: No such file|cannot find -lgomp/.test(err)) reason = 'OpenMP (libgomp) not found';
  rmSync(`${out}.tmp`, { force: true });
  finish(false, reason, log);
}
// Atomic replace: a process that has the old addon loaded keeps its (unlinked) copy.
renameSync(`${out}.tmp`, out);
finish(true, undefined, `${log}\nbuilt in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
