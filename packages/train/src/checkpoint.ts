import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decodeSafetensors, isProcessAlive, SeededRng, writeFileAtomic, writeSafetensors, type SafetensorsTensorInput, type TensorArray } from '@hrnet/core';
import type { OptimizerState } from './optimizer-base.js';

/** Identifies our checkpoints in the safetensors `__metadata__` (key `hrnet_train`). */
export const CHECKPOINT_FORMAT = 'hrnet-train-checkpoint';
/**
 * 2: `rng` is @hrnet/core's `SeededRng` state (4 words). 1 stored a one-number state of an older generator;
 * such checkpoints still load (weights, optimizer, step, ...), without an RNG state to restore.
 */
export const CHECKPOINT_VERSION = 2;
const READABLE_VERSIONS: readonly number[] = [1, 2];
const META_KEY = 'hrnet_train';
/** The run id of checkpoints written before run ids existed. */
const LEGACY_RUN = 'unknown';

/** A checkpoint that cannot be read or does not fit the model / optimizer it is loaded into. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** Everything in a checkpoint besides tensors (stored as JSON in the safetensors metadata). */
export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Epochs completed (training resumes at this 0-based epoch). */
  epoch: number;
  /** Optimizer updates completed. */
  globalStep: number;
  /** Model weights in `model.weights` order: name and shape (tensors are `model/<index>`). */
  weights: { name: string; shape: number[]; trainable: boolean }[];
  /** The network's tfjs topology (`model.toJSON`), so that the checkpoint alone rebuilds it (`hrnet export`); absent in older checkpoints. */
  topology?: unknown;
  /** Optimizer class, update count, rate and hyper-parameters (slot tensors are `optimizer/<slot>/<weight index>`). */
  optimizer?: Omit<OptimizerState, 'slots'> & { slots: string[] };
  /** The LR schedule's parameters, when it has a `spec` (its state is `globalStep`). */
  scheduler?: unknown;
  /** The Trainer's RNG state (`SeededRng.getState()`: 4 unsigned 32-bit words). */
  rng?: number[];
  /** Loss scaler state. */
  lossScaler?: Record<string, number | boolean | string>;
  /** The task's config, verbatim. */
  config?: unknown;
  /** Evaluation of this epoch, when there was one. */
  metrics?: Record<string, number>;
  /** Best value of the tracked metric so far and its epoch. */
  best?: { metric: string; value: number; epoch: number };
  /** The training run that wrote it (kept across `--resume`): a new run never overwrites another run's files. */
  runId?: string;
  /** Data-parallel ranks of the run that wrote it (absent: 1). */
  worldSize?: number;
  createdAt: string;
}

export interface LoadedCheckpoint {
  path: string;
  meta: CheckpointMeta;
  /** `model/<i>` and `optimizer/<slot>/<i>` tensors as typed arrays. */
  tensors: Record<string, { shape: number[]; data: TensorArray }>;
}

export interface CheckpointContents {
  model: tf.LayersModel;
  optimizer?: tf.Optimizer;
  meta: Omit<CheckpointMeta, 'format' | 'version' | 'weights' | 'topology' | 'optimizer' | 'createdAt'>;
}

type StatefulOptimizer = tf.Optimizer & { getState(): OptimizerState; setState(s: OptimizerState): void };
const isStateful = (o: tf.Optimizer | undefined): o is StatefulOptimizer =>
  !!o && typeof (o as Partial<StatefulOptimizer>).getState === 'function' && typeof (o as Partial<StatefulOptimizer>).setState === 'function';

/** A checkpoint is never written with NaN or Inf in it: it would resume into the same divergence. */
function assertFinite(data: TensorArray, what: string): void {
  if (!(data instanceof Float32Array)) return;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new CheckpointError(`refusing to write a checkpoint: ${what} holds non-finite values (element ${i} is ${data[i]})`);
  }
}

/**
 * Serialises model weights, optimizer state and `meta` as safetensors bytes; throws {@link CheckpointError}
 * on non-finite values. Reads tensors with `data()` (webgpu has no synchronous read in Node).
 */
