import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describeSkippedNative, loadNative } from '../../../test-utils/native.js';
import { describeParity, type ParityBackend } from '../../../test-utils/parity-harness.js';
import { createBackbone, humBlock } from '../src/index.js';

const dir = fileURLToPath(new URL('../../../fixtures/hf-hrnet/', import.meta.url));
// The fixture's config.json `extra` is the official backbone dict, passed through unchanged.
const extra = JSON.parse(readFileSync(`${dir}hf_hrnet_tiny.config.json`, 'utf8')).extra;
// 'native' (oneDNN kernels on wasm) where the addon loads.
const native = await loadNative();
const backends: ParityBackend[] = native.available ? ['cpu', 'wasm', 'native'] : ['cpu', 'wasm'];

// Tolerance: max |diff| ≤ 1e-4 · max(1, max |reference|) in eval and train mode alike (the issue allows 1e-3
// in train mode; measured margins are printed after each block).

// One HUM block (official CADBlock, in_channels [8, 16, 32, 64], reduce_ratio 8) on four branch inputs;
// its state dict has no prefix, so the block is built with an empty name.
describeParity(
  {
    family: 'hf-hrnet HUM block',
    fixtureDir: dir,
    manifest: 'hum_block.manifest.json',
    weights: 'hum_block.safetensors',
    naming: 'hf-hrnet',
    build: () => {
      const shapes = [[64, 48, 8], [32, 24, 16], [16, 12, 32], [8, 6, 64]];
      const inputs = shapes.map((shape, i) => tf.input({ shape, name: `branch${i}` }));
      return tf.model({ inputs, outputs: humBlock(inputs, { name: '', reduceRatio: 8 }), name: 'hum_block' });
    },
    input: ['input.b0', 'input.b1', 'input.b2', 'input.b3'],
    outputs: ['output.b0', 'output.b1', 'output.b2', 'output.b3'],
    trainOutputs: ['train.output.b0', 'train.output.b1', 'train.output.b2', 'train.output.b3'],
    tolerance: 1e-4,
  },
  backends,
);

// A narrow full HF_HRNet (stem 16→16, widths 16/32/64/128, one module of two blocks per stage, IterativeHead),
// random BN statistics, input 2×3×128×64.
describeParity(
  {
    family: 'hf-hrnet tiny',
    fixtureDir: dir,
    manifest: 'hf_hrnet_tiny.manifest.json',
    weights: 'hf_hrnet_tiny.safetensors',
    naming: 'hf-hrnet',
    build: () => createBackbone(extra),
    input: 'input',
    outputs: ['output'],
    intermediates: {
      'inter.stem': 'stem.conv2.sum2',
      'inter.stage0.b0': 'stage0.0.fuse_act.0',
      'inter.stage0.b1': 'stage0.0.fuse_act.1',
      'inter.stage1.b0': 'stage1.0.fuse_act.0',
      'inter.stage1.b1': 'stage1.0.fuse_act.1',
      'inter.stage1.b2': 'stage1.0.fuse_act.2',
      'inter.stage2.b0': 'stage2.0.fuse_act.0',
      'inter.stage2.b1': 'stage2.0.fuse_act.1',
      'inter.stage2.b2': 'stage2.0.fuse_act.2',
      'inter.stage2.b3': 'stage2.0.fuse_act.3',
    },
    trainOutputs: ['train.output'],
    tolerance: 1e-4,
  },
  backends,
);

if (!native.available) describeSkippedNative('hf-hrnet parity with the PyTorch reference on native', native);
