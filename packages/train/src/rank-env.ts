// Light on purpose (no TensorFlow.js, no addon): the command-line checks of `@hrnet/train/cli` read it.

/** Where this process's rank comes from. */
export interface RankEnv {
  launcher: 'mpi' | 'process';
  rank: number;
  worldSize: number;
}

/** A non-negative integer environment value; undefined when absent or malformed. */
export const envInt = (v: string | undefined) => (v != null && /^\d+$/.test(v) ? Number(v) : undefined);

/**
 * This process's rank and world size: from {@link launchProcesses} (`HRNET_DIST_RANK` / `HRNET_DIST_WORLD_SIZE`),
 * OpenMPI's mpirun (`OMPI_COMM_WORLD_RANK` / `_SIZE`) or a PMI launcher (`PMI_RANK` / `PMI_SIZE`: MPICH,
 * Intel MPI, Slurm); undefined when started alone.
 */
export function rankFromEnv(env: NodeJS.ProcessEnv = process.env): RankEnv | undefined {
  const pairs: [RankEnv['launcher'], string, string][] = [
    ['process', 'HRNET_DIST_RANK', 'HRNET_DIST_WORLD_SIZE'],
    ['mpi', 'OMPI_COMM_WORLD_RANK', 'OMPI_COMM_WORLD_SIZE'],
    ['mpi', 'PMI_RANK', 'PMI_SIZE'],
  ];
  for (const [launcher, r, w] of pairs) {
    const rank = envInt(env[r]);
    const worldSize = envInt(env[w]);
    if (rank == null || worldSize == null) continue;
    if (!(worldSize >= 1 && rank < worldSize)) throw new Error(`${r}=${env[r]} and ${w}=${env[w]}: the rank must be below the world size`);
    return { launcher, rank, worldSize };
  }
  return undefined;
}