export async function encodeCheckpoint({ model, optimizer, meta }: CheckpointContents): Promise<Uint8Array> {
  const tensors: Record<string, SafetensorsTensorInput> = {};
  const values = await Promise.all(model.weights.map((w) => w.read().data() as Promise<TensorArray>));
  const weights = model.weights.map((w, i) => {
    const v = w.read();
    const data = values[i];
    assertFinite(data, `weight '${w.name}'`);
    tensors[`model/${i}`] = { shape: v.shape, data };
    return { name: w.name, shape: [...v.shape], trainable: w.trainable };
  });
  let optimizerMeta: CheckpointMeta['optimizer'];
  if (optimizer) {
    if (!isStateful(optimizer)) {
      throw new CheckpointError(`optimizer ${optimizer.getClassName()} has no getState(): use the @hrnet/train optimizers (SGD, RMSProp, Adam, AdamW) to checkpoint it`);
    }
    const state = optimizer.getState();
    const indexOf = new Map(model.weights.map((w, i) => [(w.read() as tf.Variable).name, i]));
    try {
      for (const [slot, byName] of Object.entries(state.slots)) {
        for (const [name, t] of Object.entries(byName)) {
          const i = indexOf.get(name);
          if (i == null) throw new CheckpointError(`optimizer slot '${slot}' belongs to '${name}', which is not a weight of the model`);
          const data = (await t.data()) as TensorArray;
          assertFinite(data, `optimizer slot '${slot}' of '${name}'`);
          tensors[`optimizer/${slot}/${i}`] = { shape: t.shape, data };
        }
      }
    } finally {
      tf.dispose(Object.values(state.slots).flatMap((s) => Object.values(s)));
    }
    const { slots, ...rest } = state;
    optimizerMeta = { ...rest, slots: Object.keys(slots) };
  }
  const full: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    ...meta,
    weights,
    topology: model.toJSON(undefined, false),
    optimizer: optimizerMeta,
    createdAt: new Date().toISOString(),
  };
  return writeSafetensors(tensors, { metadata: { [META_KEY]: JSON.stringify(full) } });
}

/** Saves a checkpoint atomically (see {@link encodeCheckpoint}). */
export async function saveCheckpoint(path: string, contents: CheckpointContents): Promise<void> {
  await writeFileAtomic(path, await encodeCheckpoint(contents));
}

/** Whether `bytes`' safetensors metadata marks them as one of our checkpoints. */
export function isTrainCheckpoint(metadata: Record<string, string>): boolean {
  return typeof metadata[META_KEY] === 'string';
}

/** Reads a checkpoint; throws {@link CheckpointError} naming the file when it is not one of ours. */
export async function loadCheckpoint(path: string): Promise<LoadedCheckpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new CheckpointError(`cannot read checkpoint '${path}': ${(err as Error).message}`);
  }
  // 'PK' (a torch.save zip) or a pickle protocol mark: PyTorch weights, which initialise a model but do not resume a run.
  if ((bytes[0] === 0x50 && bytes[1] === 0x4b) || (bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5)) {
    throw new CheckpointError(`'${path}' is a PyTorch file, not an @hrnet/train checkpoint: pass it with --ckpt_path to initialise the weights (--resume continues a run from its .safetensors checkpoint)`);
  }
  let decoded;
  try {
    decoded = decodeSafetensors(bytes, path);
  } catch (err) {
    throw new CheckpointError(`'${path}' is not a readable checkpoint: ${(err as Error).message}`);
  }
  const raw = decoded.metadata[META_KEY];
  if (raw == null) throw new CheckpointError(`'${path}' is a safetensors file but not an @hrnet/train checkpoint (no '${META_KEY}' metadata); use loadPytorchWeights for plain weights`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(raw) as CheckpointMeta;
  } catch {
    throw new CheckpointError(`'${path}': checkpoint metadata is not valid JSON`);
  }
  if (meta.format !== CHECKPOINT_FORMAT || !READABLE_VERSIONS.includes(meta.version)) {
    throw new CheckpointError(`'${path}': unsupported checkpoint format ${String(meta.format)} v${String(meta.version)} (this version reads ${CHECKPOINT_FORMAT} v${READABLE_VERSIONS.join(', v')})`);
  }
  if (meta.version === 1) {
    // A v1 RNG state belongs to the generator @hrnet/train had then; it cannot continue today's stream.
    delete meta.rng;
  } else if (meta.rng !== undefined && !SeededRng.isState(meta.rng)) {
    throw new CheckpointError(`'${path}': bad RNG state ${JSON.stringify(meta.rng)} (expected 4 unsigned 32-bit integers)`);
  }
  const tensors: LoadedCheckpoint['tensors'] = {};
  for (const [k, t] of Object.entries(decoded.tensors)) tensors[k] = { shape: t.shape, data: t.data };
  return { path, meta, tensors };
}

