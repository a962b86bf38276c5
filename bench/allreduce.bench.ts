/**
 * All-reduce of a hrnet_w18_small-sized gradient (its trainable weights' sizes, ≈ 13 M floats, in DDP-style
 * 25 MB buckets) between 2 ranks on this machine, for each collective backend of @hrnet/train: worker threads
 * (shared memory), local processes (socket pairs through the launcher), OpenMPI (`mpirun -n 2`, when the
 * addon is built); and the per-step overhead as a share of one hrnet_w18_small training step (batch 8 at 224,
 * best backend, measured in the same run). Not a test: figures vary with the machine and its load (printed).
 *
 *   npm run bench:allreduce -- [--runs 5] [--only thread,process,mpi,step]     (or npx tsx bench/allreduce.bench.ts …)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { activeBackend, initBackend } from '@hrnet/core';
import { createClassifier } from '@hrnet/heads';
import { allReduceBuckets, joinWorld, launchDataParallel, launchProcesses, rankFromEnv, runDataParallelWorker, SGD, Trainer, type Collective } from '@hrnet/train';

const SELF = fileURLToPath(import.meta.url);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

interface RankJob {
  sizes: number[];
  runs: number;
  out: string;
}

/** One rank: `runs` bucketed all-reduces of the gradient (after one warm-up); rank 0 writes the median ms. */
async function timeRank(c: Collective, job: RankJob): Promise<number> {
  const parts = job.sizes.map((n, i) => new Float32Array(n).fill(c.rank + i * 1e-3));
  const times: number[] = [];
  for (let i = 0; i <= job.runs; i++) {
    c.barrier();
    const t0 = performance.now();
    const sums = await allReduceBuckets(c, parts, { sizes: job.sizes });
    if (i > 0) times.push(performance.now() - t0);
    if (sums[0][0] !== (c.worldSize * (c.worldSize - 1)) / 2) throw new Error(`wrong sum ${sums[0][0]}`); // ranks 0 + 1
  }
  return median(times);
}

async function rankMain(c: Collective, job: RankJob): Promise<void> {
  const ms = await timeRank(c, job);
  if (c.rank === 0) (await import('node:fs')).writeFileSync(job.out, String(ms));
}

if (!isMainThread) {
  runDataParallelWorker(async (ctx) => timeRank(ctx.comm, ctx.data as RankJob));
} else if (rankFromEnv()) {
  const c = await joinWorld();
  await rankMain(c!, JSON.parse(process.argv[2]) as RankJob);
} else {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, only: { type: 'string', default: 'thread,process,mpi,step' } } });
  const only = new Set(values.only!.split(','));
  const runs = Number(values.runs);
  await initBackend('auto', { log: () => undefined });
  const model = createClassifier('hrnet_w18_small', { numClasses: 1000 });
  const sizes = model.trainableWeights.map((w) => w.shape.reduce<number>((a, b) => a * (b ?? 1), 1));
  const floats = sizes.reduce((a, b) => a + b, 0);
  const mb = (floats * 4) / 2 ** 20;
  console.log(`all-reduce of hrnet_w18_small's gradient: ${sizes.length} tensors, ${(floats / 1e6).toFixed(2)} M floats (${mb.toFixed(1)} MB), 2 ranks, median of ${runs}`);
  console.log(`load average at start: ${load()}`);
  const dir = mkdtempSync(join(tmpdir(), 'allreduce-bench-'));
  const rows: { backend: string; ms: number }[] = [];
  const report = (backend: string, ms: number) => {
    rows.push({ backend, ms });
    console.log(`${backend.padEnd(8)} ${ms.toFixed(0).padStart(6)} ms  ${(mb / (ms / 1000)).toFixed(0)} MB/s (gradient bytes / time)   load ${load()}`);
  };
  try {
    if (only.has('thread')) {
      const [ms] = await launchDataParallel<number>({ worldSize: 2, module: SELF, data: { sizes, runs, out: '' } satisfies RankJob });
      report('thread', ms);
    }
    const job = (name: string): RankJob => ({ sizes, runs, out: join(dir, name) });
    if (only.has('process')) {
      await launchProcesses({ worldSize: 2, script: SELF, args: [JSON.stringify(job('process'))], nodeArgs: ['--import', 'tsx'] });
      report('process', Number(readFileSync(join(dir, 'process'), 'utf8')));
    }
    if (only.has('mpi')) {
      const env = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', OMPI_MCA_rmaps_base_oversubscribe: '1' };
      const r = spawnSync('mpirun', ['-n', '2', process.execPath, '--import', 'tsx', SELF, JSON.stringify(job('mpi'))], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      if (r.status === 0) report('mpi', Number(readFileSync(join(dir, 'mpi'), 'utf8')));
      else console.log(`mpi      not run: ${r.error?.message ?? r.stderr.trim().split('\n').at(-1)}`);
    }
    if (only.has('step')) {
      const batch = 8;
      const trainer = new Trainer({ model, optimizer: new SGD({ learningRate: 0.01, momentum: 0.9 }), loss: (out, b: { labels: Int32Array }) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(b.labels, 'int32'), 1000), out as tf.Tensor) as tf.Scalar, progress: 'none' });
      const b = { images: new Float32Array(batch * 224 * 224 * 3).map(() => Math.random()), labels: new Int32Array(batch), shape: [batch, 224, 224, 3] as [number, number, number, number] };
      const times: number[] = [];
      for (let i = 0; i <= 3; i++) {
        const t0 = performance.now();
        await trainer.trainStep(b);
        if (i > 0) times.push(performance.now() - t0);
      }
      const step = median(times);
      console.log(`one hrnet_w18_small training step, batch ${batch} at 224 on ${activeBackend()?.kind}: ${step.toFixed(0)} ms (median of 3)   load ${load()}`);
      for (const r of rows) console.log(`  ${r.backend}: all-reduce = ${((100 * r.ms) / (step + r.ms)).toFixed(1)} % of a data-parallel step (${r.ms.toFixed(0)} of ${(step + r.ms).toFixed(0)} ms)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
