/**
 * Training data pipeline throughput (decode + ignore mask + affine warps + flip + normalize +
 * heatmap/joint targets), on synthetic COCO-style JPEGs written to a temporary folder.
 *
 *   npx tsx bench/pipeline.bench.ts [samples]
 *
 * Configs: w32_512 (input 512, maps 128/256) on 640x480 images (COCO's usual size), and the tiny
 * configs (input 128 and 256, maps 1/4 and 1/2) on 256x256 images. Reported per config:
 * - `1 thread`: samples made one after another on this thread (`sample(i, seed)`, awaited each);
 * - `decode`/`augment`: the same split into sharp's decode and the TypeScript part;
 * - `batches (workers N)`: `batches()` with a pool of N worker threads, prefetch 2.
 * Numbers depend on the machine and its load; the README lists ours.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  buildTrainingSample,
  CocoKeypointsTrainSet,
  createRng,
  decodeRgb,
  drawAffineParams,
  generateSyntheticCocoKeypoints,
  jointsFromKeypoints,
  validPixelMask,
  type RawImage,
} from '../src/index.js';

const samples = Number(process.argv[2] ?? 60);
const root = await mkdtemp(path.join(tmpdir(), 'pipeline-bench-'));
const workers = Math.max(1, Math.min(2, availableParallelism()));

async function bench(label: string, split: string, imageSize: [number, number], inputSize: number): Promise<void> {
  const images = Math.min(samples, 60);
  await generateSyntheticCocoKeypoints(root, { split, images, size: imageSize, seed: 1, crowdProbability: 0.3, peoplePerImage: [1, 4] });
  const set = await CocoKeypointsTrainSet.open({ root, split: `${split}2017`, config: { inputSize } });
  const specs = set.imageIds.map((_, i) => set.spec(i));
  // Warm-up (JIT, sharp start-up).
  for (let i = 0; i < 3; i++) await set.sample(i % set.length, i);

  let t = performance.now();
  for (let i = 0; i < samples; i++) await set.sample(i % set.length, i);
  const whole = (performance.now() - t) / samples;

  const decoded: RawImage[] = [];
  t = performance.now();
  for (let i = 0; i < samples; i++) decoded.push(await decodeRgb(specs[i % specs.length].path));
  const decode = (performance.now() - t) / samples;

  t = performance.now();
  for (let i = 0; i < samples; i++) {
    const spec = specs[i % specs.length];
    const image = decoded[i];
    const kept = spec.annotations.filter((a) => a.iscrowd === 0 || a.num_keypoints > 0);
    buildTrainingSample(
      {
        image,
        validMask: validPixelMask(spec.annotations, image.height, image.width),
        joints: jointsFromKeypoints(kept.map((a) => a.keypoints), 17),
        people: kept.length,
      },
      drawAffineParams(createRng(i), image.width, image.height),
      set.config,
    );
  }
  const augment = (performance.now() - t) / samples;

  const pool = set.createWorkerPool(workers);
  let n = 0;
  for await (const b of set.batches({ batchSize: 4, workers: pool, limit: 8 })) n += b.size; // start-up
  n = 0;
  t = performance.now();
  for (let epoch = 0; n < samples; epoch++) {
    for await (const b of set.batches({ batchSize: 4, workers: pool, epoch, prefetch: 2 })) n += b.size;
  }
  const pooled = (performance.now() - t) / n;
  await pool.close();

  const ips = (ms: number) => (1000 / ms).toFixed(1).padStart(6);
  console.log(
    `${label.padEnd(34)} 1 thread ${ips(whole)} img/s (${whole.toFixed(1)} ms: decode ${decode.toFixed(1)} + augment/targets ${augment.toFixed(1)})` +
      `   batches (workers ${workers}) ${ips(pooled)} img/s`,
  );
}

try {
  console.log(`${samples} samples per measurement, Node ${process.version}, ${availableParallelism()} CPUs`);
  await bench('w32_512: 640x480 -> 512 (128/256)', 'coco', [640, 480], 512);
  await bench('tiny: 256x256 -> 256 (64/128)', 'tiny', [256, 256], 256);
  await bench('tiny: 256x256 -> 128 (32/64)', 'tiny', [256, 256], 128);
} finally {
  await rm(root, { recursive: true, force: true });
}
