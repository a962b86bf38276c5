// Training-mode BatchNorm (batch statistics) forward and backward, two passes each: what tfjs does
// with moments, a normalisation and autodiff in about twenty passes over the activation.
#include "common.h"

namespace hn {
namespace {

constexpr int64_t kBlock = 64;   // rows summed in float before adding to the double accumulators
constexpr int64_t kCols = 256;   // channels per pass over a block

// Per-channel sum and sum of squares of x - shift over rows [r0, r1) (shift: a sample of each channel,
// so that the variance E[(x-s)^2] - E[x-s]^2 does not cancel catastrophically when |mean| >> std).
__attribute__((target_clones("avx512f", "avx2", "default"))) void Moments(const float* x, int64_t r0, int64_t r1, int64_t c, const float* shift,
                                                                           double* sum, double* sq) {
  float ps[kCols], pq[kCols];
  for (int64_t j0 = 0; j0 < c; j0 += kCols) {
    const int64_t w = std::min(c - j0, kCols);
    for (int64_t b0 = r0; b0 < r1; b0 += kBlock) {
      const int64_t b1 = std::min(r1, b0 + kBlock);
      for (int64_t j = 0; j < w; j++) ps[j] = pq[j] = 0.f;
      for (int64_t r = b0; r < b1; r++) {
        const float* xr = x + r * c + j0;
        const float* sh = shift + j0;
#pragma omp simd
        for (int64_t j = 0; j < w; j++) {
          const float d = xr[j] - sh[j];
          ps[j] += d;
          pq[j] += d * d;
        }
      }
      for (int64_t j = 0; j < w; j++) {
        sum[j0 + j] += ps[j];
        sq[j0 + j] += pq[j];
      }
    }
  }
}

// y = ((x - mean) * rstd) * gamma + beta, rounded step by step in float as the tfjs composition is.
__attribute__((target_clones("avx512f", "avx2", "default"))) void Normalize(const float* x, int64_t r0, int64_t r1, int64_t c, const float* mean,
                                                                             const float* rstd, const float* gamma, const float* beta, float* y) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
#pragma omp simd
    for (int64_t j = 0; j < c; j++) {
      const float xhat = (xr[j] - mean[j]) * rstd[j];
      yr[j] = xhat * gamma[j] + beta[j];
    }
  }
}

// Per channel: sum dy and sum dy * xhat over rows [r0, r1).
__attribute__((target_clones("avx512f", "avx2", "default"))) void GradSums(const float* dy, const float* x, int64_t r0, int64_t r1, int64_t c,
                                                                            const float* mean, const float* rstd, double* sdy, double* sdyx) {
  float pd[kCols], px[kCols];
  for (int64_t j0 = 0; j0 < c; j0 += kCols) {
    const int64_t w = std::min(c - j0, kCols);
    const float* m = mean + j0;
    const float* rs = rstd + j0;
    for (int64_t b0 = r0; b0 < r1; b0 += kBlock) {
      const int64_t b1 = std::min(r1, b0 + kBlock);
      for (int64_t j = 0; j < w; j++) pd[j] = px[j] = 0.f;
      for (int64_t r = b0; r < b1; r++) {
        const float* dr = dy + r * c + j0;
        const float* xr = x + r * c + j0;
#pragma omp simd
        for (int64_t j = 0; j < w; j++) {
          const float xhat = (xr[j] - m[j]) * rs[j];
          pd[j] += dr[j];
          px[j] += dr[j] * xhat;
        }
      }
      for (int64_t j = 0; j < w; j++) {
        sdy[j0 + j] += pd[j];
        sdyx[j0 + j] += px[j];
      }
    }
  }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void GradX(const float* dy, const float* x, int64_t r0, int64_t r1, int64_t c,
                                                                         const float* mean, const float* rstd, const float* c1, const float* c2,
                                                                         const float* k, float* dx) {
  for (int64_t r = r0; r < r1; r++) {
    const float* dr = dy + r * c;
    const float* xr = x + r * c;
    float* o = dx + r * c;
#pragma omp simd
    for (int64_t j = 0; j < c; j++) {
      const float xhat = (xr[j] - mean[j]) * rstd[j];
      o[j] = ((dr[j] - c1[j]) - xhat * c2[j]) * k[j];
    }
  }
}

// Sums per channel over all rows: each thread its block of rows, partial sums added in thread order.
template <typename F>
void ChannelSums(int64_t rows, int64_t c, bool parallel, std::vector<double>& a, std::vector<double>& b, F&& body) {
  const int nt = parallel ? omp_get_max_threads() : 1;
  std::vector<double> pa(static_cast<size_t>(c) * nt, 0.0), pb(static_cast<size_t>(c) * nt, 0.0);
  int used = 1;
#pragma omp parallel if (parallel) num_threads(nt)
  {
    int64_t r0, r1;
    Chunk(rows, &r0, &r1);
    const size_t t = static_cast<size_t>(omp_get_thread_num());
    body(r0, r1, pa.data() + t * c, pb.data() + t * c);
#pragma omp single
    used = omp_get_num_threads();
  }
  a.assign(c, 0.0);
  b.assign(c, 0.0);
  for (int t = 0; t < used; t++) {
    for (int64_t j = 0; j < c; j++) {
      a[j] += pa[static_cast<size_t>(t) * c + j];
      b[j] += pb[static_cast<size_t>(t) * c + j];
    }
  }
}

}  // namespace

