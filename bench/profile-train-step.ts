/**
 * Where a training step's time goes, per tfjs kernel: one SGD step of an HRNet classifier or a HigherHRNet
 * preset (the step @hrnet/train takes: applyTraining + variableGrads) under tf.profile, kernels summed by
 * name, largest first. Op and customGrad scopes (`…__op`, `forward`) are left out: their kernels are listed.
 *
 *   npx tsx bench/profile-train-step.ts [--model hrnet_w18_small|higherhrnet_w32_512] [--size 224] [--batch 8] [--backend native|wasm|cpu] [--top 25]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { applyTraining, initBackend, variableGrads, type BackendKind } from '@hrnet/core/backend';
import { createClassifier, createHigherHRNet } from '@hrnet/heads';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'hrnet_w18_small' },
    size: { type: 'string', default: '224' },
    batch: { type: 'string', default: '8' },
    backend: { type: 'string', default: 'native' },
    top: { type: 'string', default: '25' },
    infer: { type: 'boolean', default: false },
  },
});
const size = Number(values.size);
const batch = Number(values.batch);
await initBackend(values.backend as BackendKind, { log: (m) => console.log(`# ${m}`) });
const pose = values.model!.startsWith('higherhrnet');
const model = pose ? createHigherHRNet(values.model!, { inputShape: [size, size, 3] }) : createClassifier(values.model!, { numClasses: 1000, inputShape: [size, size, 3] });
const opt = tf.train.momentum(0.01, 0.9);
const x = tf.randomNormal([batch, size, size, 3]);
const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 1000), 'int32'), 1000);
// HigherHRNet: a mean of squares per output stands in for its loss (small next to the network).
const loss = (out: tf.Tensor | tf.Tensor[]): tf.Scalar =>
  pose ? (tf.addN((out as tf.Tensor[]).map((o) => tf.mean(tf.square(o)))) as tf.Scalar) : (tf.losses.softmaxCrossEntropy(y, out as tf.Tensor) as tf.Scalar);
const step = () =>
  values.infer
    ? tf.tidy(() => void ([model.predict(x)].flat() as tf.Tensor[])[0].dataSync())
    : tf.tidy(() => opt.applyGradients(variableGrads(() => loss(applyTraining(model, x)), vars).grads));
step(); // warm-up
const t0 = performance.now();
step();
const wall = performance.now() - t0;
const info = await tf.profile(step);
const byName = new Map<string, { ms: number; calls: number }>();
let total = 0;
for (const k of info.kernels) {
  if (k.name.endsWith('__op') || k.name === 'forward') continue;
  const ms = Number(k.kernelTimeMs) || 0;
  total += ms;
  const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
  e.ms += ms;
  e.calls++;
  byName.set(k.name, e);
}
console.log(`${values.model} ${values.infer ? 'inference' : 'training step'} batch ${batch} @${size} on ${values.backend}: ${wall.toFixed(0)} ms unprofiled (${((batch * 1000) / wall).toFixed(2)} img/s); kernels sum ${total.toFixed(0)} ms under profile`);
for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(values.top))) {
  console.log(`  ${name.padEnd(36)} ${e.ms.toFixed(1).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${String(e.calls).padStart(5)} calls`);
}
