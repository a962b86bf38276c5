/**
 * HigherHRNet training and data throughput on this machine's best backend (`initBackend('auto')`). Not a
 * test: numbers vary with the machine and its load (printed with the results).
 *
 *   npx tsx bench/pose-throughput.bench.ts [--only tiny,w32,data,eval] [--steps 3] [--w32-batch 2] [--samples 120]
 *
 * - `tiny`: training images/s of examples/coco-pose/configs/tiny-cpu.yaml (its input size and batch), one
 *   Trainer update (forward, HigherHRNet loss, backward, Adam) on batches made beforehand by the data pipeline
 *   (median of max(steps, 20)), and one epoch of 20 batches with the pipeline running (batches() with prefetch,
 *   as train.ts does); both after 40 warm-up updates (the backend settles its kernel choices over the first
 *   updates, and the first epoch of a run is visibly slower).
 * - `w32`: the same for configs/w32_512_adam_lr1e-3.yaml (HigherHRNet-W32, input 512) at batch 2, in a child
 *   process. On the wasm backend every tensor lives in the 4 GB wasm heap; when W32-512 training does not fit,
 *   it tries batch 1, then inputs 384, 256 and 192 at batch 2, and reports the first that runs.
 * - `data`: the training data pipeline (decode + affine warps + flip + normalise + heatmap/joint targets),
 *   images/s on one thread and with 1 and 2 worker threads (per worker = total / workers), for the w32_512
 *   sizes (640x480 JPEGs -> 512, maps 128/256) and the tiny config's.
 * - `eval`: evaluateKeypoints (pycocotools COCOeval numbers) on 5,000 images x 20 detections.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { activeBackend, initBackend } from '@hrnet/core';
import {
  CocoKeypointsTrainSet,
  evaluateKeypointsSync,
  generateSyntheticCocoKeypoints,
  parseCocoKeypoints,
  type KeypointBatch,
} from '@hrnet/data-coco';
import { createHigherHRNet, higherHrnetTask } from '@hrnet/heads';
import { Adam, Trainer } from '@hrnet/train';
import { loadPoseConfig, networkConfig, pipelineConfig, poseCodec, type PoseConfig } from '../examples/coco-pose/src/config.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'tiny,w32,data,eval' },
    steps: { type: 'string', default: '3' },
    'w32-batch': { type: 'string', default: '2' },
    'w32-sizes': { type: 'string', default: '512' },
    child: { type: 'boolean', default: false },
    samples: { type: 'string', default: '120' },
  },
});
const only = new Set(values.only!.split(','));
const steps = Number(values.steps);
const configs = fileURLToPath(new URL('../examples/coco-pose/configs/', import.meta.url));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const root = await mkdtemp(join(tmpdir(), 'pose-bench-'));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Synthetic images at `size` for a split, opened as the config's training set. */
async function trainSet(cfg: PoseConfig, split: string, size: number | [number, number], images: number): Promise<CocoKeypointsTrainSet> {
  await generateSyntheticCocoKeypoints(root, { split, images, size, seed: 1, peoplePerImage: [1, 4], crowdProbability: 0.3 });
  return CocoKeypointsTrainSet.open({ root, split: `${split}2017`, config: pipelineConfig(cfg), encoder: poseCodec(cfg).encoderRef });
}

async function collect(set: CocoKeypointsTrainSet, batchSize: number, n: number): Promise<KeypointBatch[]> {
  const out: KeypointBatch[] = [];
  for await (const b of set.batches({ batchSize, dropLast: true, limit: batchSize * n })) out.push(b);
  return out;
}

/**
 * Trainer updates on pre-made batches: median seconds per update after `warmup` updates (the backend times
 * its kernel choices per layer during the first updates).
 */
