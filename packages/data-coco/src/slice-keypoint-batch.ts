import type { KeypointBatch } from './coco-keypoints-dataset.js';

/**
 * Cuts samples `[start, end)` out of a {@link KeypointBatch} (every image and target is stacked along a leading
 * batch axis): what a trainer's gradient accumulation needs to train a recipe batch as micro-batches
 * (@hrnet/train's `microBatch.slicer`; `count` + `slice`). Views, no copies.
 */
export const keypointBatchSlicer = {
  count: (batch: KeypointBatch): number => batch.size,
  slice(batch: KeypointBatch, start: number, end: number): KeypointBatch {
    const n = batch.size;
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= n)) {
      throw new RangeError(`keypointBatchSlicer: samples [${start}, ${end}) are not in a batch of ${n}`);
    }
    const rows = <T extends Float32Array | Int32Array>(data: T): T => {
      const per = data.length / n;
      return data.subarray(start * per, end * per) as T;
    };
    const targets: KeypointBatch['targets'] = {};
    for (const [name, list] of Object.entries(batch.targets)) {
      targets[name] = list.map((t) => ({ data: rows(t.data), shape: [end - start, ...t.shape.slice(1)] }));
    }
    return {
      size: end - start,
      indices: batch.indices.slice(start, end),
      imageIds: batch.imageIds.slice(start, end),
      images: rows(batch.images),
      imageShape: [end - start, ...batch.imageShape.slice(1)] as KeypointBatch['imageShape'],
      targets,
      params: batch.params.slice(start, end),
    };
  },
};
