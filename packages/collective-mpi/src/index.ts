/**
 * The OpenMPI addon behind @hrnet/train's MPI collective. Loading it never throws: {@link loadMpi} gives
 * the addon or the one-line reason it is unavailable (not built, no libmpi, ...).
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The compiled addon (src/native/mpi.cc). Collectives work in place; `timeoutMs` <= 0 waits forever. */
export interface MpiAddon {
  /** MPI_Init_thread once; the rank and size of MPI_COMM_WORLD. */
  init(): { rank: number; size: number; threadLevel: number; version: string };
  /** `x` := the element-wise sum of every rank's `x` (MPI_SUM on MPI_FLOAT). Throws `code: 'ETIMEDOUT'` on timeout. */
  allReduceSum(x: Float32Array, timeoutMs: number): void;
  /** `x` := rank `root`'s `x`. */
  broadcast(x: Float32Array, root: number, timeoutMs: number): void;
  barrier(timeoutMs: number): void;
  /** MPI_Abort: ends every rank of the job. */
  abort(code: number): never;
  finalize(): void;
}

const BUILD_DIR = fileURLToPath(new URL('../build/', import.meta.url));

let loaded: { addon?: MpiAddon; reason?: string } | undefined;

/** The addon, or why it is unavailable (one line). */
export function loadMpi(): { addon?: MpiAddon; reason?: string } {
  if (loaded) return loaded;
  try {
    const mod = { exports: {} as MpiAddon };
    // RTLD_GLOBAL: OpenMPI dlopens its transport plugins, which resolve symbols of libmpi loaded with us.
    process.dlopen(mod, `${BUILD_DIR}hrnet_mpi.node`, constants.dlopen.RTLD_NOW | constants.dlopen.RTLD_GLOBAL);
    loaded = { addon: mod.exports };
  } catch (err) {
    let reason = `could not load ${BUILD_DIR}hrnet_mpi.node: ${(err as Error).message.split('\n')[0]}`;
    try {
      const status = JSON.parse(readFileSync(`${BUILD_DIR}build-status.json`, 'utf8')) as { ok: boolean; reason?: string };
      if (!status.ok && status.reason) reason = `MPI addon not built: ${status.reason}`;
    } catch {
      // no status file: the install script never ran
    }
    loaded = { reason };
  }
  return loaded;
}

