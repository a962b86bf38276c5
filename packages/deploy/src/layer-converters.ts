import type * as tf from '@tensorflow/tfjs';
import type { OnnxGraph } from './onnx-graph.js';

/** A value of the ONNX graph: its name and rank. Rank-4 values are NCHW (tfjs holds them NHWC). */
export interface OnnxValue {
  name: string;
  rank: number;
}

/** What a converter gets for one application of a layer. */
export interface ConvertContext {
  layer: tf.layers.Layer;
  config: tf.serialization.ConfigDict;
  /** Node name: the layer name (= the PyTorch module path). */
  name: string;
  inputs: OnnxValue[];
  /** The value name the layer's output must get (its first output's). */
  output: string;
  /** The value names of all its outputs, in order (one but for SplitChannels). */
  outputs: string[];
  graph: OnnxGraph;
  /** The initializer holding the layer's PyTorch parameter (`weight`, `running_var`, …), PyTorch layout = ONNX layout; undefined when absent. */
  param(torchName: string): string | undefined;
  /** Records a `metadata_props` entry of the model. */
  metadata(key: string, value: string): void;
}

/** Emits the layer's nodes; an identity layer returns the existing value that stands for its output instead. */
export type LayerConverter = (ctx: ConvertContext) => string | void;

/** NHWC axis → NCHW axis of a rank-4 value. */
const NCHW_AXIS = [0, 2, 3, 1];

function only(ctx: ConvertContext): OnnxValue {
  if (ctx.inputs.length !== 1) throw unsupported(ctx, `expects one input, got ${ctx.inputs.length}`);
  return ctx.inputs[0];
}

function expectRank(ctx: ConvertContext, x: OnnxValue, rank: number): void {
  if (x.rank !== rank) throw unsupported(ctx, `expects a rank-${rank} input, got rank ${x.rank}`);
}

function unsupported(ctx: ConvertContext, why: string): Error {
  return new Error(`exportOnnx: layer '${ctx.layer.name}' (${ctx.layer.getClassName()}) ${why}`);
}

function required(ctx: ConvertContext, torchName: string): string {
  const p = ctx.param(torchName);
  if (!p) throw unsupported(ctx, `has no '${torchName}' weight`);
  return p;
}

const withOptional = (...names: Array<string | undefined>) => names.filter((n): n is string => n != null);

const identity: LayerConverter = (ctx) => only(ctx).name;

const conv2d: LayerConverter = (ctx) => {
  const x = only(ctx);
  expectRank(ctx, x, 4);
  const { kernelSize: k, strides: s, padding: p, depthwise, filters } = ctx.config as { kernelSize: number; strides: number; padding: number; depthwise: boolean; filters: number };
  ctx.graph.node('Conv', ctx.name, withOptional(x.name, required(ctx, 'weight'), ctx.param('bias')), [ctx.output], {
    kernel_shape: [k, k],
    strides: [s, s],
    pads: [p, p, p, p],
    dilations: [1, 1],
    group: depthwise ? filters : 1,
  });
};

const convTranspose2d: LayerConverter = (ctx) => {
  const x = only(ctx);
  expectRank(ctx, x, 4);
  const { kernelSize: k, strides: s, padding: p, outputPadding: op } = ctx.config as { kernelSize: number; strides: number; padding: number; outputPadding: number };
  // ONNX's size rule, stride·(in−1) + output_padding + k − 2·pad, is PyTorch's.
  ctx.graph.node('ConvTranspose', ctx.name, withOptional(x.name, required(ctx, 'weight'), ctx.param('bias')), [ctx.output], {
    kernel_shape: [k, k],
    strides: [s, s],
    pads: [p, p, p, p],
    output_padding: [op, op],
    dilations: [1, 1],
    group: 1,
  });
};

const batchNorm2d: LayerConverter = (ctx) => {
  const x = only(ctx);
  expectRank(ctx, x, 4);
  const inputs = ['weight', 'bias', 'running_mean', 'running_var'].map((n) => required(ctx, n));
  ctx.graph.node('BatchNormalization', ctx.name, [x.name, ...inputs], [ctx.output], { epsilon: { float: ctx.config.epsilon as number } });
};

