/**
 * Collective operations between the ranks of a data-parallel run, whatever carries them: worker threads
 * over shared memory (`dist.ts`), local processes over socket pairs to their launcher
 * (`collective-process.ts`) or OpenMPI (`collective-mpi.ts`). Calls are synchronous (sync BatchNorm runs
 * them inside tfjs' forward and backward passes) and return the same bits on every rank.
 */

/** Which transport carries a {@link Collective}. */
export type CollectiveBackend = 'thread' | 'process' | 'mpi';

export interface Collective {
  readonly rank: number;
  readonly worldSize: number;
  readonly backend: CollectiveBackend;
  /** The element-wise sum of `x` over all ranks (same length everywhere); a new array, identical on every rank. */
  allReduceSum(x: Float32Array): Float32Array;
  /** Rank `root`'s `x` (every rank passes an array of the same length). */
  broadcast(x: Float32Array, root?: number): Float32Array;
  barrier(): void;
  /** Marks the run as failed so that the other ranks stop instead of waiting (threads; processes and MPI end the job). */
  abort(): void;
}

/** A collective failed because another rank died or the run was aborted; the message names the rank when known. */
export class DistAbortError extends Error {
  constructor(message = 'data-parallel run aborted (another worker failed)') {
    super(message);
    this.name = 'DistAbortError';
  }
}

/** A collective waited longer than its timeout for the other ranks. */
export class CollectiveTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CollectiveTimeoutError';
  }
}

/** Default bucket: 25 MB of float32, PyTorch DDP's `bucket_cap_mb` default. */
export const DEFAULT_BUCKET_FLOATS = (25 * 2 ** 20) / 4;

/** How long a rank waits in one collective before giving up: `HRNET_DIST_TIMEOUT` seconds, default 600 (DDP's NCCL default is 10 min). */
export function collectiveTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.HRNET_DIST_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 600_000;
}

/**
 * Sums `parts` (each the same length on every rank) over the ranks in buckets of at most `bucketFloats`
 * (whole parts, as DDP's buckets; a part larger than a bucket travels alone), each part multiplied by
 * `scale` on the way in. The parts may be promises (tensor reads in flight): a bucket is packed and
 * reduced as soon as its own parts have arrived, so later reads overlap earlier reductions.
 */
export async function allReduceBuckets(
  c: Collective,
  parts: readonly (Float32Array | Promise<Float32Array>)[],
  opts: { bucketFloats?: number; scale?: number; sizes: readonly number[] },
): Promise<Float32Array[]> {
  const { bucketFloats = DEFAULT_BUCKET_FLOATS, scale = 1, sizes } = opts;
  const out: Float32Array[] = new Array(parts.length);
  let start = 0;
  while (start < parts.length) {
    let end = start;
    let floats = 0;
    do floats += sizes[end++];
    while (end < parts.length && floats + sizes[end] <= bucketFloats);
    const bucket = new Float32Array(floats);
    let off = 0;
    for (let i = start; i < end; i++) {
      const d = await parts[i];
      if (d.length !== sizes[i]) throw new Error(`allReduceBuckets: part ${i} has ${d.length} values, expected ${sizes[i]}`);
      if (scale === 1) bucket.set(d, off);
      else for (let j = 0; j < d.length; j++) bucket[off + j] = d[j] * scale;
      off += d.length;
    }
    const sum = c.allReduceSum(bucket);
    off = 0;
    for (let i = start; i < end; i++) {
      out[i] = sum.subarray(off, off + sizes[i]);
      off += sizes[i];
    }
    start = end;
  }
  return out;
}
