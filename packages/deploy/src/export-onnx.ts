import type * as tf from '@tensorflow/tfjs';
import { exportPytorchStateDict } from '@hrnet/core';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };
import { LAYER_CONVERTERS, type OnnxValue } from './layer-converters.js';
import { OnnxGraph } from './onnx-graph.js';
import { parseOptions } from './parse-options.js';
import { floatValueInfo, ModelProto, type OnnxDim } from './onnx-schema.js';

export const exportOnnxOptionsSchema = z
  .object({
    /** Layout of the exported model's image input and rank-4 outputs. 'NHWC' matches the tfjs model. */
    inputLayout: z.enum(['NCHW', 'NHWC']),
    /** ONNX opset of the default domain. */
    opset: z.number().int().min(13).max(21).default(17),
  })
  .strict();

export type ExportOnnxOptions = z.input<typeof exportOnnxOptionsSchema>;
export type InputLayout = ExportOnnxOptions['inputLayout'];

/** `metadata_props` keys the predictor reads back. */
export const METADATA = { inputLayout: 'hrnet.input_layout', inputDivisor: 'hrnet.input_divisor' } as const;

/** The oldest IR version that carries each opset (ONNX's versioning table), so older runtimes still load the file. */
function irVersion(opset: number): number {
  return opset <= 14 ? 7 : opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
}

/** The symbolic tensors of `model` in topological order, from its outputs back to its inputs. */
function topologicalOrder(model: tf.LayersModel): tf.SymbolicTensor[] {
  const order: tf.SymbolicTensor[] = [];
  const seen = new Set<number>();
  const visit = (t: tf.SymbolicTensor) => {
    if (seen.has(t.id)) return;
    seen.add(t.id);
    for (const i of t.inputs) visit(i);
    order.push(t);
  };
  for (const o of model.outputs) visit(o);
  return order;
}

const isInputLayer = (t: tf.SymbolicTensor) => t.sourceLayer.getClassName() === 'InputLayer';

/** NHWC dims of a tfjs shape → the ONNX dims in `layout`; unknown sizes become named dynamic dimensions. */
function onnxDims(shape: tf.Shape, layout: InputLayout, prefix: string): OnnxDim[] {
  const dims: OnnxDim[] = shape.map((d, i) => d ?? (i === 0 ? 'batch' : `${prefix}_dim${i}`));
  return shape.length === 4 && layout === 'NCHW' ? [dims[0], dims[3], dims[1], dims[2]] : dims;
}

/**
 * The model as an ONNX file (`ModelProto` bytes), converted from its own layer graph and weights: one node
 * (or two) per layer, named after the layer (= the PyTorch module path), the weights as initializers named as
 * in the PyTorch state dict (`stage2.0.branches.0.0.conv1.weight`, …), a dynamic batch dimension (and dynamic
 * H / W where the model has them). The graph computes in NCHW, ONNX's convolution layout; with
 * `inputLayout: 'NHWC'` one Transpose at the input and one per rank-4 output give the tfjs model's I/O.
 * A layer without a conversion is an error naming it and its class.
 */
export function exportOnnx(model: tf.LayersModel, options: ExportOnnxOptions): Uint8Array {
  const { inputLayout, opset } = parseOptions('exportOnnx options', exportOnnxOptionsSchema, options);
  if (model.inputs.length !== 1) throw new Error(`exportOnnx: model '${model.name}' has ${model.inputs.length} inputs; one image input is supported`);

  const order = topologicalOrder(model);
  for (const t of order) {
    const cls = t.sourceLayer.getClassName();
    if (!isInputLayer(t) && !LAYER_CONVERTERS[cls]) {
      throw new Error(`exportOnnx: layer '${t.sourceLayer.name}' (${cls}) has no ONNX conversion; supported: ${Object.keys(LAYER_CONVERTERS).join(', ')}`);
    }
  }

  const state = exportPytorchStateDict(model);
  const graph = new OnnxGraph();
  const metadata = new Map<string, string>([[METADATA.inputLayout, inputLayout]]);
  const values = new Map<number, OnnxValue>();
  const outputIds = new Set(model.outputs.map((o) => o.id));
  const graphOutputs = new Map<number, string>();

  const input = model.inputs[0];
  const inputName = input.sourceLayer.name;
  if (inputLayout === 'NHWC') {
    graph.node('Transpose', `${inputName}.to_nchw`, [inputName], [`${inputName}.nchw`], { perm: [0, 3, 1, 2] });
    values.set(input.id, { name: `${inputName}.nchw`, rank: 4 });
  } else {
    values.set(input.id, { name: inputName, rank: 4 });
  }

  for (const t of order) {
    if (isInputLayer(t) || values.has(t.id)) continue;
    const layer = t.sourceLayer;
    // One layer application at a time; a multi-output layer (SplitChannels) gives all its outputs at once.
    const applied = layer.inboundNodes[t.nodeIndex].outputTensors;
    const name = t.nodeIndex === 0 ? layer.name : `${layer.name}_${t.nodeIndex}`;
    // An NHWC model's rank-4 output is the transposed value; the NCHW one inside the graph gets a suffix.
    const transposed = applied.map((o) => outputIds.has(o.id) && inputLayout === 'NHWC' && o.shape.length === 4);
    const outputs = applied.map((_, i) => (applied.length === 1 ? name : `${name}:${i}`) + (transposed[i] ? '.nchw' : ''));
    const alias = LAYER_CONVERTERS[layer.getClassName()]({
      layer,
      config: layer.getConfig(),
      name,
      inputs: t.inputs.map((i) => values.get(i.id)!),
      output: outputs[0],
      outputs,
      graph,
      param: (torchName) => {
        const key = `${layer.name}.${torchName}`;
        const entry = state[key];
        return entry ? graph.initializer(key, entry.shape, entry.data) : undefined;
      },
      metadata: (key, value) => metadata.set(key, value),
    });
    applied.forEach((o, i) => {
      const value = { name: (applied.length === 1 && alias) || outputs[i], rank: o.shape.length };
      values.set(o.id, value);
      if (!outputIds.has(o.id)) return;
      const outName = transposed[i] ? outputs[i].slice(0, -'.nchw'.length) : value.name;
      if (transposed[i]) graph.node('Transpose', `${outName}.to_nhwc`, [value.name], [outName], { perm: [0, 2, 3, 1] });
      graphOutputs.set(o.id, outName);
    });
  }

  const message = ModelProto.fromObject({
    ir_version: irVersion(opset),
    opset_import: [{ domain: '', version: opset }],
    producer_name: pkg.name,
    producer_version: pkg.version,
    doc_string: `${model.name}, exported from its TensorFlow.js layers`,
    graph: {
      name: model.name,
      node: graph.nodes,
      initializer: graph.initializers,
      input: [floatValueInfo(inputName, onnxDims(input.shape, inputLayout, inputName))],
      output: model.outputs.map((o) => floatValueInfo(graphOutputs.get(o.id)!, onnxDims(o.shape, inputLayout, graphOutputs.get(o.id)!))),
    },
    metadata_props: [...metadata].map(([key, value]) => ({ key, value })),
  });
  return ModelProto.encode(message).finish();
}