bool BnTrain(const Heap& heap, const Params& p) {
  const int64_t rows = p.i(kBtRows, 1, int64_t{1} << 40);
  const int64_t c = p.i(kBtC, 1, kMaxDim);
  const float eps = p.f(kBtEps);
  const int64_t n = Prod({rows, c});
  const float* x = F32(heap, p.raw(kBtX), n, "x");
  const float* gamma_in = p.raw(kBtGamma) >= 0 ? F32(heap, p.raw(kBtGamma), c, "gamma") : nullptr;
  const float* beta_in = p.raw(kBtBeta) >= 0 ? F32(heap, p.raw(kBtBeta), c, "beta") : nullptr;
  float* y = F32(heap, p.raw(kBtY), n, "y");
  float* mean = F32(heap, p.raw(kBtMean), c, "mean");
  float* var = F32(heap, p.raw(kBtVar), c, "variance");
  const bool parallel = n >= kParallelMin;
  if (parallel) ApplyThreads();
  std::vector<double> sum, sq;
  const float* shift = x;  // the first row
  ChannelSums(rows, c, parallel, sum, sq, [&](int64_t r0, int64_t r1, double* a, double* b) { Moments(x, r0, r1, c, shift, a, b); });
  std::vector<float> rstd(c), gamma(c), beta(c);
  for (int64_t j = 0; j < c; j++) {
    const double d = sum[j] / static_cast<double>(rows);  // mean of x - shift
    mean[j] = static_cast<float>(shift[j] + d);
    var[j] = static_cast<float>(std::max(0.0, sq[j] / static_cast<double>(rows) - d * d));
    rstd[j] = 1.f / std::sqrt(var[j] + eps);
    gamma[j] = gamma_in ? gamma_in[j] : 1.f;
    beta[j] = beta_in ? beta_in[j] : 0.f;
  }
#pragma omp parallel if (parallel)
  {
    int64_t r0, r1;
    Chunk(rows, &r0, &r1);
    Normalize(x, r0, r1, c, mean, rstd.data(), gamma.data(), beta.data(), y);
  }
  return true;
}

bool BnTrainGrad(const Heap& heap, const Params& p) {
  const int64_t rows = p.i(kBgtRows, 1, int64_t{1} << 40);
  const int64_t c = p.i(kBgtC, 1, kMaxDim);
  const float eps = p.f(kBgtEps);
  const int64_t n = Prod({rows, c});
  const float* dy = F32(heap, p.raw(kBgtDy), n, "dy");
  const float* x = F32(heap, p.raw(kBgtX), n, "x");
  const float* mean = F32(heap, p.raw(kBgtMean), c, "mean");
  const float* var = F32(heap, p.raw(kBgtVar), c, "variance");
  const float* gamma_in = p.raw(kBgtGamma) >= 0 ? F32(heap, p.raw(kBgtGamma), c, "gamma") : nullptr;
  float* dx = F32(heap, p.raw(kBgtDx), n, "dx");
  float* dgamma = F32(heap, p.raw(kBgtDgamma), c, "dgamma");
  float* dbeta = F32(heap, p.raw(kBgtDbeta), c, "dbeta");
  const bool parallel = n >= kParallelMin;
  if (parallel) ApplyThreads();
  std::vector<float> rstd(c), c1(c), c2(c), k(c);
  for (int64_t j = 0; j < c; j++) rstd[j] = 1.f / std::sqrt(var[j] + eps);
  std::vector<double> sdy, sdyx;
  ChannelSums(rows, c, parallel, sdy, sdyx, [&](int64_t r0, int64_t r1, double* a, double* b) { GradSums(dy, x, r0, r1, c, mean, rstd.data(), a, b); });
  const float nf = static_cast<float>(rows);
  for (int64_t j = 0; j < c; j++) {
    dbeta[j] = static_cast<float>(sdy[j]);
    dgamma[j] = static_cast<float>(sdyx[j]);
    c1[j] = dbeta[j] / nf;
    c2[j] = dgamma[j] / nf;
    k[j] = (gamma_in ? gamma_in[j] : 1.f) * rstd[j];
  }
#pragma omp parallel if (parallel)
  {
    int64_t r0, r1;
    Chunk(rows, &r0, &r1);
    GradX(dy, x, r0, r1, c, mean, rstd.data(), c1.data(), c2.data(), k.data(), dx);
  }
  return true;
}

}  // namespace hn