/** Largest safetensors header read when only a checkpoint's metadata is wanted. */
const MAX_HEADER_BYTES = 100 * 2 ** 20;

/** The metadata of one of our checkpoints, reading only the file's header; undefined when it is not one. */
export async function readCheckpointMeta(path: string): Promise<CheckpointMeta | undefined> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(8);
    if ((await fh.read(head, 0, 8, 0)).bytesRead < 8) return undefined;
    const n = Number(head.readBigUInt64LE(0));
    if (n < 2 || n > MAX_HEADER_BYTES) return undefined;
    const json = Buffer.alloc(n);
    if ((await fh.read(json, 0, n, 8)).bytesRead < n) return undefined;
    const raw = (JSON.parse(json.toString('utf8')) as { __metadata__?: Record<string, string> }).__metadata__?.[META_KEY];
    return raw == null ? undefined : (JSON.parse(raw) as CheckpointMeta);
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}

/**
 * Checks that the checkpoint's weights fit `model` (same count, same shapes in order) and writes them.
 * Names are compared only in error messages: tfjs numbers auto-named layers per process.
 */
export function restoreModelWeights(ckpt: LoadedCheckpoint, model: tf.LayersModel): void {
  const saved = ckpt.meta.weights;
  const weights = model.weights;
  if (saved.length !== weights.length) {
    throw new CheckpointError(
      `checkpoint '${ckpt.path}' does not fit this model: it has ${saved.length} weights, the model has ${weights.length} (a different architecture or config?)`,
    );
  }
  const bad: string[] = [];
  weights.forEach((w, i) => {
    const shape = w.read().shape;
    if (saved[i].shape.join(',') !== shape.join(',')) bad.push(`#${i} ${w.name} [${shape.join(', ')}] vs '${saved[i].name}' [${saved[i].shape.join(', ')}] in the checkpoint`);
  });
  if (bad.length) {
    throw new CheckpointError(`checkpoint '${ckpt.path}' does not fit this model: ${bad.length} weight shape(s) differ: ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? '; …' : ''}`);
  }
  weights.forEach((w, i) => {
    const t = ckpt.tensors[`model/${i}`];
    if (!t) throw new CheckpointError(`checkpoint '${ckpt.path}' lacks tensor model/${i}`);
    const dtype = w.read().dtype;
    tf.tidy(() => {
      w.write(tf.tensor(t.data as Float32Array, t.shape, dtype));
    });
  });
}

