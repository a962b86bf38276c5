// Elementwise binary ops and reductions over the outer or inner axes, multi-threaded with OpenMP and
// vectorised for the best ISA the CPU has (function clones picked at load time). Small tensors stay on
// the calling thread: waking the OpenMP team costs more than the work.
#include "common.h"

namespace hn {
namespace {

template <int OP>
inline float Apply(float a, float b) {
  if constexpr (OP == kOpAdd) return a + b;
  if constexpr (OP == kOpSub) return a - b;
  if constexpr (OP == kOpMul) return a * b;
  if constexpr (OP == kOpDiv) return a / b;
  if constexpr (OP == kOpSquaredDiff) return (a - b) * (a - b);
}

// Elements [begin, end) of the output (the periodic modes: rows [begin, end) of `period` elements).
template <int OP>
inline void Span(int mode, int64_t begin, int64_t end, int64_t period, const float* a, const float* b, float* out) {
  switch (mode) {
    case kSame:
#pragma omp simd
      for (int64_t i = begin; i < end; i++) out[i] = Apply<OP>(a[i], b[i]);
      break;
    case kBScalar: {
      const float s = b[0];
#pragma omp simd
      for (int64_t i = begin; i < end; i++) out[i] = Apply<OP>(a[i], s);
      break;
    }
    case kAScalar: {
      const float s = a[0];
#pragma omp simd
      for (int64_t i = begin; i < end; i++) out[i] = Apply<OP>(s, b[i]);
      break;
    }
    case kBPeriodic:
      for (int64_t r = begin; r < end; r++) {
        const float* ar = a + r * period;
        float* o = out + r * period;
#pragma omp simd
        for (int64_t j = 0; j < period; j++) o[j] = Apply<OP>(ar[j], b[j]);
      }
      break;
    default:  // kAPeriodic
      for (int64_t r = begin; r < end; r++) {
        const float* br = b + r * period;
        float* o = out + r * period;
#pragma omp simd
        for (int64_t j = 0; j < period; j++) o[j] = Apply<OP>(a[j], br[j]);
      }
  }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void BinarySpan(int op, int mode, int64_t begin, int64_t end, int64_t period,
                                                                              const float* a, const float* b, float* out) {
  switch (op) {
    case kOpAdd:
      return Span<kOpAdd>(mode, begin, end, period, a, b, out);
    case kOpSub:
      return Span<kOpSub>(mode, begin, end, period, a, b, out);
    case kOpMul:
      return Span<kOpMul>(mode, begin, end, period, a, b, out);
    case kOpDiv:
      return Span<kOpDiv>(mode, begin, end, period, a, b, out);
    default:
      return Span<kOpSquaredDiff>(mode, begin, end, period, a, b, out);
  }
}

// acc[j] += x[r * cols + j] over rows [r0, r1) and columns [c0, c1): float sums over blocks of 64 rows
// (vector adds), each block added to the double accumulators.
__attribute__((target_clones("avx512f", "avx2", "default"))) void SumRows(const float* x, int64_t cols, int64_t r0, int64_t r1, int64_t c0,
                                                                           int64_t c1, double* acc) {
  constexpr int64_t kBlock = 64;
  constexpr int64_t kCols = 256;
  float part[kCols];
  for (int64_t j0 = c0; j0 < c1; j0 += kCols) {
    const int64_t j1 = std::min(c1, j0 + kCols);
    const int64_t w = j1 - j0;
    for (int64_t b0 = r0; b0 < r1; b0 += kBlock) {
      const int64_t b1 = std::min(r1, b0 + kBlock);
      for (int64_t j = 0; j < w; j++) part[j] = 0.f;
      for (int64_t r = b0; r < b1; r++) {
        const float* row = x + r * cols + j0;
#pragma omp simd
        for (int64_t j = 0; j < w; j++) part[j] += row[j];
      }
      for (int64_t j = 0; j < w; j++) acc[j0 + j] += part[j];
    }
  }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) double SumSpan(const float* x, int64_t n) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; i++) s += x[i];
  return s;
}

}  // namespace

