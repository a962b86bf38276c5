// Matrix products: BatchMatMul and _FusedMatMul, in place on the heap.
#include "common.h"

namespace hn {

// ---------------------------------------------------------------------------------------------
// Matrix multiply (BatchMatMul, _FusedMatMul): C[b] = act(op(A[b]) op(B[b]) + bias), batch broadcast
// when one side has batch 1.

bool MatMul(const Heap& heap, const Params& p) {
  const int64_t ba = p.i(kMmBatchA, 1, kMaxDim);
  const int64_t bb = p.i(kMmBatchB, 1, kMaxDim);
  const int64_t m = p.i(kMmM, 1, kMaxDim);
  const int64_t k = p.i(kMmK, 1, kMaxDim);
  const int64_t n = p.i(kMmN, 1, kMaxDim);
  const int64_t ta = p.i(kMmTransA, 0, 1);
  const int64_t tb = p.i(kMmTransB, 0, 1);
  const int64_t act = p.i(kMmAct, 0, kActLast);
  const float alpha = p.f(kMmAlpha);
  const double off_bias = p.raw(kMmBias);
  if (ba != bb && ba != 1 && bb != 1) RangeErr("matmul: batch sizes must match or one must be 1");
  const int64_t b = std::max(ba, bb);
  const bool has_bias = off_bias >= 0;
  float* a_ptr = F32(heap, p.raw(kMmA), Prod({ba, m, k}), "a");
  float* b_ptr = F32(heap, p.raw(kMmB), Prod({bb, k, n}), "b");
  float* c_ptr = F32(heap, p.raw(kMmOut), Prod({b, m, n}), "out");
  float* bias_ptr = has_bias ? F32(heap, off_bias, n, "bias") : nullptr;

  const memory::desc a_md({ba, m, k}, dt::f32, ta ? dims{m * k, 1, m} : dims{m * k, k, 1});
  const memory::desc b_md({bb, k, n}, dt::f32, tb ? dims{k * n, 1, k} : dims{k * n, n, 1});
  const memory::desc c_md({b, m, n}, dt::f32, tag::abc);
  const memory::desc bias_md({1, 1, n}, dt::f32, tag::abc);

  const int threads = ApplyThreads();
  const std::string key = Key({2, ba, bb, m, k, n, ta, tb, act, static_cast<int64_t>(alpha * 1e6f), has_bias, threads});
  std::shared_ptr<Entry> e = GetCache().Find(key);
  if (!e) {
    try {
      e = std::make_shared<Entry>();
      dnnl::matmul::desc d = has_bias ? dnnl::matmul::desc(a_md, b_md, bias_md, c_md) : dnnl::matmul::desc(a_md, b_md, c_md);
      dnnl::matmul::primitive_desc pd(d, Attr(static_cast<int>(act), alpha), Engine());
      e->prim = dnnl::matmul(pd);
      e->scratch_bytes = pd.scratchpad_desc().get_size();
    } catch (const dnnl::error& err) {
      if (err.status == dnnl_unimplemented) return false;
      throw;
    }
    GetCache().Put(key, e);
  }
  const engine& eng = Engine();
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, memory(a_md, eng, a_ptr)}, {DNNL_ARG_WEIGHTS, memory(b_md, eng, b_ptr)}, {DNNL_ARG_DST, memory(c_md, eng, c_ptr)}};
  if (has_bias) args.insert({DNNL_ARG_BIAS, memory(bias_md, eng, bias_ptr)});
  Execute(*e, args);
  return true;
}

}  // namespace hn