/** Restores the optimizer state saved with the model (slot tensors re-keyed to this model's variable names). */
export function restoreOptimizerState(ckpt: LoadedCheckpoint, model: tf.LayersModel, optimizer: tf.Optimizer): void {
  const saved = ckpt.meta.optimizer;
  if (!saved) throw new CheckpointError(`checkpoint '${ckpt.path}' has no optimizer state`);
  if (!isStateful(optimizer)) throw new CheckpointError(`optimizer ${optimizer.getClassName()} cannot restore state (no setState)`);
  const names = model.weights.map((w) => (w.read() as tf.Variable).name);
  const slots: OptimizerState['slots'] = {};
  const created: tf.Tensor[] = [];
  for (const [key, t] of Object.entries(ckpt.tensors)) {
    const m = /^optimizer\/(.+)\/(\d+)$/.exec(key);
    if (!m) continue;
    const name = names[Number(m[2])];
    if (name == null) throw new CheckpointError(`checkpoint '${ckpt.path}': optimizer tensor ${key} refers to a weight the model does not have`);
    const tensor = tf.tensor(t.data as Float32Array, t.shape, 'float32');
    created.push(tensor);
    (slots[m[1]] ??= {})[name] = tensor;
  }
  try {
    optimizer.setState({ ...saved, slots });
  } catch (err) {
    throw new CheckpointError(`checkpoint '${ckpt.path}': ${(err as Error).message}`);
  } finally {
    tf.dispose(created);
  }
}

export interface CheckpointManagerOptions {
  /** Folder for `<prefix>-epoch<N>.safetensors` and `<prefix>-best.safetensors`. */
  dir: string;
  /** File name prefix. Default 'ckpt'. */
  prefix?: string;
  /** Epoch checkpoints kept (oldest deleted first). Default 10 (the MindSpore recipe's keep_checkpoint_max). */
  keepMax?: number;
  /** Save every N epochs (and always after the last). Default 1. */
  every?: number;
  /** Metric that picks the best checkpoint: 'loss' or a metric name of the evaluation. Default: none kept. */
  bestMetric?: string;
  /** Default: 'min' for names containing 'loss', else 'max'. */
  bestMode?: 'min' | 'max';
  /** This run's id (stored in every checkpoint it writes). Default: random; a resumed run takes its checkpoint's. */
  runId?: string;
  /**
   * Train into a folder holding another run's checkpoints (`--force`): this run replaces the files of the same
   * name (its epochs, best) and keeps the others, which it never prunes. Default false: {@link claim} refuses.
   */
  force?: boolean;
}

/**
 * Epoch checkpoints in one folder: `<prefix>-epoch0003.safetensors`, keeping the newest `keepMax`, plus
 * `<prefix>-best.safetensors` (a copy of the epoch whose evaluation was best by `bestMetric`).
 * Each checkpoint records its run's id; {@link claim} refuses a folder holding another run's checkpoints
 * (unless `force`), so a new run never overwrites, prunes or reports another run's files.
 */
export class CheckpointManager {
  readonly dir: string;
  readonly prefix: string;
  readonly keepMax: number;
  readonly every: number;
  readonly bestMetric?: string;
  readonly bestMode: 'min' | 'max';
  best?: { metric: string; value: number; epoch: number };
  runId: string;
  /** The epoch checkpoint this run wrote last (undefined until it writes one). */
  lastSaved?: string;
  readonly force: boolean;
  /** Epoch checkpoints of other runs found by {@link claim} under `force`: never pruned. */
  private readonly foreign = new Set<string>();

  constructor(opts: CheckpointManagerOptions) {
    this.runId = opts.runId ?? randomBytes(6).toString('hex');
    this.dir = opts.dir;
    this.prefix = opts.prefix ?? 'ckpt';
    this.keepMax = opts.keepMax ?? 10;
    this.every = opts.every ?? 1;
    this.force = opts.force ?? false;
    if (!(Number.isInteger(this.keepMax) && this.keepMax >= 1)) throw new Error(`CheckpointManager: keepMax must be a positive integer, got ${opts.keepMax}`);
    if (!(Number.isInteger(this.every) && this.every >= 1)) throw new Error(`CheckpointManager: every must be a positive integer, got ${opts.every}`);
    this.bestMetric = opts.bestMetric;
    this.bestMode = opts.bestMode ?? (opts.bestMetric && /loss/i.test(opts.bestMetric) ? 'min' : 'max');
  }

  epochPath(epoch: number): string {
    return join(this.dir, `${this.prefix}-epoch${String(epoch).padStart(4, '0')}.safetensors`);
  }

  get bestPath(): string {
    return join(this.dir, `${this.prefix}-best.safetensors`);
  }

