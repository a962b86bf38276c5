/**
 * Where the Trainer gets batches: anything that can produce one epoch of batches on demand — e.g.
 * `BatchLoader` of @hrnet/data-imagenet — or simply an array of batches (the same every epoch).
 */
export interface DataSource<B> {
  /** Batches per epoch, when known (progress bar, ETA). */
  readonly length?: number;
  /** The batches of epoch `epoch` (0-based); seeded shuffles should depend on it. */
  batches(epoch: number): AsyncIterable<B> | Iterable<B>;
}

export type TrainData<B> = DataSource<B> | readonly B[];

export function epochBatches<B>(data: TrainData<B>, epoch: number): AsyncIterable<B> | Iterable<B> {
  return isArray(data) ? data : data.batches(epoch);
}

export function batchesPerEpoch<B>(data: TrainData<B>): number | undefined {
  return isArray(data) ? data.length : data.length;
}

function isArray<B>(data: TrainData<B>): data is readonly B[] {
  return Array.isArray(data);
}
