/**
 * Data pipeline benchmark: decode + RandomResizedCrop + flip + normalize to 224x224 float32 on generated
 * JPEGs, in-process and in worker pools, then whether a training loop waits on data.
 *
 *   npx tsx bench/pipeline.bench.ts [--images 96] [--size 400] [--batch 32]
 *
 * "Waits on data" is measured as the Trainer of @hrnet/train does (`data wait` in its epoch line): the time
 * the loop spends in `await next batch`, while each "step" blocks the main thread for a fixed time as a
 * synchronous tfjs training step does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BatchLoader, generateImageFolderDataset, randomResizedCropTransform, scanImageFolder, type ImageFolder } from '../src/index.js';

const { values } = parseArgs({ options: { images: { type: 'string', default: '96' }, size: { type: 'string', default: '400' }, batch: { type: 'string', default: '32' } } });
const images = Number(values.images);
const size = Number(values.size);
const batchSize = Number(values.batch);

const transform = () => randomResizedCropTransform({ size: 224, hflip: 0.5 });

async function throughput(folder: ImageFolder, workers: number, epochs = 2): Promise<number> {
  const loader = new BatchLoader(folder, { batchSize, transform: transform(), shuffle: true, workers, prefetch: Math.max(1, workers), concurrency: workers ? 4 : 8 });
  for await (const _ of loader.batches(99)); // warm-up (worker start, sharp init)
  const t0 = performance.now();
  let n = 0;
  for (let e = 0; e < epochs; e++) for await (const b of loader.batches(e)) n += b.shape[0];
  const s = (performance.now() - t0) / 1000;
  await loader.close();
  return n / s;
}

/** Runs one epoch with a blocking "step" of `stepMs` per batch; returns the share of time spent waiting for data after batch 1. */
async function waitShare(folder: ImageFolder, workers: number, stepMs: number): Promise<{ wait: number; total: number }> {
  const loader = new BatchLoader(folder, { batchSize, transform: transform(), shuffle: true, workers, prefetch: Math.max(1, workers) });
  for await (const _ of loader.batches(99)); // warm-up
  const it = loader.batches(0)[Symbol.asyncIterator]();
  let wait = 0;
  let first = true;
  const t0 = performance.now();
  for (;;) {
    const w0 = performance.now();
    const r = await it.next();
    if (!first) wait += performance.now() - w0;
    if (r.done) break;
    if (first) first = false;
    const until = performance.now() + stepMs;
    while (performance.now() < until); // synchronous compute, like a tfjs step on cpu/wasm
  }
  const total = performance.now() - t0;
  await loader.close();
  return { wait, total };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hrnet-pipeline-bench-'));
  try {
    const classes = 8;
    await generateImageFolderDataset(dir, { classes, trainPerClass: Math.ceil(images / classes), valPerClass: 0, size, seed: 0, quality: 90 });
    const folder = await scanImageFolder(dir, { split: 'train' });
    console.log(`# data pipeline: ${folder.samples.length} generated ${size}x${size} JPEGs (q90) -> RandomResizedCrop 224 + flip + normalize, batch ${batchSize}`);
    console.log(`# machine: ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} logical CPUs, Node ${process.version}`);
    const rates: Record<string, number> = {};
    for (const workers of [0, 1, 2]) {
      const ips = await throughput(folder, workers);
      rates[workers] = ips;
      console.log(`${workers === 0 ? 'main thread (sharp async)' : `worker pool x${workers}`.padEnd(25)}  ${ips.toFixed(1).padStart(7)} img/s   (${((1000 * batchSize) / ips).toFixed(0)} ms per batch of ${batchSize})`);
    }
    const best = Math.max(...Object.values(rates));
    const perBatch = (1000 * batchSize) / rates[1];
    console.log('\n# does the training loop wait on data? (worker pool x1, prefetch 1; wait measured after the first batch)');
    for (const factor of [0.5, 1.5, 3]) {
      const stepMs = Math.round(perBatch * factor);
      const { wait, total } = await waitShare(folder, 1, stepMs);
      console.log(`step ${String(stepMs).padStart(5)} ms (${factor}x the decode time of a batch): waited ${wait.toFixed(0).padStart(5)} ms = ${((100 * wait) / total).toFixed(1).padStart(5)}% of the epoch`);
    }
    {
      const stepMs = Math.round(perBatch * 1.5);
      const { wait, total } = await waitShare(folder, 0, stepMs);
      console.log(`same 1.5x step, decoding on the main thread instead (workers: 0): waited ${wait.toFixed(0)} ms = ${((100 * wait) / total).toFixed(1)}% (the JS part of the transform only runs between steps)`);
    }
    console.log(
      `\nFor scale: hrnet_w18_small trains at a few img/s per CPU core on the wasm backend (see the root bench), i.e. a step of batch ${batchSize} takes` +
        ` seconds, far longer than the ~${((1000 * batchSize) / best).toFixed(0)} ms needed to prepare it: the model does not wait on data.`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
