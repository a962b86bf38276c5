/** This process' part of every global batch in data-parallel training (`--dist`): rank `rank` of `worldSize`. */
export interface ShardSpec {
  rank: number;
  worldSize: number;
}

/** Throws naming `who` unless `0 <= rank < worldSize` are integers. */
export function checkShard(shard: ShardSpec, who: string): void {
  const { rank, worldSize } = shard;
  if (!(Number.isInteger(worldSize) && worldSize >= 1 && Number.isInteger(rank) && rank >= 0 && rank < worldSize)) {
    throw new Error(`${who}: shard needs 0 <= rank < worldSize, got rank ${rank}, worldSize ${worldSize}`);
  }
}

/**
 * An epoch's sample order cut into global batches of `globalBatchSize` (a last, smaller one unless
 * `dropLast`), each reduced to this shard's contiguous slice `[⌊rank·n/W⌋, ⌊(rank+1)·n/W⌋)`. Every rank
 * computes the same order, so the ranks together see exactly the batches of one unsharded process. The
 * one sharding rule of the data packages (data-imagenet's BatchLoader, the COCO training batches).
 */
export function shardBatches(order: Int32Array, globalBatchSize: number, opts: { shard?: ShardSpec; dropLast?: boolean } = {}): Int32Array[] {
  const n = order.length / globalBatchSize;
  const count = opts.dropLast ? Math.floor(n) : Math.ceil(n);
  const out: Int32Array[] = [];
  for (let i = 0; i < count; i++) {
    const g = order.subarray(i * globalBatchSize, Math.min(order.length, (i + 1) * globalBatchSize));
    const s = opts.shard;
    out.push(s ? g.subarray(Math.floor((s.rank * g.length) / s.worldSize), Math.floor(((s.rank + 1) * g.length) / s.worldSize)) : g);
  }
  return out;
}
