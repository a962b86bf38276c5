/**
 * The one parity harness every model family's tests call (in the spirit of KerasHub's TestCase):
 * a family describes its fixture (manifest keys → outputs / layers / parameters) and gets the same
 * eval, intermediate, train-mode, running-statistics and gradient checks on every backend.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, loadPytorchWeights } from '@hrnet/core';
import { assertCloseAsync, loadFixtureTensor, probeModel, readManifest, type FixtureTensor } from '@hrnet/core/testing';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';

type WeightKind = 'activation' | 'conv-weight' | 'linear-weight';

/** Where a PyTorch parameter lives in our model: layer name, index in `layer.weights`, layout. */
export interface ParamRef {
  layer: string;
  index: number;
  kind: WeightKind;
}

export interface ParitySpec {
  family: string;
  fixtureDir: string;
  manifest: string;
  /** safetensors state dict (PyTorch names) inside fixtureDir. */
  weights: string;
  naming?: 'timm' | 'higherhrnet' | 'hf-hrnet' | 'hrnet-seg';
  build: () => tf.LayersModel;
  /** Manifest key of the input, or one key per input of a multi-input model (e.g. a block on four branches). */
  input: string | string[];
  /** Eval-mode outputs: manifest key per model output, in output order. */
  outputs: string[];
  /**
   * Eval-mode values the reference computes from the outputs outside the model (e.g. logits resized to the
   * label size): manifest key → function of the model outputs.
   */
  derivedOutputs?: Record<string, (outputs: tf.Tensor[]) => tf.Tensor>;
  /** Eval-mode activations: manifest key → layer name. */
  intermediates?: Record<string, string>;
  /** Train-mode (batch statistics) outputs, in output order. */
  trainOutputs?: string[];
  /** BN buffers after one train-mode forward: manifest key → where they live. */
  runningStats?: Record<string, ParamRef>;
  /**
   * Gradients of sum_k(output_k · W_k): manifest key of each W_k (per output), and per mode the manifest
   * key prefix of the gradient files (`<prefix>.<torch name>`; `input` for the image).
   */
  grads?: { weights: string[]; modes: Partial<Record<'train' | 'eval', string>>; params: Record<string, ParamRef> };
  /**
   * ReLU inputs that sit within float32 rounding of 0 in the reference run, where PyTorch's and our
   * summation order round to opposite signs and so flip that unit's gradient mask. Each is asserted to be a
   * true tie (|v| ≤ 1e-6 · max |layer input|), then moved to the reference's side before comparing.
   */
  reluTies?: Array<{ layer: string; index: number; mode: 'train' | 'eval' }>;
  tolerance: number;
  /** Tolerance of the train-mode outputs, running statistics and gradients; default `tolerance`. */
  trainTolerance?: number;
}

/** Wraps the ReLU layers named in `ties` so that the tied inputs change sign; returns an undo function. */
async function flipReluTies(model: tf.LayersModel, x: tf.Tensor, ties: NonNullable<ParitySpec['reluTies']>, training: boolean): Promise<() => void> {
  const undo: Array<() => void> = [];
  for (const tie of ties) {
    const layer = model.getLayer(tie.layer);
    const pre = tf.tidy(() => tf.model({ inputs: model.inputs, outputs: layer.input as tf.SymbolicTensor }).apply(x, { training }) as tf.Tensor);
    // Async reads throughout: webgpu tensors cannot be read synchronously in Node.
    const values = (await pre.data()) as Float32Array;
    const scale = values.reduce((m: number, v: number) => Math.max(m, Math.abs(v)), 0);
    const v = values[tie.index];
    if (!(Math.abs(v) <= 1e-6 * scale)) {
      throw new Error(`ReLU tie ${tie.layer}[${tie.index}] is not a tie: |${v}| > 1e-6 · ${scale}`);
    }
    const delta = tf.buffer(pre.shape);
    delta.values[tie.index] = -2 * v;
    const shift = delta.toTensor();
    pre.dispose();
    const original = layer.call.bind(layer);
    layer.call = (inputs, kwargs) => original(tf.add(Array.isArray(inputs) ? inputs[0] : inputs, shift), kwargs);
    undo.push(() => {
      layer.call = original;
      shift.dispose();
    });
  }
  return () => undo.forEach((u) => u());
}

/** The cpu backend needs seconds per backward pass of even a tiny HRNet. */
const SLOW_TEST_MS = 180_000;

const toList = (y: tf.Tensor | tf.Tensor[]) => (Array.isArray(y) ? y : [y]);

/** Backends the harness can run on ('native': @hrnet/backend-native's oneDNN kernels on wasm; 'webgpu': Dawn). */
export type ParityBackend = 'cpu' | 'wasm' | 'native' | 'webgpu';

