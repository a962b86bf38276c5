import * as tf from '@tensorflow/tfjs';
import type { Communicator } from '@hrnet/train';

/**
 * Gives every data-parallel rank rank 0's weights (all of them: BatchNorm statistics too), so the replicas start
 * identical whatever the initialisation drew: rank 0 contributes its values, the others zeros, to one all-reduce.
 */
export function broadcastWeightsFromRank0(model: tf.LayersModel, comm: Communicator): void {
  if (comm.worldSize === 1) return;
  const weights = model.weights;
  const sizes = weights.map((w) => w.shape.reduce<number>((a, b) => a * (b ?? 1), 1));
  const flat = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  if (comm.rank === 0) {
    let off = 0;
    weights.forEach((w, i) => {
      flat.set(w.read().dataSync() as Float32Array, off);
      off += sizes[i];
    });
  }
  const out = comm.allReduceSum(flat);
  let off = 0;
  weights.forEach((w, i) => {
    const t = tf.tensor(out.subarray(off, off + sizes[i]), w.shape as number[], 'float32');
    w.write(t);
    t.dispose();
    off += sizes[i];
  });
}
