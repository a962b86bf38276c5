import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeSkippedNative, loadNative } from '../../../test-utils/native.js';
import { describeParity, type ParityBackend } from '../../../test-utils/parity-harness.js';
import { createModel } from '../src/index.js';

const dir = fileURLToPath(new URL('../../../fixtures/higherhrnet/model_tiny/', import.meta.url));
// The fixture's config.json is the official MODEL block (+ LOSS.WITH_AE_LOSS), passed through unchanged.
const config = JSON.parse(readFileSync(`${dir}config.json`, 'utf8'));
// 'native' (oneDNN kernels on wasm, incl. the transposed convolution's) where the addon loads.
const native = await loadNative();
const backends: ParityBackend[] = native.available ? ['wasm', 'cpu', 'native'] : ['wasm', 'cpu'];
if (!native.available) describeSkippedNative('higherhrnet tiny parity with the PyTorch reference on native', native);

// Tiny PoseHigherResolutionNet (channels 8/16/32/64, 1 module x 1 block per stage, 1 BasicBlock after the
// deconv), random BN statistics, eval mode. Tolerance: the fixture's hint, |diff| < 1e-4 of max |value|.
// cpu runs too: tfjs-backend-cpu's broken ResizeNearestNeighborGrad only affects gradients, not checked here
// (the fixture has none for this model).
describeParity(
  {
    family: 'higherhrnet tiny',
    fixtureDir: dir,
    manifest: 'manifest.json',
    weights: 'weights.safetensors',
    naming: 'higherhrnet',
    build: () => createModel({ family: 'higher-hrnet', config }),
    input: 'input',
    outputs: ['output_0', 'output_1'],
    intermediates: {
      act_stem: 'act2',
      act_stage2_b0: 'stage2.0.fuse_act.0',
      act_stage2_b1: 'stage2.0.fuse_act.1',
      act_stage3_b0: 'stage3.0.fuse_act.0',
      act_stage3_b1: 'stage3.0.fuse_act.1',
      act_stage3_b2: 'stage3.0.fuse_act.2',
      act_stage4_b0: 'stage4.0.fuse_act.0',
      act_deconv_in: 'deconv_layers.0.cat',
      act_deconv_up: 'deconv_layers.0.0.2',
      act_deconv_out: 'deconv_layers.0.1.0.act2',
    },
    tolerance: 1e-4,
  },
  backends,
);

// Non-square input: the test pipeline's 128x192 network input (model_tiny/pipeline), same weights.
describeParity(
  {
    family: 'higherhrnet tiny 128x192',
    fixtureDir: `${dir}pipeline/`,
    manifest: 'manifest.json',
    weights: '../weights.safetensors',
    naming: 'higherhrnet',
    build: () => createModel({ family: 'higher-hrnet', config }, { inputShape: [128, 192, 3] }),
    input: 'model_input',
    outputs: ['raw_output_0', 'raw_output_1'],
    tolerance: 1e-4,
  },
  backends,
);
