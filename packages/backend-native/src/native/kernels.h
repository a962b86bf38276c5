// Parameter layouts of the addon's entry points: indices into the Float64Array each call receives.
// Mirrored by src/params.ts (keep both in sync; the tests exercise every slot).
#pragma once

namespace hn {

enum Activation { kActLinear = 0, kActRelu = 1, kActRelu6 = 2, kActLeakyRelu = 3, kActLast = 3 };

// conv(heap, params). Offsets are byte offsets into the heap; x/dx is "src", y/dy is "dst", the filter
// or its gradient is "wei". Bias offset < 0: no bias (forward only).
enum ConvMode { kConvForward = 0, kConvBackwardData = 1, kConvBackwardWeights = 2 };
enum ConvParam {
  kConvMode = 0,
  kConvN, kConvC, kConvH, kConvW,
  kConvCo, kConvHo, kConvWo,
  kConvKh, kConvKw,
  kConvGroups,
  kConvSh, kConvSw,
  kConvDh, kConvDw,
  kConvPt, kConvPb, kConvPl, kConvPr,
  kConvNchw,
  kConvAct, kConvAlpha,
  kConvSrc, kConvWei, kConvBias, kConvDst,
  kConvParamCount
};

// matmul(heap, params): out[b] = act(op(a[b]) x op(b[b]) + bias); a is [batchA, m, k] (or [batchA, k, m]
// transposed), b is [batchB, k, n] (or [batchB, n, k]); batches equal or one of them 1.
enum MatMulParam {
  kMmBatchA = 0, kMmBatchB, kMmM, kMmK, kMmN, kMmTransA, kMmTransB, kMmAct, kMmAlpha,
  kMmA, kMmB, kMmBias, kMmOut,
  kMmParamCount
};

// binary(heap, params): out = a op b over `n` elements, float32. Broadcast modes: both full; one side
// repeating with `period` elements along the innermost axes (a [C] bias against [N, H, W, C]); one
// side a scalar.
enum BinaryOp { kOpAdd = 0, kOpSub, kOpMul, kOpDiv, kOpSquaredDiff, kOpLast = kOpSquaredDiff };
enum BinaryMode { kSame = 0, kBPeriodic, kAPeriodic, kBScalar, kAScalar, kModeLast = kAScalar };
enum BinaryParam { kBinOp = 0, kBinMode, kBinN, kBinPeriod, kBinA, kBinB, kBinOut, kBinParamCount };

// reduce(heap, params): x seen as [rows, cols]; 'outer' sums over rows (out has cols values), 'inner'
// over cols (out has rows values). Mean divides by the count. Accumulates in double.
enum ReduceOp { kReduceSum = 0, kReduceMean = 1 };
enum ReduceKind { kReduceOuter = 0, kReduceInner = 1 };
enum ReduceParam { kRedOp = 0, kRedKind, kRedRows, kRedCols, kRedX, kRedOut, kRedParamCount };

// batchNorm(heap, params): y = offset + (x - mean) * scale / sqrt(variance + eps) over x seen as
// [rows, channels] (channels last); scale / offset offsets < 0: absent (1 / 0).
enum BatchNormParam { kBnRows = 0, kBnC, kBnEps, kBnX, kBnMean, kBnVar, kBnScale, kBnOffset, kBnOut, kBnParamCount };

// bnGradReduce(heap, params): out[c] = sum over rows of dy * (x - mean[c]) (in double).
enum BnGradReduceParam { kBgRows = 0, kBgC, kBgDy, kBgX, kBgMean, kBgOut, kBgParamCount };

// broadcastDiv(heap, params): out[p, m, q] = src[p, q] / divisor, out seen as [pre, mid, post].
enum BroadcastDivParam { kBdPre = 0, kBdMid, kBdPost, kBdDivisor, kBdSrc, kBdOut, kBdParamCount };

// reluGrad(heap, params): out = dy * step(x) (x > 0 ? dy : dy * 0; NaN where x is NaN), over n elements.
enum ReluGradParam { kRgN = 0, kRgDy, kRgX, kRgOut, kRgParamCount };

// bnTrain(heap, params): training-mode BatchNorm with batch statistics, x seen as [rows, C]:
// mean, variance (biased) over rows; y = ((x - mean) * rstd) * gamma + beta, rstd = 1 / sqrt(var + eps).
// gamma / beta offsets < 0: absent (1 / 0).
enum BnTrainParam { kBtRows = 0, kBtC, kBtEps, kBtX, kBtGamma, kBtBeta, kBtY, kBtMean, kBtVar, kBtParamCount };

// bnTrainGrad(heap, params): its gradient given dy: dbeta = sum dy, dgamma = sum dy * xhat,
// dx = ((dy - dbeta / n) - xhat * dgamma / n) * gamma * rstd (the batch statistics' dependence folded in).
enum BnTrainGradParam { kBgtRows = 0, kBgtC, kBgtEps, kBgtDy, kBgtX, kBgtMean, kBgtVar, kBgtGamma, kBgtDx, kBgtDgamma, kBgtDbeta, kBgtParamCount };

}  // namespace hn
