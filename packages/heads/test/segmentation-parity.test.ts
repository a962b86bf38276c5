import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { torchResizeBilinear } from '@hrnet/core';
import { describeSkippedNative, loadNative } from '../../../test-utils/native.js';
import { describeParity, type ParamRef, type ParityBackend } from '../../../test-utils/parity-harness.js';
import { createSegmenter } from '../src/index.js';

const dir = fileURLToPath(new URL('../../../fixtures/hrnet-seg/', import.meta.url));
// The fixture's config carries the official MODEL.EXTRA block verbatim.
const config = JSON.parse(readFileSync(`${dir}tiny.config.json`, 'utf8'));
const [, , inH, inW] = config.input_shape as number[];
const native = await loadNative();
const backends: ParityBackend[] = native.available ? ['wasm', 'cpu', 'native'] : ['wasm', 'cpu'];
if (!native.available) describeSkippedNative('hrnet-seg tiny parity with the PyTorch reference on native', native);

const conv = (layer: string): ParamRef => ({ layer, index: 0, kind: 'conv-weight' });
const vec = (layer: string, index = 0): ParamRef => ({ layer, index, kind: 'activation' });

// Tiny seg_hrnet (channels 8/16/32/64, 1 module × 1 block per stage, 5 classes), random BN statistics, input
// 64×96 (non-square). Tolerances as the fixture suggests: |diff| ≤ 1e-4 · max(1, max |ref|) in eval mode,
// 1e-3 for the train-mode forward and the gradients of sum(train logits · W).
for (const alignCorners of [true, false]) {
  const ac = `ac-${alignCorners}`;
  describeParity(
    {
      family: `hrnet-seg tiny align_corners=${alignCorners}`,
      fixtureDir: dir,
      manifest: 'tiny.manifest.json',
      weights: 'tiny.safetensors',
      naming: 'hrnet-seg',
      build: () => createSegmenter(config['MODEL.EXTRA'], { numClasses: config.num_classes, alignCorners }),
      input: 'input',
      outputs: [`${ac}.logits`],
      // What the repo does outside the model (criterion.py, base_dataset.inference): logits → input size.
      derivedOutputs: { [`${ac}.logits_up`]: ([y]) => torchResizeBilinear(y as tf.Tensor4D, [inH, inW], alignCorners) },
      intermediates: {
        'inter.stem': 'act1',
        [`${ac}.inter.stage4.b0`]: 'stage4.0.fuse_act.0',
        [`${ac}.inter.stage4.b1`]: 'stage4.0.fuse_act.1',
        [`${ac}.inter.stage4.b2`]: 'stage4.0.fuse_act.2',
        [`${ac}.inter.stage4.b3`]: 'stage4.0.fuse_act.3',
        [`${ac}.inter.concat`]: 'concat',
      },
      trainOutputs: [`${ac}.train.logits`],
      grads: {
        weights: [`${ac}.grad.weights`],
        modes: { train: `${ac}.grad.train` },
        params: {
          'conv1.weight': conv('conv1'),
          'stage4.0.fuse_layers.0.3.1.weight': vec('stage4.0.fuse_layers.0.3.1'),
          'last_layer.0.weight': conv('last_layer.0'),
          'last_layer.3.weight': conv('last_layer.3'),
          'last_layer.3.bias': vec('last_layer.3', 1),
        },
      },
      tolerance: 1e-4,
      trainTolerance: 1e-3,
    },
    backends,
  );
}
