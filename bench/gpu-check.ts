/**
 * The GPU check's one program (bundled into a single file by `bench/gpu-check.sh --prepare`):
 *
 *   node gpu-check.mjs parity [--adapter I|NAME]   webgpu parity with the PyTorch fixture (fixtures/hrnet-cls):
 *                                                  eval logits and train-mode gradients, tolerance 1e-4
 *   node gpu-check.mjs bench [bench flags]         bench/hrnet-throughput.bench.ts with those flags
 *
 * Exits 1 with one line when the parity check fails or webgpu cannot start.
 */
import * as tf from '@tensorflow/tfjs';
import { loadPytorchWeights } from '@hrnet/core';
import { initBackend } from '@hrnet/core/backend';
import { assertCloseAsync, loadFixtureTensor, readManifest } from '@hrnet/core/testing';
import { createClassifier } from '@hrnet/heads';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hrnetClsParitySpec } from '../test-utils/hrnet-cls-parity.js';

async function parity(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { adapter: { type: 'string', default: '' } } });
  const adapter = values.adapter === '' ? undefined : /^\d+$/.test(values.adapter) ? Number(values.adapter) : values.adapter;
  await initBackend('webgpu', { adapter, log: (m) => console.log(`# ${m}`) });
  const spec = hrnetClsParitySpec(createClassifier);
  const tensors = readManifest(spec.fixtureDir, spec.manifest);
  const fixture = (key: string, kind: 'activation' | 'conv-weight' | 'linear-weight' = 'activation') => loadFixtureTensor(spec.fixtureDir, tensors[key], kind);
  const model = spec.build();
  await loadPytorchWeights(model, join(spec.fixtureDir, spec.weights), { naming: 'timm' });
  const x = fixture(spec.input);
  const t0 = performance.now();
  const logits = model.predict(x) as tf.Tensor;
  const errOut = await assertCloseAsync(`${spec.family} logits (webgpu)`, logits, fixture('logits'), spec.tolerance);
  // Train-mode gradients of sum(logits · W) with respect to the input and the spec's parameters.
  const g = spec.grads!;
  const names = Object.keys(g.params);
  const vars = names.map((n) => model.getLayer(g.params[n].layer).weights[g.params[n].index].read() as tf.Variable);
  const image = tf.variable(x, true);
  const w = fixture(g.weights[0]);
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(image, { training: true }) as tf.Tensor, w)) as tf.Scalar, [image, ...vars]);
  let errGrad = await assertCloseAsync(`${spec.family} grad.train.input (webgpu)`, grads[image.name], fixture('grad.train.input'), spec.tolerance);
  for (const [i, n] of names.entries()) {
    errGrad = Math.max(errGrad, await assertCloseAsync(`${spec.family} grad.train.${n} (webgpu)`, grads[vars[i].name], fixture(`grad.train.${n}`, g.params[n].kind), spec.tolerance));
  }
  console.log(
    `parity ok: ${spec.family} on webgpu: logits ${errOut.toExponential(2)}, train-mode gradients ${errGrad.toExponential(2)} ` +
      `(max relative error vs PyTorch, tolerance ${spec.tolerance}); ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'parity') await parity(rest);
  else if (command === 'bench') {
    // The bench parses process.argv itself.
    process.argv = [process.argv[0], process.argv[1], ...rest];
    await import('./hrnet-throughput.bench.js');
  } else throw new Error(`gpu-check: unknown command '${command ?? ''}'; use 'parity' or 'bench'`);
} catch (e) {
  console.error(process.argv.includes('--debug') ? e : `gpu-check ${command}: ${(e as Error).message.split('\n')[0]}`);
  process.exit(1);
}