export function describeParity(spec: ParitySpec, backends: ParityBackend[] = ['cpu', 'wasm']): void {
  describe.each(backends)(`${spec.family} parity with the PyTorch reference on %s`, (backend) => {
    const tensors = readManifest(spec.fixtureDir, spec.manifest);
    const get = (key: string): FixtureTensor => {
      const t = tensors[key];
      if (!t) throw new Error(`${spec.manifest}: no tensor '${key}'`);
      return t;
    };
    const fixture = (key: string, kind: WeightKind = 'activation') => loadFixtureTensor(spec.fixtureDir, get(key), kind);
    // Largest error per check kind, printed after the block so the measured margins are on record.
    const worst = new Map<string, { err: number; label: string }>();
    let kind = 'outputs';
    const tolerance = () => (kind === 'outputs' || kind === 'intermediates' ? spec.tolerance : (spec.trainTolerance ?? spec.tolerance));
    /** Checks each [label, actual, expected] and disposes them all. */
    const checkAll = async (pairs: Array<[string, tf.Tensor, tf.Tensor]>) => {
      try {
        for (const [label, actual, expected] of pairs) {
          const err = await assertCloseAsync(`${spec.family} ${label} (${backend})`, actual, expected, tolerance());
          if (err >= (worst.get(kind)?.err ?? -1)) worst.set(kind, { err, label });
        }
      } finally {
        tf.dispose(pairs.flatMap(([, a, e]) => [a, e]));
      }
    };
    let model: tf.LayersModel;
    let x: tf.Tensor | tf.Tensor[];
    const fresh = async () => {
      model?.dispose();
      model = spec.build();
      await loadPytorchWeights(model, join(spec.fixtureDir, spec.weights), { naming: spec.naming ?? 'timm' });
    };

    beforeAll(async () => {
      await initBackend(backend, { log: () => {} });
      x = Array.isArray(spec.input) ? spec.input.map((k) => fixture(k)) : fixture(spec.input);
      await fresh();
    }, SLOW_TEST_MS);
    afterAll(() => {
      model?.dispose();
      if (x) tf.dispose(x);
      const lines = [...worst].map(([k, w]) => `${k} ${w.err.toExponential(2)} (${w.label})`);
      const tol = spec.trainTolerance == null ? `${spec.tolerance}` : `${spec.tolerance} eval, ${spec.trainTolerance} train/grad`;
      if (lines.length) console.log(`${spec.family} on ${backend}: max relative error (tolerance ${tol}): ${lines.join('; ')}`);
    });

    it('eval-mode outputs', async () => {
      kind = 'outputs';
      const ys = toList(model.predict(x));
      const derived = Object.entries(spec.derivedOutputs ?? {}).map(([key, derive]): [string, tf.Tensor, tf.Tensor] => [key, tf.tidy(() => derive(ys)), fixture(key)]);
      await checkAll([...ys.map((y, i): [string, tf.Tensor, tf.Tensor] => [spec.outputs[i], y, fixture(spec.outputs[i])]), ...derived]);
    }, SLOW_TEST_MS);

    if (spec.intermediates) {
      const inter = spec.intermediates;
      it('every stored intermediate activation', async () => {
        kind = 'intermediates';
        const probe = probeModel(model, Object.values(inter));
        const keys = Object.keys(inter);
        await checkAll(toList(probe.predict(x)).map((y, i) => [keys[i], y, fixture(keys[i])]));
      }, SLOW_TEST_MS);
    }

    if (spec.trainOutputs) {
      const keys = spec.trainOutputs;
      it('train-mode outputs (batch statistics) and running-statistics update', async () => {
        kind = 'train';
        await fresh();
        await checkAll(toList(model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[]).map((y, i) => [keys[i], y, fixture(keys[i])]));
        await checkAll(
          Object.entries(spec.runningStats ?? {}).map(([key, ref]) => [key, tf.clone(model.getLayer(ref.layer).weights[ref.index].read()), fixture(key, ref.kind)]),
        );
      }, SLOW_TEST_MS);
    }

    if (spec.grads) {
      const g = spec.grads;
      for (const [mode, prefix] of Object.entries(g.modes)) {
        it(`gradients in ${mode} mode`, async () => {
          kind = `grad.${mode}`;
          if (Array.isArray(x)) throw new Error(`${spec.family}: gradient checks take a single-input model`);
          await fresh();
          const names = Object.keys(g.params);
          const vars = names.map((n) => model.getLayer(g.params[n].layer).weights[g.params[n].index].read() as tf.Variable);
          // Trainable: tfjs returns no gradient for a non-trainable variable even when listed explicitly.
          const image = tf.variable(x, true);
          const ws = g.weights.map((k) => fixture(k));
          const ties = (spec.reluTies ?? []).filter((t) => t.mode === mode);
          const restore = await flipReluTies(model, x, ties, mode === 'train');
          const { grads } = tf.variableGrads(() => {
            const ys = toList(model.apply(image, { training: mode === 'train' }) as tf.Tensor | tf.Tensor[]);
            return tf.addN(ys.map((y, i) => tf.sum(tf.mul(y, ws[i])))) as tf.Scalar;
          }, [image, ...vars]);
          restore();
          await checkAll([
            [`${prefix}.input`, grads[image.name], fixture(`${prefix}.input`)],
            ...names.map((n, i): [string, tf.Tensor, tf.Tensor] => [`${prefix}.${n}`, grads[vars[i].name], fixture(`${prefix}.${n}`, g.params[n].kind)]),
          ]);
          tf.dispose([image, ...ws, ...Object.values(grads)]);
        }, SLOW_TEST_MS);
      }
    }
  });
}
