#!/usr/bin/env node
/**
 * Builds build/hrnet_mpi.node with the system C++ compiler against the running Node's headers and OpenMPI
 * (Debian: libopenmpi-dev; flags from `mpicxx --showme`). Downloads nothing and never fails an install:
 * without a compiler, Node's headers or OpenMPI it prints one line, records the reason in
 * build/build-status.json (reported when the MPI collective is asked for) and exits 0.
 * HRNET_MPI_REQUIRE=1 makes a failed build exit 1; HRNET_MPI_SKIP_BUILD=1 skips it. MPICXX picks the wrapper.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build');
const out = join(buildDir, 'hrnet_mpi.node');
const required = process.env.HRNET_MPI_REQUIRE === '1';

function finish(ok, reason, log = '') {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(join(buildDir, 'build-status.json'), `${JSON.stringify({ ok, reason, node: process.version, date: new Date().toISOString() }, null, 2)}\n`);
  if (log) writeFileSync(join(buildDir, 'build.log'), log);
  if (ok) {
    console.log(`@hrnet/collective-mpi: built ${out}`);
    process.exit(0);
  }
  rmSync(out, { force: true });
  console.warn(`@hrnet/collective-mpi: MPI addon not built: ${reason}. The package still installs; @hrnet/train uses its process and thread collectives.`);
  process.exit(required ? 1 : 0);
}

if (process.env.HRNET_MPI_SKIP_BUILD === '1') finish(false, 'build skipped (HRNET_MPI_SKIP_BUILD=1)');
if (process.platform !== 'linux') finish(false, `unsupported platform ${process.platform} (linux only)`);

const wrapper = process.env.MPICXX || 'mpicxx';
const showme = (what) => spawnSync(wrapper, [`--showme:${what}`], { encoding: 'utf8' });
const compile = showme('compile');
const link = showme('link');
if (compile.error || compile.status !== 0 || link.status !== 0) finish(false, `'${wrapper} --showme' failed (install libopenmpi-dev)`);

const prefix = dirname(dirname(process.execPath));
const nodeInc = [process.env.NODE_HEADERS, join(prefix, 'include', 'node'), '/usr/include/node', '/usr/local/include/node'].find((d) => d && existsSync(join(d, 'node_api.h')));
if (!nodeInc) finish(false, `Node's headers (node_api.h) not found for ${process.version} (set NODE_HEADERS to Node's include/node directory)`);

const cxx = process.env.CXX || 'g++';
const args = [
  '-std=c++17', '-O2', '-shared', '-fPIC', '-fvisibility=hidden', '-Wall',
  // a missing or mismatched libmpi fails the load (a catchable error) instead of the first call
  '-Wl,-z,now',
  `-I${nodeInc}`,
  ...compile.stdout.trim().split(/\s+/),
  join(root, 'src', 'native', 'mpi.cc'),
  '-o', `${out}.tmp`,
  ...link.stdout.trim().split(/\s+/),
];
mkdirSync(buildDir, { recursive: true });
const res = spawnSync(cxx, args, { encoding: 'utf8' });
const log = `${cxx} ${args.join(' ')}\n${res.stdout ?? ''}${res.stderr ?? ''}${res.error ?? ''}`;
if (res.status !== 0) {
  rmSync(`${out}.tmp`, { force: true });
  finish(false, /mpi\.h: No such file/.test(log) ? 'OpenMPI headers not found (install libopenmpi-dev)' : `compilation failed (see ${join(buildDir, 'build.log')})`, log);
}
renameSync(`${out}.tmp`, out); // a process that has the old addon loaded keeps its copy
finish(true, undefined, log);
