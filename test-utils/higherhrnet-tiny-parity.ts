/**
 * The tiny HigherHRNet's parity specs against fixtures/higherhrnet/model_tiny (square input, and the test
 * pipeline's non-square 128x192 input), shared by every backend's parity test. `createHigherHRNet` is
 * passed in so each package tests the build it depends on.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs';
import type { ParitySpec } from './parity-harness.js';

type CreateHigherHRNet = (config: any, opts?: { inputShape?: [number, number, number] }) => tf.LayersModel;

const dir = fileURLToPath(new URL('../fixtures/higherhrnet/model_tiny/', import.meta.url));

// Tiny PoseHigherResolutionNet (channels 8/16/32/64, 1 module x 1 block per stage, 1 BasicBlock after the
// deconv), random BN statistics, eval mode. Tolerance: the fixture's hint, |diff| < 1e-4 of max |value|.
// The fixture's config.json is the official MODEL block (+ LOSS.WITH_AE_LOSS), passed through unchanged.
export function higherHrnetTinyParitySpecs(createHigherHRNet: CreateHigherHRNet): ParitySpec[] {
  const config = JSON.parse(readFileSync(`${dir}config.json`, 'utf8'));
  return [
    {
      family: 'higherhrnet tiny',
      fixtureDir: dir,
      manifest: 'manifest.json',
      weights: 'weights.safetensors',
      naming: 'higherhrnet',
      build: () => createHigherHRNet(config),
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
    // Non-square input: the test pipeline's 128x192 network input (model_tiny/pipeline), same weights.
    {
      family: 'higherhrnet tiny 128x192',
      fixtureDir: `${dir}pipeline/`,
      manifest: 'manifest.json',
      weights: '../weights.safetensors',
      naming: 'higherhrnet',
      build: () => createHigherHRNet(config, { inputShape: [128, 192, 3] }),
      input: 'model_input',
      outputs: ['raw_output_0', 'raw_output_1'],
      tolerance: 1e-4,
    },
  ];
}
