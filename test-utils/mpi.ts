/**
 * For the data-parallel tests that start processes: whether `mpirun` and the MPI addon are here, the
 * environment OpenMPI needs as root (CI) on a 2-core machine, running a command with its output kept, and
 * the largest weight difference between two checkpoints.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const addon = fileURLToPath(new URL('../packages/collective-mpi/build/hrnet_mpi.node', import.meta.url));

/** `mpirun` on the PATH and @hrnet/collective-mpi's addon built (the mpirun tests skip otherwise). */
export const mpiAvailable = spawnSync('mpirun', ['--version']).status === 0 && existsSync(addon);

/** OpenMPI refuses root unless told; 2 ranks may exceed the cores it counts. */
export const MPI_ENV = { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', OMPI_MCA_rmaps_base_oversubscribe: '1' };

/** Runs `cmd` in `cwd` and resolves with its exit code, stdout + stderr and wall time. */
export function runCaptured(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; out: string; ms: number }> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += String(c)));
  child.stderr.on('data', (c) => (out += String(c)));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, ms: performance.now() - t0 })));
}

/** The one `*epoch<N>.safetensors` file below `dir` (a data-parallel run writes its checkpoint once). */
export async function epochCheckpointIn(dir: string): Promise<string> {
  const files = (await readdir(dir, { recursive: true })).filter((f) => /epoch\d+\.safetensors$/.test(f));
  if (files.length !== 1) throw new Error(`expected one epoch checkpoint in ${dir}, found ${files.length}: ${files.join(', ')}`);
  return join(dir, files[0]);
}

/**
 * The largest difference between the `model/*` tensors of two checkpoints' tensor maps, relative to each
 * tensor's largest magnitude when above 1 (BatchNorm running variances run into the hundreds), and where it is.
 */
export function maxModelDiff(a: Record<string, { data: ArrayLike<number | bigint> }>, b: Record<string, { data: ArrayLike<number | bigint> }>): { rel: number; abs: number; where: string } {
  const worst = { rel: 0, abs: 0, where: '' };
  for (const [k, t] of Object.entries(a)) {
    if (!k.startsWith('model/')) continue;
    const u = b[k].data;
    let abs = 0;
    let scale = 0;
    for (let i = 0; i < t.data.length; i++) {
      abs = Math.max(abs, Math.abs(Number(t.data[i]) - Number(u[i])));
      scale = Math.max(scale, Math.abs(Number(t.data[i])));
    }
    const rel = abs / Math.max(scale, 1);
    if (rel > worst.rel) Object.assign(worst, { rel, abs, where: k });
  }
  return worst;
}