const relu: LayerConverter = (ctx) => {
  ctx.graph.node('Relu', ctx.name, [only(ctx).name], [ctx.output]);
};

const add: LayerConverter = (ctx) => {
  if (ctx.inputs.length === 1) return ctx.inputs[0].name;
  ctx.graph.node('Sum', ctx.name, ctx.inputs.map((v) => v.name), [ctx.output]);
};

const upSampling2d: LayerConverter = (ctx) => {
  const x = only(ctx);
  expectRank(ctx, x, 4);
  const { size, interpolation, dataFormat } = ctx.config as { size: [number, number]; interpolation: string; dataFormat: string };
  if (interpolation !== 'nearest' || dataFormat !== 'channelsLast') {
    throw unsupported(ctx, `is supported with interpolation 'nearest' and channelsLast only, got '${interpolation}', ${dataFormat}`);
  }
  const scales = ctx.graph.initializer(`${ctx.name}.scales`, [4], Float32Array.from([1, 1, size[0], size[1]]));
  // asymmetric + floor with integer scales: output pixel (y, x) reads input (⌊y/a⌋, ⌊x/b⌋), tfjs's nearest upsampling.
  ctx.graph.node('Resize', ctx.name, [x.name, '', scales], [ctx.output], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
};

/** ONNX Resize's coordinate mapping for PyTorch's bilinear `align_corners` (false: half-pixel centres, as tfjs' `halfPixelCenters`). */
const linearResize = (alignCorners: boolean) => ({ mode: 'linear', coordinate_transformation_mode: alignCorners ? 'align_corners' : 'half_pixel' });

const upsampleBilinear: LayerConverter = (ctx) => {
  const x = only(ctx);
  expectRank(ctx, x, 4);
  const f = ctx.config.factor as number;
  const scales = ctx.graph.initializer(`${ctx.name}.scales`, [4], Float32Array.from([1, 1, f, f]));
  ctx.graph.node('Resize', ctx.name, [x.name, '', scales], [ctx.output], linearResize(ctx.config.alignCorners as boolean));
};

const resizeBilinear: LayerConverter = (ctx) => {
  if (ctx.inputs.length !== 2) throw unsupported(ctx, `expects two inputs [x, ref], got ${ctx.inputs.length}`);
  const [x, ref] = ctx.inputs;
  expectRank(ctx, x, 4);
  expectRank(ctx, ref, 4);
  // sizes = [N, C] of x ++ [H, W] of ref, computed in the graph: both are dynamic.
  const g = ctx.graph;
  const part = (v: OnnxValue, what: string, from: number, to: number) => {
    g.node('Shape', `${ctx.name}.${what}_shape`, [v.name], [`${ctx.name}.${what}_shape`]);
    g.node('Slice', `${ctx.name}.${what}_dims`, [`${ctx.name}.${what}_shape`, g.int64s([from]), g.int64s([to])], [`${ctx.name}.${what}_dims`]);
    return `${ctx.name}.${what}_dims`;
  };
  const sizes = `${ctx.name}.sizes`;
  g.node('Concat', sizes, [part(x, 'x', 0, 2), part(ref, 'ref', 2, 4)], [sizes], { axis: 0 });
  g.node('Resize', ctx.name, [x.name, '', '', sizes], [ctx.output], linearResize(ctx.config.alignCorners as boolean));
};

const avgPool2d: LayerConverter = (ctx) => {
  const x = only(ctx);
  expectRank(ctx, x, 4);
  const { kernelSize: k, strides: s, padding: p } = ctx.config as { kernelSize: number; strides: number; padding: number };
  // PyTorch's count_include_pad=True: every window is divided by k², the zero padding included.
  ctx.graph.node('AveragePool', ctx.name, [x.name], [ctx.output], { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p], count_include_pad: 1, ceil_mode: 0 });
};

