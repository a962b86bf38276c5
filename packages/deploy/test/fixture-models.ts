/**
 * Each family's tiny reference model with its PyTorch fixture weights, for the export tests: the timm
 * classifier (fixtures/hrnet-cls, as heads' classifier parity test loads it), HigherHRNet tiny
 * (fixtures/higherhrnet/model_tiny), HRNetV2 segmentation tiny with either `align_corners`
 * (fixtures/hrnet-seg) and the HF-HRNet tiny backbone (fixtures/hf-hrnet).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createBackbone, loadPytorchWeights } from '@hrnet/core';
import { loadFixtureTensor, readManifest } from '@hrnet/core/testing';
import { createClassifier, createHigherHRNet, createSegmenter } from '@hrnet/heads';

const fixtures = fileURLToPath(new URL('../../../fixtures/', import.meta.url));

export interface FixtureModel {
  family: string;
  model: tf.LayersModel;
  /** The fixture's input, NHWC. */
  input: tf.Tensor4D;
  /** PyTorch's outputs for `input`, NHWC, in model output order. */
  expected: tf.Tensor[];
}

async function load(family: string, dir: string, manifest: string, weights: string, naming: string, model: tf.LayersModel, outputs: string[]): Promise<FixtureModel> {
  await loadPytorchWeights(model, join(dir, weights), { naming });
  const tensors = readManifest(dir, manifest);
  return {
    family,
    model,
    input: loadFixtureTensor(dir, tensors.input) as tf.Tensor4D,
    expected: outputs.map((k) => loadFixtureTensor(dir, tensors[k])),
  };
}

export async function hrnetClassifierTiny(): Promise<FixtureModel> {
  const dir = join(fixtures, 'hrnet-cls');
  const { head, name: _n, input_shape: _i, bn: _b, fuse_upsample: _f, stem_conv2_out: _s, ...cfg } = JSON.parse(readFileSync(join(dir, 'tiny.config.json'), 'utf8'));
  const model = createClassifier(cfg, { numClasses: head.num_classes, headChannels: head.head_channels, numFeatures: head.num_features });
  return load('hrnet-cls tiny', dir, 'tiny.manifest.json', 'tiny.safetensors', 'timm', model, ['logits']);
}

export async function higherHrnetTiny(): Promise<FixtureModel> {
  const dir = join(fixtures, 'higherhrnet', 'model_tiny');
  const model = createHigherHRNet(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  return load('higherhrnet tiny', dir, 'manifest.json', 'weights.safetensors', 'higherhrnet', model, ['output_0', 'output_1']);
}

export async function segmenterTiny(alignCorners: boolean): Promise<FixtureModel> {
  const dir = join(fixtures, 'hrnet-seg');
  const config = JSON.parse(readFileSync(join(dir, 'tiny.config.json'), 'utf8'));
  const model = createSegmenter(config['MODEL.EXTRA'], { numClasses: config.num_classes, alignCorners });
  return load(`hrnet-seg tiny align_corners=${alignCorners}`, dir, 'tiny.manifest.json', 'tiny.safetensors', 'hrnet-seg', model, [`ac-${alignCorners}.logits`]);
}

export async function hfHrnetTiny(): Promise<FixtureModel> {
  const dir = join(fixtures, 'hf-hrnet');
  const model = createBackbone(JSON.parse(readFileSync(join(dir, 'hf_hrnet_tiny.config.json'), 'utf8')).extra);
  return load('hf-hrnet tiny', dir, 'hf_hrnet_tiny.manifest.json', 'hf_hrnet_tiny.safetensors', 'hf-hrnet', model, ['output']);
}
