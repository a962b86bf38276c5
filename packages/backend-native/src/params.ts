/**
 * Parameter layouts of the addon's entry points (indices into the Float64Array each call receives).
 * Mirrors src/native/kernels.h: keep both in sync.
 */

export const Act = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3 } as const;

export const ConvMode = { forward: 0, backwardData: 1, backwardWeights: 2 } as const;

export const ConvParam = {
  mode: 0,
  n: 1,
  c: 2,
  h: 3,
  w: 4,
  co: 5,
  ho: 6,
  wo: 7,
  kh: 8,
  kw: 9,
  groups: 10,
  sh: 11,
  sw: 12,
  dh: 13,
  dw: 14,
  pt: 15,
  pb: 16,
  pl: 17,
  pr: 18,
  nchw: 19,
  act: 20,
  alpha: 21,
  src: 22,
  wei: 23,
  bias: 24,
  dst: 25,
  count: 26,
} as const;

export const MatMulParam = {
  batchA: 0,
  batchB: 1,
  m: 2,
  k: 3,
  n: 4,
  transA: 5,
  transB: 6,
  act: 7,
  alpha: 8,
  a: 9,
  b: 10,
  bias: 11,
  out: 12,
  count: 13,
} as const;

export const BinaryOp = { add: 0, sub: 1, mul: 2, div: 3, squaredDiff: 4 } as const;
export const BinaryMode = { same: 0, bPeriodic: 1, aPeriodic: 2, bScalar: 3, aScalar: 4 } as const;
export const BinaryParam = { op: 0, mode: 1, n: 2, period: 3, a: 4, b: 5, out: 6, count: 7 } as const;

export const ReduceOp = { sum: 0, mean: 1 } as const;
export const ReduceKind = { outer: 0, inner: 1 } as const;
export const ReduceParam = { op: 0, kind: 1, rows: 2, cols: 3, x: 4, out: 5, count: 6 } as const;

export const BatchNormParam = { rows: 0, c: 1, eps: 2, x: 3, mean: 4, variance: 5, scale: 6, offset: 7, out: 8, count: 9 } as const;
export const BnGradReduceParam = { rows: 0, c: 1, dy: 2, x: 3, mean: 4, out: 5, count: 6 } as const;
export const BroadcastDivParam = { pre: 0, mid: 1, post: 2, divisor: 3, src: 4, out: 5, count: 6 } as const;
export const ReluGradParam = { n: 0, dy: 1, x: 2, out: 3, count: 4 } as const;
export const BnTrainParam = { rows: 0, c: 1, eps: 2, x: 3, gamma: 4, beta: 5, y: 6, mean: 7, variance: 8, count: 9 } as const;
export const BnTrainGradParam = { rows: 0, c: 1, eps: 2, dy: 3, x: 4, mean: 5, variance: 6, gamma: 7, dx: 8, dgamma: 9, dbeta: 10, count: 11 } as const;
