// BatchNorm forward, the reductions of its gradient, the broadcast of Mean's gradient and ReLU's
// gradient: each one pass over the data where tfjs's compositions make several.
#include "common.h"

namespace hn {
namespace {

// Rounded as tfjs's wasm kernel rounds: offset + ((x - mean) * scale) / sqrt(variance + eps), all in
// float, so that results (and ReLU masks right after a BatchNorm) do not depend on the backend.
__attribute__((target_clones("avx512f", "avx2", "default"))) void BnRows(const float* x, int64_t r0, int64_t r1, int64_t c, const float* mean,
                                                                          const float* scale, const float* nf, const float* off, float* y) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
#pragma omp simd
    for (int64_t j = 0; j < c; j++) yr[j] = off[j] + (xr[j] - mean[j]) * scale[j] / nf[j];
  }
}

// acc[j] += sum over rows [r0, r1) of dy * (x - mean[j]): float sums over blocks of 64 rows, added to
// the double accumulators per block.
__attribute__((target_clones("avx512f", "avx2", "default"))) void DotRows(const float* dy, const float* x, int64_t r0, int64_t r1, int64_t c,
                                                                           const float* mean, double* acc) {
  constexpr int64_t kBlock = 64;
  constexpr int64_t kCols = 256;
  float part[kCols];
  for (int64_t j0 = 0; j0 < c; j0 += kCols) {
    const int64_t w = std::min(c - j0, kCols);
    for (int64_t b0 = r0; b0 < r1; b0 += kBlock) {
      const int64_t b1 = std::min(r1, b0 + kBlock);
      for (int64_t j = 0; j < w; j++) part[j] = 0.f;
      for (int64_t r = b0; r < b1; r++) {
        const float* dr = dy + r * c + j0;
        const float* xr = x + r * c + j0;
        const float* m = mean + j0;
#pragma omp simd
        for (int64_t j = 0; j < w; j++) part[j] += dr[j] * (xr[j] - m[j]);
      }
      for (int64_t j = 0; j < w; j++) acc[j0 + j] += part[j];
    }
  }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void DivRows(const float* src, int64_t r0, int64_t r1, int64_t mid, int64_t post,
                                                                           float divisor, float* out) {
  for (int64_t r = r0; r < r1; r++) {  // r = p * mid + m
    const float* s = src + (r / mid) * post;
    float* o = out + r * post;
#pragma omp simd
    for (int64_t q = 0; q < post; q++) o[q] = s[q] / divisor;
  }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void ReluGradSpan(const float* dy, const float* x, int64_t b, int64_t e, float* out) {
#pragma omp simd
  for (int64_t i = b; i < e; i++) out[i] = x[i] > 0.f ? dy[i] : (x[i] == x[i] ? dy[i] * 0.f : x[i]);  // as dy * step(x)
}

}  // namespace

bool BatchNorm(const Heap& heap, const Params& p) {
  const int64_t rows = p.i(kBnRows, 1, int64_t{1} << 40);
  const int64_t c = p.i(kBnC, 1, kMaxDim);
  const double eps = p.raw(kBnEps);
  const int64_t n = Prod({rows, c});
  const float* x = F32(heap, p.raw(kBnX), n, "x");
  const float* mean = F32(heap, p.raw(kBnMean), c, "mean");
  const float* var = F32(heap, p.raw(kBnVar), c, "variance");
  const float* scale = p.raw(kBnScale) >= 0 ? F32(heap, p.raw(kBnScale), c, "scale") : nullptr;
  const float* offset = p.raw(kBnOffset) >= 0 ? F32(heap, p.raw(kBnOffset), c, "offset") : nullptr;
  float* y = F32(heap, p.raw(kBnOut), n, "out");
  std::vector<float> sc(c), nf(c), off(c);
  for (int64_t j = 0; j < c; j++) {
    sc[j] = scale ? scale[j] : 1.f;
    nf[j] = std::sqrt(var[j] + static_cast<float>(eps));
    off[j] = offset ? offset[j] : 0.f;
  }
  const bool parallel = n >= kParallelMin;
  if (parallel) ApplyThreads();
#pragma omp parallel if (parallel)
  {
    int64_t r0, r1;
    Chunk(rows, &r0, &r1);
    BnRows(x, r0, r1, c, mean, sc.data(), nf.data(), off.data(), y);
  }
  return true;
}

bool BnGradReduce(const Heap& heap, const Params& p) {
  const int64_t rows = p.i(kBgRows, 1, int64_t{1} << 40);
  const int64_t c = p.i(kBgC, 1, kMaxDim);
  const int64_t n = Prod({rows, c});
  const float* dy = F32(heap, p.raw(kBgDy), n, "dy");
  const float* x = F32(heap, p.raw(kBgX), n, "x");
  const float* mean = F32(heap, p.raw(kBgMean), c, "mean");
  float* out = F32(heap, p.raw(kBgOut), c, "out");
  const bool parallel = n >= kParallelMin;
  const int nt = parallel ? ApplyThreads() : 1;
  std::vector<double> acc(static_cast<size_t>(c) * nt, 0.0);
  int used = 1;
#pragma omp parallel if (parallel) num_threads(nt)
  {
    int64_t r0, r1;
    Chunk(rows, &r0, &r1);
    DotRows(dy, x, r0, r1, c, mean, acc.data() + static_cast<size_t>(c) * omp_get_thread_num());
#pragma omp single
    used = omp_get_num_threads();
  }
  for (int64_t j = 0; j < c; j++) {
    double s = 0;
    for (int t = 0; t < used; t++) s += acc[static_cast<size_t>(t) * c + j];
    out[j] = static_cast<float>(s);
  }
  return true;
}

bool BroadcastDiv(const Heap& heap, const Params& p) {
  const int64_t pre = p.i(kBdPre, 1, int64_t{1} << 40);
  const int64_t mid = p.i(kBdMid, 1, int64_t{1} << 40);
  const int64_t post = p.i(kBdPost, 1, int64_t{1} << 40);
  const float divisor = p.f(kBdDivisor);
  const int64_t n = Prod({pre, mid, post});
  const float* src = F32(heap, p.raw(kBdSrc), Prod({pre, post}), "src");
  float* out = F32(heap, p.raw(kBdOut), n, "out");
  const bool parallel = n >= kParallelMin;
  if (parallel) ApplyThreads();
#pragma omp parallel if (parallel)
  {
    int64_t r0, r1;
    Chunk(pre * mid, &r0, &r1);
    DivRows(src, r0, r1, mid, post, divisor, out);
  }
  return true;
}

bool ReluGrad(const Heap& heap, const Params& p) {
  const int64_t n = p.i(kRgN, 1, int64_t{1} << 40);
  const float* dy = F32(heap, p.raw(kRgDy), n, "dy");
  const float* x = F32(heap, p.raw(kRgX), n, "x");
  float* out = F32(heap, p.raw(kRgOut), n, "out");
  const bool parallel = n >= kParallelMin;
  if (parallel) ApplyThreads();
#pragma omp parallel if (parallel)
  {
    int64_t b, e;
    Chunk(n, &b, &e);
    ReluGradSpan(dy, x, b, e, out);
  }
  return true;
}

}  // namespace hn