async function trainThroughput(label: string, cfg: PoseConfig, set: CocoKeypointsTrainSet, batchSize: number, { runs = steps, warmup = 1, withPipeline = false } = {}): Promise<void> {
  const net = networkConfig(cfg);
  const model = createHigherHRNet(net, { seed: 0 });
  const trainer = new Trainer<KeypointBatch>({
    task: higherHrnetTask(model, net, poseCodec(cfg)),
    optimizer: new Adam({ learningRate: cfg.TRAIN.LR, weightDecay: 0 }),
    progress: 'none',
  });
  const batches = await collect(set, batchSize, Math.min(runs + warmup, Math.floor(set.length / batchSize)));
  for (let i = 0; i < warmup; i++) await trainer.trainStep(batches[i % batches.length]);
  if (withPipeline) {
    // One epoch with the pipeline running in this process (train.ts with WORKERS 0, prefetch 2).
    const t0 = performance.now();
    let n = 0;
    for await (const b of set.batches({ batchSize, dropLast: true, prefetch: 2, workers: cfg.WORKERS })) {
      await trainer.trainStep(b);
      n += b.size;
    }
    const s = (performance.now() - t0) / 1000;
    console.log(`${`${label}, with the data pipeline`.padEnd(56)} ${(n / s).toFixed(2).padStart(7)} img/s  (one epoch: ${n} images in ${s.toFixed(1)} s, WORKERS ${cfg.WORKERS})`);
  }
  const tensors = tf.memory().numTensors;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await trainer.trainStep(batches[i % batches.length]);
    times.push((performance.now() - t0) / 1000);
  }
  const sec = median(times);
  const growth = tf.memory().numTensors - tensors;
  console.log(
    `${`${label}, update only`.padEnd(56)} ${(batchSize / sec).toFixed(2).padStart(7)} img/s  (${(sec * 1000).toFixed(0)} ms per update of ${batchSize}, median of ${times.length}; tensors +${growth})`,
  );
  trainer.optimizer.dispose();
  model.dispose();
}

async function dataThroughput(label: string, cfg: PoseConfig, split: string, size: number | [number, number]): Promise<void> {
  const samples = Number(values.samples);
  const set = await trainSet(cfg, split, size, Math.min(samples, 40));
  for (let i = 0; i < 3; i++) await set.sample(i % set.length, i); // warm-up
  let t0 = performance.now();
  for (let i = 0; i < samples; i++) await set.sample(i % set.length, i);
  const one = samples / ((performance.now() - t0) / 1000);
  const parts = [`1 thread ${one.toFixed(1)} img/s`];
  for (const workers of [1, 2].filter((w) => w <= Math.max(2, availableParallelism()))) {
    const pool = set.createWorkerPool(workers);
    for await (const _ of set.batches({ batchSize: 4, workers: pool, epoch: 99 })); // start-up, JIT in the workers
    let n = 0;
    t0 = performance.now();
    for (let epoch = 0; n < samples; epoch++) for await (const b of set.batches({ batchSize: 4, workers: pool, epoch, prefetch: 2 })) n += b.size;
    const ips = n / ((performance.now() - t0) / 1000);
    await pool.close();
    parts.push(`${workers} worker${workers > 1 ? 's' : ''} ${ips.toFixed(1)} img/s (${(ips / workers).toFixed(1)} per worker)`);
  }
  console.log(`${label.padEnd(56)} ${parts.join(', ')}`);
}

/** 5,000 images with 3 people each and 20 detections per image (jittered copies of the people). */
function evalBench(): void {
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const images = [];
  const annotations = [];
  const dts = [];
  let id = 1;
  for (let i = 1; i <= 5000; i++) {
    images.push({ id: i, file_name: `${String(i).padStart(12, '0')}.jpg`, width: 640, height: 480 });
    const people = [];
    for (let p = 0; p < 3; p++) {
      const [x0, y0, w, h] = [rand() * 400, rand() * 200, 60 + rand() * 150, 120 + rand() * 150];
      const kps: number[] = [];
      for (let j = 0; j < 17; j++) kps.push(x0 + rand() * w, y0 + rand() * h, rand() < 0.8 ? 2 : 0);
      const nk = kps.filter((_, k) => k % 3 === 2 && kps[k] > 0).length;
      annotations.push({ id: id++, image_id: i, category_id: 1, iscrowd: 0, area: w * h * 0.6, bbox: [x0, y0, w, h], num_keypoints: nk, keypoints: kps, segmentation: [[x0, y0, x0 + w, y0, x0 + w, y0 + h, x0, y0 + h]] });
      people.push(kps);
    }
    for (let d = 0; d < 20; d++) {
      const src = people[d % 3];
      const jitter = d < 3 ? 2 : 30;
      dts.push({ image_id: i, category_id: 1, keypoints: src.map((v, k) => (k % 3 === 2 ? 1 : v + (rand() - 0.5) * jitter)), score: rand() });
    }
  }
  const gt = parseCocoKeypoints({
    images,
    annotations,
    categories: [{ id: 1, name: 'person', supercategory: 'person', keypoints: Array.from({ length: 17 }, (_, j) => `k${j}`), skeleton: [] }],
  });
  const times: number[] = [];
  let ap = 0;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    ap = evaluateKeypointsSync(gt, dts).stats[0];
    times.push((performance.now() - t0) / 1000);
  }
  console.log(`${'evaluateKeypoints 5,000 images x 20 dets'.padEnd(56)} ${median(times).toFixed(2)} s median of 3 (${dts.length.toLocaleString('en-US')} detections, ${annotations.length.toLocaleString('en-US')} gts; AP ${ap.toFixed(3)})`);
}