  /** Saved epoch checkpoints, oldest first. */
  async list(): Promise<{ epoch: number; path: string }[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const re = new RegExp(`^${this.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-epoch(\\d+)\\.safetensors$`);
    return names
      .map((n) => re.exec(n))
      .filter((m): m is RegExpExecArray => m != null)
      .map((m) => ({ epoch: Number(m[1]), path: join(this.dir, m[0]) }))
      .sort((a, b) => a.epoch - b.epoch);
  }

  /** The newest epoch checkpoint, if any. */
  async latest(): Promise<string | undefined> {
    const all = await this.list();
    return all.at(-1)?.path;
  }

  /**
   * Called before training: takes over the run of `resumed` (the checkpoint a `--resume` continues from), removes
   * temp files of killed writes, and throws {@link CheckpointError} when the folder holds checkpoints of another
   * run (or of a version without run ids), naming them and how to continue.
   */
  async claim(resumed?: LoadedCheckpoint): Promise<void> {
    if (resumed) this.runId = resumed.meta.runId ?? LEGACY_RUN;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const m = /\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
      if (name.startsWith(`.${this.prefix}-`) && m && !isProcessAlive(Number(m[1]))) await rm(join(this.dir, name), { force: true });
    }
    const existing = [...(await this.list()).map((c) => c.path), ...(names.includes(basename(this.bestPath)) ? [this.bestPath] : [])];
    const foreign: { path: string; runId: string }[] = [];
    for (const path of existing) {
      const runId = (await readCheckpointMeta(path))?.runId ?? LEGACY_RUN;
      if (runId !== this.runId) foreign.push({ path, runId });
    }
    if (foreign.length === 0) return;
    if (this.force) {
      for (const f of foreign) this.foreign.add(f.path);
      return;
    }
    const latest = (await this.list()).filter((c) => foreign.some((f) => f.path === c.path)).at(-1)?.path;
    throw new CheckpointError(
      `${this.dir} holds ${foreign.length} checkpoint(s) of another run (${foreign
        .slice(0, 3)
        .map((f) => basename(f.path))
        .join(', ')}${foreign.length > 3 ? ', …' : ''}; run ${foreign[0].runId}); ` +
        `continue it with --resume ${latest ?? foreign[0].path}, save this run elsewhere (--ckpt_save_dir), or --force to train beside it (files of the same name replaced)`,
    );
  }

  /** Whether `value` beats the best so far. */
  improves(value: number): boolean {
    if (!Number.isFinite(value)) return false;
    if (!this.best) return true;
    return this.bestMode === 'min' ? value < this.best.value : value > this.best.value;
  }

  /**
   * Saves epoch `epoch` (1-based, = epochs completed) when due, prunes old ones, and updates the best
   * checkpoint when `metrics[bestMetric]` improved. Returns the paths written.
   */
  async save(epoch: number, contents: CheckpointContents, opts: { last?: boolean } = {}): Promise<string[]> {
    const written: string[] = [];
    const metrics = contents.meta.metrics;
    const value = this.bestMetric && metrics ? metrics[this.bestMetric] : undefined;
    const isBest = value != null && this.improves(value);
    if (isBest) this.best = { metric: this.bestMetric!, value: value!, epoch };
    const due = epoch % this.every === 0 || opts.last;
    if (!due && !isBest) return written;
    const bytes = await encodeCheckpoint({ ...contents, meta: { ...contents.meta, best: this.best, runId: this.runId } });
    if (due) {
      await writeFileAtomic(this.epochPath(epoch), bytes);
      written.push(this.epochPath(epoch));
      this.lastSaved = this.epochPath(epoch);
      this.foreign.delete(this.epochPath(epoch));
      const own = (await this.list()).filter((c) => !this.foreign.has(c.path));
      for (const old of own.slice(0, Math.max(0, own.length - this.keepMax))) await rm(old.path, { force: true });
    }
    if (isBest) {
      await writeFileAtomic(this.bestPath, bytes);
      written.push(this.bestPath);
    }
    return written;
  }
}
