/** Run by mpi.test.ts under `mpirun -n 2`: each rank prints one JSON line of what the collectives gave it. */
import { loadMpi } from '../src/index.js';

const { addon, reason } = loadMpi();
if (!addon) throw new Error(reason);
const { rank, size, threadLevel } = addon.init();
const sum = Float32Array.of(rank + 1, 0.5 * rank, -rank);
addon.allReduceSum(sum, 10_000);
const big = new Float32Array(3_000_001).fill(rank + 1); // larger than one eager message
addon.allReduceSum(big, 10_000);
const bcast = rank === 1 ? Float32Array.of(7, 8) : Float32Array.of(0, 0);
addon.broadcast(bcast, 1, 10_000);
addon.barrier(10_000);
let timeout = '';
if (rank === 0) {
  try {
    addon.barrier(300); // rank 1 never calls it
  } catch (err) {
    timeout = `${(err as NodeJS.ErrnoException).code}: ${(err as Error).message}`;
  }
}
console.log(JSON.stringify({ rank, size, threadLevel, sum: Array.from(sum), big: [big[0], big[big.length - 1]], bcast: Array.from(bcast), timeout }));
// rank 1 leaves the pending barrier behind; MPI_Abort-free exit: both exit 0 without finalize would upset mpirun.
process.exit(0);