try {
  const tiny = await loadPoseConfig(join(configs, 'tiny-cpu.yaml'));
  const w32 = await loadPoseConfig(join(configs, 'w32_512_adam_lr1e-3.yaml'));
  await initBackend('auto', { log: (m) => (values.child ? undefined : console.log(`# ${m}`)) });
  const backend = activeBackend()!.kind;
  if (!values.child) console.log(`# Node ${process.version}, ${availableParallelism()} CPUs, backend ${backend}; load average before: ${load()} (the bench itself accounts for up to ~2)`);
  if (only.has('tiny')) {
    const s = tiny.DATASET.SYNTHETIC;
    const set = await trainSet(tiny, 'tiny', s.IMAGE_SIZE, 20 * tiny.TRAIN.IMAGES_PER_GPU);
    await trainThroughput(`tiny-cpu train (input ${tiny.DATASET.INPUT_SIZE}, batch ${tiny.TRAIN.IMAGES_PER_GPU})`, tiny, set, tiny.TRAIN.IMAGES_PER_GPU, { runs: Math.max(steps, 20), warmup: 40, withPipeline: true });
  }
  if (only.has('w32') && values.child) {
    const [size] = values['w32-sizes']!.split(',').map(Number);
    const b = Number(values['w32-batch']);
    const cfg = { ...w32, DATASET: { ...w32.DATASET, INPUT_SIZE: size, OUTPUT_SIZE: [size / 4, size / 2] } };
    const set = await trainSet(cfg, `coco${size}`, [640, 480], Math.max(4, b * (steps + 1)));
    await trainThroughput(`W32-${size} train (input ${size}, batch ${b})`, cfg, set, b);
  } else if (only.has('w32')) {
    // Each size in its own process: once the wasm heap (4 GB) is exhausted the backend is unusable. The recipe's
    // 512 at batch 2 first; if it does not fit, batch 1, then the largest smaller input that fits at batch 2.
    const b = Number(values['w32-batch']);
    const plan: [number, number][] = [[512, b], [512, 1], [384, b], [256, b], [192, b]];
    for (const [size, batch] of plan) {
      const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', '--only', 'w32', '--w32-sizes', String(size), '--w32-batch', String(batch), '--steps', String(steps)], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      const lines = `${r.stdout}`.split('\n').filter((l) => l.startsWith('W32-'));
      if (r.status === 0 && lines.length) {
        lines.forEach((l) => console.log(l));
        break;
      }
      const why = /wasm heap is exhausted[^\n]*|Aborted\(\)|out of memory[^\n]*/i.exec(`${r.stdout}\n${r.stderr}`)?.[0] ?? `exit ${r.status}`;
      console.log(`W32-${size} train (input ${size}, batch ${batch}): does not run here: ${why}`);
    }
  }
  if (only.has('data')) {
    await dataThroughput('data w32_512 (640x480 -> 512, maps 128/256)', w32, 'coco', [640, 480]);
    const s = tiny.DATASET.SYNTHETIC;
    const maps = tiny.DATASET.OUTPUT_SIZE.slice(0, tiny.LOSS.NUM_STAGES).join('/');
    await dataThroughput(`data tiny-cpu (${s.IMAGE_SIZE} -> ${tiny.DATASET.INPUT_SIZE}, maps ${maps})`, tiny, 'tiny', s.IMAGE_SIZE);
  }
  if (only.has('eval')) evalBench();
  if (!values.child) console.log(`# load average after: ${load()}`);
} finally {
  await rm(root, { recursive: true, force: true });
}
