import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decodeSafetensors, writeSafetensors } from '@hrnet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Adam,
  CheckpointError,
  CheckpointManager,
  DynamicLossScaler,
  encodeCheckpoint,
  epochSchedule,
  loadCheckpoint,
  readCheckpointMeta,
  saveCheckpoint,
  SGD,
  Trainer,
  writeFileAtomic,
  type DataSource,
  type TrainerEvent,
} from '../src/index.js';
import { accuracy, crossEntropy, toyBatches, toyModel, type ToyBatch } from './helpers.js';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'hrnet-train-ckpt-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** 5 batches per epoch, a different order every epoch (like a seeded shuffle). */
const shuffled: DataSource<ToyBatch> = {
  length: 5,
  batches(epoch) {
    const all = toyBatches(5, 8, 7);
    return all.map((_, i) => all[(i * 2 + epoch) % 5]);
  },
};

function makeTrainer(seed: number, onLog?: (e: TrainerEvent) => void) {
  return new Trainer<ToyBatch>({
    model: toyModel(seed),
    loss: crossEntropy,
    optimizer: new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }),
    lrSchedule: epochSchedule({ name: 'cosine', baseLr: 0.1, epochs: 2, stepsPerEpoch: 5, warmupEpochs: 0.5, warmupLr: 0.01 }),
    lossScaler: new DynamicLossScaler({ initScale: 1024, growthInterval: 3 }),
    metrics: { acc: accuracy },
    seed: 5,
    config: { note: 'toy' },
    progress: 'none',
    onLog,
  });
}

const stepLosses = (events: TrainerEvent[]) => events.flatMap((e) => (e.type === 'step' ? [e.loss] : []));

