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

}  // namespace hn
