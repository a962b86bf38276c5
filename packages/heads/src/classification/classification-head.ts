import * as tf from '@tensorflow/tfjs';
import { add, convBnSeq, residualLayer, type Sym } from '@hrnet/core';

export interface ClassificationHeadOptions {
  numClasses: number;
  /** Bottleneck widths of `incre_modules`; timm hard-codes [32, 64, 128, 256]. */
  headChannels?: [number, number, number, number];
  /** Width of `final_layer`; timm hard-codes 2048. */
  numFeatures?: number;
  /** Dropout before the classifier (timm `drop_rate`). */
  dropRate?: number;
  /** Bias on the head convs (timm `head_conv_bias`, default true). */
  convBias?: boolean;
}

/**
 * timm's HRNet classification head on the four stage-4 branches: per-branch Bottleneck (`incre_modules`),
 * stride-2 merges from high to low resolution (`downsamp_modules`), 1x1 conv to `numFeatures`
 * (`final_layer`), global average pool, dropout, `classifier`. With `numClasses` 0 it returns the pooled
 * features (timm `reset_classifier(0)`).
 */
export function classificationHead(branches: Sym[], opts: ClassificationHeadOptions): Sym {
  const hc = opts.headChannels ?? [32, 64, 128, 256];
  const numFeatures = opts.numFeatures ?? 2048;
  const useBias = opts.convBias ?? true;
  if (branches.length !== hc.length) {
    throw new Error(`classification head expects ${hc.length} branches, got ${branches.length}`);
  }
  const incre = branches.map((b, i) => residualLayer(b, `incre_modules.${i}`, 'BOTTLENECK', hc[i], 1));
  let y = incre[0];
  for (let i = 1; i < incre.length; i++) {
    const down = convBnSeq(y, `downsamp_modules.${i - 1}`, { filters: hc[i] * 4, kernelSize: 3, strides: 2, useBias }, { relu: true });
    y = add([incre[i], down], `head_sum.${i}`);
  }
  y = convBnSeq(y, 'final_layer', { filters: numFeatures, kernelSize: 1, useBias }, { relu: true });
  y = tf.layers.globalAveragePooling2d({ name: 'global_pool' }).apply(y) as Sym;
  if (opts.numClasses === 0) return y;
  if (opts.dropRate) y = tf.layers.dropout({ rate: opts.dropRate, name: 'head_drop' }).apply(y) as Sym;
  return tf.layers.dense({ units: opts.numClasses, name: 'classifier' }).apply(y) as Sym;
}
