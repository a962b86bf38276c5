/**
 * The MPI {@link Collective}: OpenMPI through @hrnet/collective-mpi's addon (an optional dependency, built
 * when libopenmpi-dev is present), for runs started by `mpirun`. mpirun itself ends every rank when one
 * dies (its message names the rank); a collective that waits longer than the timeout throws here.
 */
import type { MpiAddon } from '@hrnet/collective-mpi';
import { CollectiveTimeoutError, type Collective } from './collective.js';

export class MpiCollective implements Collective {
  readonly backend = 'mpi' as const;
  readonly rank: number;
  readonly worldSize: number;
  /** The MPI library's version line (`MPI_Get_library_version`). */
  readonly version: string;

  constructor(
    private readonly addon: MpiAddon,
    private readonly timeoutMs: number,
  ) {
    const info = addon.init();
    this.rank = info.rank;
    this.worldSize = info.size;
    this.version = info.version.split('\n')[0];
    // MPI_Finalize after a normal end (mpirun treats a rank that exits 0 without it as failed).
    process.once('exit', (code) => {
      if (code === 0) addon.finalize();
    });
  }

  private run(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
        throw new CollectiveTimeoutError(`rank ${this.rank}: ${(err as Error).message} waiting for the other ranks (one stopped or hangs; HRNET_DIST_TIMEOUT)`);
      }
      throw new Error(`rank ${this.rank}: ${what}: ${(err as Error).message}`);
    }
  }

  allReduceSum(x: Float32Array): Float32Array {
    const out = x.slice();
    if (this.worldSize > 1) this.run('all-reduce', () => this.addon.allReduceSum(out, this.timeoutMs));
    return out;
  }

  broadcast(x: Float32Array, root = 0): Float32Array {
    const out = x.slice();
    if (this.worldSize > 1) this.run('broadcast', () => this.addon.broadcast(out, root, this.timeoutMs));
    return out;
  }

  barrier(): void {
    if (this.worldSize > 1) this.run('barrier', () => this.addon.barrier(this.timeoutMs));
  }

  /** MPI_Abort: mpirun ends every rank. */
  abort(): void {
    this.addon.abort(1);
  }
}

/** The addon, or the one-line reason it is unavailable. */
export async function loadMpiAddon(): Promise<{ addon?: MpiAddon; reason?: string }> {
  try {
    return (await import('@hrnet/collective-mpi')).loadMpi();
  } catch (err) {
    return { reason: `@hrnet/collective-mpi is not installed (${(err as Error).message.split('\n')[0]})` };
  }
}