describe('checkpoints and --resume', () => {
  it('1 epoch + resume 1 epoch gives the same losses and weights as 2 uninterrupted epochs', async () => {
    const full: TrainerEvent[] = [];
    const a = makeTrainer(1, (e) => full.push(e));
    await a.fit(shuffled, { epochs: 2 });
    const lossesA = stepLosses(full);
    expect(lossesA).toHaveLength(10);

    const ckptDir = join(dir, 'resume');
    const first: TrainerEvent[] = [];
    const b = makeTrainer(1, (e) => first.push(e));
    b.rng.next();
    await b.fit(shuffled, { epochs: 2, maxSteps: 5, checkpoint: { dir: ckptDir } });
    expect(first.find((e) => e.type === 'checkpoint')).toMatchObject({ epoch: 1, paths: [join(ckptDir, 'ckpt-epoch0001.safetensors')] });
    const ckpt = await loadCheckpoint(join(ckptDir, 'ckpt-epoch0001.safetensors'));
    expect(ckpt.meta).toMatchObject({ epoch: 1, globalStep: 5, config: { note: 'toy' }, lossScaler: { type: 'dynamic', scale: 2048 }, optimizer: { className: 'HrnetSGD', iterations: 5 } });
    expect(ckpt.meta.version).toBe(2);
    expect(ckpt.meta.rng).toHaveLength(4);
    expect(ckpt.meta.rng).toEqual(b.rng.getState());
    expect((ckpt.meta.scheduler as { name: string }).name).toBe('cosine');

    // A fresh trainer with *different* initial weights: everything must come from the checkpoint.
    const second: TrainerEvent[] = [];
    const c = makeTrainer(99, (e) => second.push(e));
    const r = await c.fit(shuffled, { epochs: 2, resume: join(ckptDir, 'ckpt-epoch0001.safetensors') });
    expect(r.history.map((h) => h.epoch)).toEqual([2]);
    expect(second[0]).toMatchObject({ type: 'resume', epoch: 1, globalStep: 5 });
    expect(c.rng.getState()).toEqual(b.rng.getState());
    expect(c.rng.next()).toBe(b.rng.next());
    const lossesC = stepLosses(second);
    expect(lossesC).toHaveLength(5);
    lossesC.forEach((l, i) => expect(l).toBeCloseTo(lossesA[5 + i], 6));
    const wa = a.model.getWeights().map((w) => Array.from(w.dataSync()));
    const wc = c.model.getWeights().map((w) => Array.from(w.dataSync()));
    wa.forEach((w, i) => w.forEach((v, j) => expect(wc[i][j]).toBeCloseTo(v, 5)));
  });

  it('keeps the last N epoch checkpoints and the best one by the eval metric; writes atomically', async () => {
    const ckptDir = join(dir, 'keep');
    const events: TrainerEvent[] = [];
    const t = new Trainer<ToyBatch>({ model: toyModel(3), loss: crossEntropy, optimizer: new Adam({ learningRate: 0.01 }), metrics: { acc: accuracy }, progress: 'none', onLog: (e) => events.push(e) });
    const val = toyBatches(2, 8, 11);
    const r = await t.fit(toyBatches(3, 8, 4), { epochs: 5, valData: val, checkpoint: { dir: ckptDir, keepMax: 2, bestMetric: 'loss' } });
    const files = (await readdir(ckptDir)).sort();
    expect(files).toEqual(['ckpt-best.safetensors', 'ckpt-epoch0004.safetensors', 'ckpt-epoch0005.safetensors']);
    const valLosses = r.history.map((h) => h.val!.loss);
    const bestEpoch = valLosses.indexOf(Math.min(...valLosses)) + 1;
    expect(r.best).toEqual({ metric: 'loss', value: Math.min(...valLosses), epoch: bestEpoch });
    const best = await loadCheckpoint(join(ckptDir, 'ckpt-best.safetensors'));
    expect(best.meta.epoch).toBe(bestEpoch);
    expect(best.meta.metrics?.loss).toBeCloseTo(Math.min(...valLosses), 10);
    expect(best.meta.metrics?.acc).toBeGreaterThanOrEqual(0);
  });

  it('evaluates every evalInterval epochs (and after the last)', async () => {
    const t = new Trainer<ToyBatch>({ model: toyModel(3), loss: crossEntropy, optimizer: new SGD({ learningRate: 0.01 }), progress: 'none' });
    const r = await t.fit(toyBatches(1, 4, 4), { epochs: 5, valData: toyBatches(1, 4, 5), evalInterval: 2 });
    expect(r.history.map((h) => h.val != null)).toEqual([false, true, false, true, true]);
  });

  it('an incompatible checkpoint is a clear error', async () => {
    const path = join(dir, 'small.safetensors');
    const t = new Trainer<ToyBatch>({ model: toyModel(1), loss: crossEntropy, optimizer: new SGD({ learningRate: 0.01, momentum: 0.9 }), progress: 'none' });
    await t.fit(toyBatches(1, 4, 4), { epochs: 1 });
    await saveCheckpoint(path, t.checkpointContents(1));

    const otherHead = new Trainer<ToyBatch>({ model: toyModel(1, 3), loss: crossEntropy, optimizer: new SGD({ learningRate: 0.01, momentum: 0.9 }), progress: 'none' });
    await expect(otherHead.restore(path)).rejects.toThrow(/does not fit this model: 2 weight shape\(s\) differ: #\d+ .*\[4, 3\] vs .*\[4, 2\] in the checkpoint/);
    const otherOpt = new Trainer<ToyBatch>({ model: toyModel(1), loss: crossEntropy, optimizer: new Adam({ learningRate: 0.01 }), progress: 'none' });
    await expect(otherOpt.restore(path)).rejects.toThrow(CheckpointError);
    await expect(otherOpt.restore(path)).rejects.toThrow(/state is from HrnetSGD, cannot load it into HrnetAdam/);
    const otherMomentum = new Trainer<ToyBatch>({ model: toyModel(1), loss: crossEntropy, optimizer: new SGD({ learningRate: 0.01, momentum: 0.5 }), progress: 'none' });
    await expect(otherMomentum.restore(path)).rejects.toThrow(/momentum 0.9 \(saved\) vs 0.5 \(now\)/);

    const plain = join(dir, 'plain.safetensors');
    await writeFile(plain, writeSafetensors({ w: { shape: [1], data: new Float32Array([1]) } }));
    await expect(loadCheckpoint(plain)).rejects.toThrow(/not an @hrnet\/train checkpoint/);
    const junk = join(dir, 'junk.safetensors');
    await writeFile(junk, 'hello');
    await expect(loadCheckpoint(junk)).rejects.toThrow(/is not a readable checkpoint/);
    await expect(loadCheckpoint(join(dir, 'missing.safetensors'))).rejects.toThrow(/cannot read checkpoint/);
  });

  it('checks the RNG state; reads v1 checkpoints (one-number RNG state) with a warning', async () => {
    const t = new Trainer<ToyBatch>({ model: toyModel(1), loss: crossEntropy, optimizer: new SGD({ learningRate: 0.01 }), seed: 3, progress: 'none' });
    const bytes = await encodeCheckpoint(t.checkpointContents(1));
    const { metadata, tensors } = decodeSafetensors(bytes);
    const meta = JSON.parse(metadata.hrnet_train!) as Record<string, unknown>;
    const rewrite = async (name: string, patch: Record<string, unknown>) => {
      const p = join(dir, name);
      await writeFile(p, writeSafetensors(tensors, { metadata: { hrnet_train: JSON.stringify({ ...meta, ...patch }) } }));
      return p;
    };
    await expect(loadCheckpoint(await rewrite('bad-rng.safetensors', { rng: [1, 2, 3] }))).rejects.toThrow(/bad RNG state \[1,2,3\]/);
    await expect(loadCheckpoint(await rewrite('bad-rng2.safetensors', { rng: 12345 }))).rejects.toThrow(CheckpointError);
    await expect(loadCheckpoint(await rewrite('v3.safetensors', { version: 3 }))).rejects.toThrow(/unsupported checkpoint format hrnet-train-checkpoint v3/);

    const v1 = await rewrite('v1.safetensors', { version: 1, rng: 12345 });
    expect((await loadCheckpoint(v1)).meta.rng).toBeUndefined();
    const events: TrainerEvent[] = [];
    const u = new Trainer<ToyBatch>({ model: toyModel(2), loss: crossEntropy, optimizer: new SGD({ learningRate: 0.01 }), seed: 3, progress: 'none', isMain: false, onLog: (e) => events.push(e) });
    const before = u.rng.getState();
    await u.restore(v1);
    expect(u.rng.getState()).toEqual(before);
    expect(u.steps).toBe(meta.globalStep);
    expect(events).toContainEqual(expect.objectContaining({ type: 'warning', message: expect.stringMatching(/format v1: its RNG state is from an older generator/) }));
  });

  it('a new run into a folder holding another run (issue 18: overwrote its epoch 1, reported its epoch 2) is refused before any work; --resume continues that run', async () => {
    const ckptDir = join(dir, 'two-runs');
    const data = toyBatches(2, 8, 4);
    const first = new CheckpointManager({ dir: ckptDir });
    await makeTrainer(1).fit(data, { epochs: 2, checkpoint: first });
    expect(first.lastSaved).toBe(join(ckptDir, 'ckpt-epoch0002.safetensors'));
    const before = await Promise.all(['ckpt-epoch0001.safetensors', 'ckpt-epoch0002.safetensors'].map((f) => readFile(join(ckptDir, f))));

    const events: TrainerEvent[] = [];
    const second = makeTrainer(2, (e) => events.push(e));
    const other = new CheckpointManager({ dir: ckptDir });
    await expect(second.fit(data, { epochs: 1, checkpoint: other })).rejects.toThrow(
      new RegExp(`^${ckptDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds 2 checkpoint\\(s\\) of another run \\(ckpt-epoch0001\\.safetensors, ckpt-epoch0002\\.safetensors; run ${first.runId}\\); continue it with --resume .*ckpt-epoch0002\\.safetensors, save this run elsewhere \\(--ckpt_save_dir\\), or --force to train beside it`),
    );
    expect(events.filter((e) => e.type === 'step')).toEqual([]); // refused before training
    expect(other.lastSaved).toBeUndefined();
    const after = await Promise.all(['ckpt-epoch0001.safetensors', 'ckpt-epoch0002.safetensors'].map((f) => readFile(join(ckptDir, f))));
    expect(after).toEqual(before);
    expect((await readdir(ckptDir)).sort()).toEqual(['ckpt-epoch0001.safetensors', 'ckpt-epoch0002.safetensors']);

    // Resuming continues the same run: its id is kept, and the run reports the file it wrote.
    const resumed = new CheckpointManager({ dir: ckptDir });
    await makeTrainer(3).fit(data, { epochs: 3, checkpoint: resumed, resume: join(ckptDir, 'ckpt-epoch0002.safetensors') });
    expect(resumed.runId).toBe(first.runId);
    expect(resumed.lastSaved).toBe(join(ckptDir, 'ckpt-epoch0003.safetensors'));
    expect((await readCheckpointMeta(join(ckptDir, 'ckpt-epoch0003.safetensors')))?.runId).toBe(first.runId);
  });

  it('--force trains beside another run: same-named files replaced, the others kept and never pruned; the run reports only its own files', async () => {
    const ckptDir = join(dir, 'forced');
    const data = toyBatches(2, 8, 4);
    const first = new CheckpointManager({ dir: ckptDir });
    await makeTrainer(1).fit(data, { epochs: 3, checkpoint: first });
    const kept = await readFile(join(ckptDir, 'ckpt-epoch0003.safetensors'));

    const forced = new CheckpointManager({ dir: ckptDir, keepMax: 1, force: true });
    await makeTrainer(2).fit(data, { epochs: 2, checkpoint: forced });
    expect(forced.runId).not.toBe(first.runId);
    expect(forced.lastSaved).toBe(join(ckptDir, 'ckpt-epoch0002.safetensors'));
    // keepMax 1 pruned this run's epoch 1 only; the other run's epoch 3 is untouched.
    expect((await readdir(ckptDir)).sort()).toEqual(['ckpt-epoch0002.safetensors', 'ckpt-epoch0003.safetensors']);
    expect(await readFile(join(ckptDir, 'ckpt-epoch0003.safetensors'))).toEqual(kept);
    expect((await readCheckpointMeta(join(ckptDir, 'ckpt-epoch0002.safetensors')))?.runId).toBe(forced.runId);
    expect((await readCheckpointMeta(join(ckptDir, 'ckpt-epoch0003.safetensors')))?.runId).toBe(first.runId);
  });

  it('checkpoints without a run id (older versions) count as another run; temp files of killed writes are removed at the start', async () => {
    const ckptDir = join(dir, 'legacy-run');
    const model = toyModel(1);
    const optimizer = new SGD({ learningRate: 0.1 });
    await saveCheckpoint(join(ckptDir, 'ckpt-epoch0001.safetensors'), { model, optimizer, meta: { epoch: 1, globalStep: 2 } });
    const dead = 2 ** 22 + 4321; // above Linux's default pid_max: no such process
    await writeFile(join(ckptDir, `.ckpt-epoch0002.safetensors.tmp-${dead}-0badf00d`), 'partial');
    await writeFile(join(ckptDir, `.ckpt-epoch0002.safetensors.tmp-${process.pid}-0123abcd`), 'being written'); // a live writer's
    const m = new CheckpointManager({ dir: ckptDir });
    await expect(m.claim()).rejects.toThrow(/holds 1 checkpoint\(s\) of another run \(ckpt-epoch0001\.safetensors; run unknown\)/);
    expect((await readdir(ckptDir)).sort()).toEqual([`.ckpt-epoch0002.safetensors.tmp-${process.pid}-0123abcd`, 'ckpt-epoch0001.safetensors']);
    await m.claim(await loadCheckpoint(join(ckptDir, 'ckpt-epoch0001.safetensors'))); // resuming it is fine
    expect(m.runId).toBe('unknown');
  });

  it('--resume of a PyTorch file says what it is and which flag takes it (issue 18: "implausible safetensors header")', async () => {
    const pth = join(dir, 'weights.pth');
    await writeFile(pth, Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...new Array(60).fill(0)]));
    await expect(loadCheckpoint(pth)).rejects.toThrow(`'${pth}' is a PyTorch file, not an @hrnet/train checkpoint: pass it with --ckpt_path to initialise the weights`);
  });

  it('writeFileAtomic replaces the file in one rename and leaves no temp files', async () => {
    const p = join(dir, 'atomic', 'x.bin');
    await writeFileAtomic(p, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(p, new Uint8Array([4]));
    expect(await readdir(join(dir, 'atomic'))).toEqual(['x.bin']);
    const m = new CheckpointManager({ dir: join(dir, 'atomic') });
    expect(await m.list()).toEqual([]);
    expect(() => new CheckpointManager({ dir, keepMax: 0 })).toThrow(/keepMax/);
  });
});
