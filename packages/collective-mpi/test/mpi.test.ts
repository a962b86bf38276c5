/** The addon under `mpirun -n 2`: sums (also past the eager limit), broadcast from rank 1, barrier, a timeout. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMpi } from '../src/index.js';

const built = existsSync(fileURLToPath(new URL('../build/hrnet_mpi.node', import.meta.url)));
const mpirun = spawnSync('mpirun', ['--version']).status === 0;

describe('@hrnet/collective-mpi', () => {
  it('loads the addon, or says in one line why not', () => {
    const { addon, reason } = loadMpi();
    if (built) expect(['abort', 'allReduceSum', 'barrier', 'broadcast', 'finalize', 'init'].map((k) => typeof addon![k as keyof typeof addon])).toEqual(Array(6).fill('function'));
    else expect(reason).toMatch(/^MPI addon not built: |^could not load /);
  });

  it.skipIf(!built || !mpirun)('mpirun -n 2: all-reduce, broadcast, barrier, and a timeout instead of a hang', () => {
    const env = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', OMPI_MCA_rmaps_base_oversubscribe: '1' };
    const script = fileURLToPath(new URL('./mpi-ranks.ts', import.meta.url));
    const r = spawnSync('mpirun', ['-n', '2', process.execPath, '--import', 'tsx', script], { env, encoding: 'utf8', timeout: 60_000 });
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { rank: number; size: number; sum: number[]; big: number[]; bcast: number[]; timeout: string });
    lines.sort((a, b) => a.rank - b.rank);
    expect(lines.map((l) => l.size)).toEqual([2, 2]);
    for (const l of lines) {
      expect(l.sum).toEqual([3, 0.5, -1]);
      expect(l.big).toEqual([3, 3]);
      expect(l.bcast).toEqual([7, 8]);
    }
    expect(lines[0].timeout).toBe('ETIMEDOUT: MPI barrier timed out after 0 s');
  }, 90_000);
});