const ACTIVATIONS: Readonly<Record<string, string>> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh' };

const activation: LayerConverter = (ctx) => {
  const fn = ctx.config.activation as string;
  if (fn === 'linear') return identity(ctx);
  const op = ACTIVATIONS[fn];
  if (!op) throw unsupported(ctx, `has activation '${fn}'; supported: linear, ${Object.keys(ACTIVATIONS).join(', ')}`);
  ctx.graph.node(op, ctx.name, [only(ctx).name], [ctx.output]);
};

const splitChannels: LayerConverter = (ctx) => {
  const x = only(ctx);
  expectRank(ctx, x, 4);
  ctx.graph.node('Split', ctx.name, [x.name, ctx.graph.int64s(ctx.config.sizes as number[])], ctx.outputs, { axis: 1 });
};

const multiply: LayerConverter = (ctx) => {
  const [first, ...rest] = ctx.inputs;
  if (!rest.length) return first.name;
  // ONNX's Mul is binary: a chain for more inputs.
  let acc = first.name;
  rest.forEach((v, i) => {
    const out = i === rest.length - 1 ? ctx.output : `${ctx.name}.mul${i}`;
    ctx.graph.node('Mul', i === rest.length - 1 ? ctx.name : out, [acc, v.name], [out]);
    acc = out;
  });
};

const concatenate: LayerConverter = (ctx) => {
  const rank = ctx.inputs[0].rank;
  if (ctx.inputs.some((v) => v.rank !== rank)) throw unsupported(ctx, 'has inputs of different ranks');
  const axis = ctx.config.axis as number;
  const a = axis < 0 ? axis + rank : axis;
  ctx.graph.node('Concat', ctx.name, ctx.inputs.map((v) => v.name), [ctx.output], { axis: rank === 4 ? NCHW_AXIS[a] : a });
};

const globalAveragePooling2d: LayerConverter = (ctx) => {
  const x = only(ctx);
  expectRank(ctx, x, 4);
  if (ctx.config.dataFormat !== 'channelsLast') throw unsupported(ctx, `is supported with channelsLast only, got ${ctx.config.dataFormat}`);
  const pooled = `${ctx.name}.pooled`;
  ctx.graph.node('GlobalAveragePool', ctx.name, [x.name], [pooled]);
  ctx.graph.node('Flatten', `${ctx.name}.flatten`, [pooled], [ctx.output], { axis: 1 });
};

const dense: LayerConverter = (ctx) => {
  const x = only(ctx);
  expectRank(ctx, x, 2);
  if (ctx.config.activation !== 'linear') throw unsupported(ctx, `is supported with activation 'linear' only, got '${ctx.config.activation}'`);
  // The weight is PyTorch's Linear layout [out, in]: Gemm with transB.
  ctx.graph.node('Gemm', ctx.name, withOptional(x.name, required(ctx, 'weight'), ctx.param('bias')), [ctx.output], { transB: 1 });
};

const imageInputCheck: LayerConverter = (ctx) => {
  // The check itself runs in the predictor (ONNX has no such op); the divisor travels as metadata.
  ctx.metadata('hrnet.input_divisor', String(ctx.config.divisor));
  return identity(ctx);
};

/** Layer class name → converter: our leaf layers and the stock tfjs layers the HRNet models use. */
export const LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  Conv2d: conv2d,
  ConvTranspose2d: convTranspose2d,
  BatchNorm2d: batchNorm2d,
  HrnetReLU: relu,
  HrnetAdd: add,
  ImageInputCheck: imageInputCheck,
  UpSampling2D: upSampling2d,
  UpsampleBilinear: upsampleBilinear,
  HrnetResizeBilinear: resizeBilinear,
  AvgPool2d: avgPool2d,
  Activation: activation,
  SplitChannels: splitChannels,
  Multiply: multiply,
  Concatenate: concatenate,
  GlobalAveragePooling2D: globalAveragePooling2d,
  Dense: dense,
  // Inference: dropout is the identity.
  Dropout: identity,
};