bool Binary(const Heap& heap, const Params& p) {
  const int op = static_cast<int>(p.i(kBinOp, 0, kOpLast));
  const int mode = static_cast<int>(p.i(kBinMode, 0, kModeLast));
  const int64_t n = p.i(kBinN, 1, int64_t{1} << 40);
  const int64_t period = p.i(kBinPeriod, 1, n);
  if ((mode == kBPeriodic || mode == kAPeriodic) && n % period != 0) RangeErr("binary: the element count is not a multiple of the period");
  const int64_t na = mode == kSame || mode == kBPeriodic || mode == kBScalar ? n : mode == kAPeriodic ? period : 1;
  const int64_t nb = mode == kSame || mode == kAPeriodic || mode == kAScalar ? n : mode == kBPeriodic ? period : 1;
  const float* a = F32(heap, p.raw(kBinA), na, "a");
  const float* b = F32(heap, p.raw(kBinB), nb, "b");
  float* out = F32(heap, p.raw(kBinOut), n, "out");
  const bool periodic = mode == kBPeriodic || mode == kAPeriodic;
  const int64_t items = periodic ? n / period : n;
  if (n < kParallelMin) {
    BinarySpan(op, mode, 0, items, period, a, b, out);
    return true;
  }
  ApplyThreads();
#pragma omp parallel
  {
    int64_t begin, end;
    Chunk(items, &begin, &end);
    BinarySpan(op, mode, begin, end, period, a, b, out);
  }
  return true;
}

bool Reduce(const Heap& heap, const Params& p) {
  const int op = static_cast<int>(p.i(kRedOp, 0, 1));
  const int kind = static_cast<int>(p.i(kRedKind, 0, 1));
  const int64_t rows = p.i(kRedRows, 1, int64_t{1} << 40);
  const int64_t cols = p.i(kRedCols, 1, int64_t{1} << 40);
  const int64_t n = Prod({rows, cols});
  const float* x = F32(heap, p.raw(kRedX), n, "x");
  const int64_t outs = kind == kReduceOuter ? cols : rows;
  float* out = F32(heap, p.raw(kRedOut), outs, "out");
  const double scale = op == kReduceMean ? 1.0 / static_cast<double>(kind == kReduceOuter ? rows : cols) : 1.0;
  const bool parallel = n >= kParallelMin;
  if (parallel) ApplyThreads();
  if (kind == kReduceInner) {
#pragma omp parallel for if (parallel) schedule(static)
    for (int64_t r = 0; r < rows; r++) out[r] = static_cast<float>(SumSpan(x + r * cols, cols) * scale);
    return true;
  }
  const int nt = parallel ? omp_get_max_threads() : 1;
  if (rows < 4 * nt) {
    // Few rows: split the columns.
    std::vector<double> acc(cols, 0.0);
#pragma omp parallel if (parallel)
    {
      int64_t c0, c1;
      Chunk(cols, &c0, &c1);
      SumRows(x, cols, 0, rows, c0, c1, acc.data());
    }
    for (int64_t j = 0; j < cols; j++) out[j] = static_cast<float>(acc[j] * scale);
    return true;
  }
  // Each thread sums its block of rows; the partial sums are added in thread order (deterministic for a
  // given thread count).
  std::vector<double> acc(static_cast<size_t>(cols) * nt, 0.0);
  int used = 1;
#pragma omp parallel if (parallel) num_threads(nt)
  {
    int64_t r0, r1;
    Chunk(rows, &r0, &r1);
    SumRows(x, cols, r0, r1, 0, cols, acc.data() + static_cast<size_t>(cols) * omp_get_thread_num());
#pragma omp single
    used = omp_get_num_threads();
  }
  for (int64_t j = 0; j < cols; j++) {
    double s = 0;
    for (int t = 0; t < used; t++) s += acc[static_cast<size_t>(t) * cols + j];
    out[j] = static_cast<float>(s * scale);
  }
  return true;
}

}  // namespace hn
