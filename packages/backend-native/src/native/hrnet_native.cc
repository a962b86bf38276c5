// @hrnet/backend-native: oneDNN primitives working in place on the tfjs wasm heap.
//
// Every entry point takes the wasm heap (an ArrayBuffer, re-read by the caller after its last
// allocation) and a Float64Array of parameters (shapes, attributes and byte offsets into the heap).
// Offsets and sizes are checked against the heap's current length: a bad offset or a stale (detached)
// heap throws a RangeError and touches nothing. A combination oneDNN cannot run returns false so the
// JS side falls back to the stock kernel; any other failure throws an Error.
//
// Primitives are cached by geometry and thread count in a process-wide map behind a mutex (the addon
// may be loaded by several worker_threads at once); streams and scratch buffers are per thread.

#define NAPI_VERSION 8
#include <node_api.h>
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernels.h"

namespace hn {

using dnnl::algorithm;
using dnnl::engine;
using dnnl::memory;
using dnnl::primitive;
using dnnl::primitive_attr;
using dnnl::prop_kind;
using dnnl::stream;
using dt = memory::data_type;
using tag = memory::format_tag;
using dims = memory::dims;

// ---------------------------------------------------------------------------------------------
// Errors

struct JsError {
  enum Kind { kType, kRange, kGeneric } kind;
  std::string msg;
};

[[noreturn]] void RangeErr(const std::string& m) { throw JsError{JsError::kRange, m}; }
[[noreturn]] void TypeErr(const std::string& m) { throw JsError{JsError::kType, m}; }
[[noreturn]] void Err(const std::string& m) { throw JsError{JsError::kGeneric, m}; }

#define NAPI_OK(call)                                          \
  do {                                                         \
    if ((call) != napi_ok) Err("N-API call failed: " #call);  \
  } while (0)

// ---------------------------------------------------------------------------------------------
// Heap and parameters

struct Heap {
  uint8_t* base = nullptr;
  size_t len = 0;
};

Heap GetHeap(napi_env env, napi_value v) {
  bool is_ab = false;
  NAPI_OK(napi_is_arraybuffer(env, v, &is_ab));
  if (is_ab) {
    void* data = nullptr;
    size_t len = 0;
    NAPI_OK(napi_get_arraybuffer_info(env, v, &data, &len));
    return {static_cast<uint8_t*>(data), data ? len : 0};
  }
  bool is_ta = false;
  NAPI_OK(napi_is_typedarray(env, v, &is_ta));
  if (is_ta) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_value ab;
    size_t off = 0;
    NAPI_OK(napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &off));
    if (type != napi_uint8_array) TypeErr("heap must be an ArrayBuffer or a Uint8Array");
    return {static_cast<uint8_t*>(data), data ? length : 0};
  }
  TypeErr("heap must be an ArrayBuffer or a Uint8Array");
}

struct Params {
  const double* p = nullptr;
  size_t n = 0;

  double raw(size_t k) const {
    if (k >= n) TypeErr("parameter array too short (" + std::to_string(n) + " entries, need " + std::to_string(k + 1) + ")");
    return p[k];
  }
  // An integer parameter in [lo, hi].
  int64_t i(size_t k, int64_t lo = 0, int64_t hi = (int64_t{1} << 40)) const {
    double v = raw(k);
    if (!(v == std::floor(v)) || v < static_cast<double>(lo) || v > static_cast<double>(hi)) {
      RangeErr("parameter " + std::to_string(k) + " = " + std::to_string(v) + " is not an integer in [" + std::to_string(lo) + ", " +
               std::to_string(hi) + "]");
    }
    return static_cast<int64_t>(v);
  }
  float f(size_t k) const { return static_cast<float>(raw(k)); }
};

Params GetParams(napi_env env, napi_value v) {
  bool is_ta = false;
  NAPI_OK(napi_is_typedarray(env, v, &is_ta));
  if (!is_ta) TypeErr("params must be a Float64Array");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value ab;
  size_t off = 0;
  NAPI_OK(napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &off));
  if (type != napi_float64_array) TypeErr("params must be a Float64Array");
  return {static_cast<const double*>(data), length};
}

constexpr int64_t kMaxDim = int64_t{1} << 31;

// The float32 region [offset, offset + count * 4) of the heap; RangeError unless it lies inside it.
float* F32(const Heap& h, double offset, int64_t count, const char* what) {
  if (h.len == 0) {
    RangeErr(std::string(what) + ": the heap view is empty (detached by a heap growth? re-read the wasm memory's buffer after allocating)");
  }
  if (!(offset >= 0) || offset != std::floor(offset)) RangeErr(std::string(what) + ": offset " + std::to_string(offset) + " is not a non-negative integer");
  const uint64_t off = static_cast<uint64_t>(offset);
  if (off % 4 != 0) RangeErr(std::string(what) + ": offset " + std::to_string(off) + " is not 4-byte aligned");
  if (count < 0) RangeErr(std::string(what) + ": negative size");
  const uint64_t bytes = static_cast<uint64_t>(count) * 4;
  if (off > h.len || bytes > h.len - off) {
    RangeErr(std::string(what) + ": [" + std::to_string(off) + ", " + std::to_string(off + bytes) + ") is outside the heap (" + std::to_string(h.len) +
             " bytes)");
  }
  return reinterpret_cast<float*>(h.base + off);
}

// Product of positive dims, RangeError past 2^40 elements.
int64_t Prod(std::initializer_list<int64_t> ds) {
  int64_t r = 1;
  for (int64_t d : ds) {
    if (d < 0) RangeErr("negative dimension");
    if (d != 0 && r > (int64_t{1} << 40) / d) RangeErr("tensor too large");
    r *= d;
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Engine, threads, per-thread stream and scratch

engine& Engine() {
  static engine eng(engine::kind::cpu, 0);  // thread-safe initialisation (C++11 statics)
  return eng;
}

std::atomic<int> g_threads{0};  // 0: OpenMP's default (OMP_NUM_THREADS or the core count)
thread_local int t_threads = -1;

// OpenMP's thread count is per calling thread (main thread, each worker_thread): apply ours here.
int ApplyThreads() {
  const int n = g_threads.load();
  if (n > 0 && n != t_threads) {
    omp_set_num_threads(n);
    t_threads = n;
  }
  return omp_get_max_threads();
}

stream& Stream() {
  thread_local stream s(Engine());
  return s;
}

struct Buffer {
  void* p = nullptr;
  size_t cap = 0;
  void* Get(size_t n) {
    if (n == 0) n = 64;
    if (n > cap) {
      std::free(p);
      p = nullptr;
      cap = 0;
      if (posix_memalign(&p, 64, n) != 0) throw std::bad_alloc();
      cap = n;
    }
    return p;
  }
  ~Buffer() { std::free(p); }
};

thread_local Buffer t_scratch;
thread_local Buffer t_weights;

// ---------------------------------------------------------------------------------------------
// Primitive cache

struct Entry {
  primitive prim;
  size_t scratch_bytes = 0;
  // Weights as the primitive wants them, and the reorder from/to the user's layout (if they differ).
  memory::desc wei_md;
  bool wei_reorder = false;
  dnnl::reorder reorder;
};

class Cache {
 public:
  std::shared_ptr<Entry> Find(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) {
      ++misses_;
      return nullptr;
    }
    ++hits_;
    return it->second;
  }
  void Put(const std::string& key, std::shared_ptr<Entry> e) {
    std::lock_guard<std::mutex> lock(mu_);
    if (map_.size() >= kCapacity) map_.clear();  // entries in use stay alive through their shared_ptr
    map_[key] = std::move(e);
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    map_.clear();
  }
  void Stats(size_t* size, uint64_t* hits, uint64_t* misses) {
    std::lock_guard<std::mutex> lock(mu_);
    *size = map_.size();
    *hits = hits_;
    *misses = misses_;
  }

 private:
  static constexpr size_t kCapacity = 4096;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> map_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

Cache& GetCache() {
  static Cache* c = new Cache();  // never destroyed: worker threads may still use it at exit
  return *c;
}

std::string Key(std::initializer_list<int64_t> parts) {
  std::string k;
  k.reserve(parts.size() * sizeof(int64_t));
  for (int64_t v : parts) k.append(reinterpret_cast<const char*>(&v), sizeof v);
  return k;
}

primitive_attr Attr(int act, float alpha) {
  primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (act != kActLinear) {
    dnnl::post_ops po;
    switch (act) {
      case kActRelu:
        po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
        break;
      case kActRelu6:
        po.append_eltwise(1.f, algorithm::eltwise_bounded_relu, 6.f, 0.f);
        break;
      case kActLeakyRelu:
        po.append_eltwise(1.f, algorithm::eltwise_relu, alpha, 0.f);
        break;
      default:
        RangeErr("unknown activation " + std::to_string(act));
    }
    attr.set_post_ops(po);
  }
  return attr;
}

// Runs `prim` with the thread's scratchpad.
void Execute(const Entry& e, std::unordered_map<int, memory>& args) {
  stream& s = Stream();
  memory scratch(memory::desc({static_cast<int64_t>(e.scratch_bytes)}, dt::u8, tag::a), Engine(), t_scratch.Get(e.scratch_bytes));
  args.insert({DNNL_ARG_SCRATCHPAD, scratch});
  e.prim.execute(s, args);
  s.wait();
}

// ---------------------------------------------------------------------------------------------
// Convolution (Conv2D, FusedConv2D, DepthwiseConv2dNative and their gradients)

struct ConvGeom {
  int64_t mode, n, c, h, w, co, ho, wo, kh, kw, g, sh, sw, dh, dw, pt, pb, pl, pr, nchw, act;
  float alpha;
  double off_src, off_wei, off_bias, off_dst;

  dims SrcDims() const { return {n, c, h, w}; }
  dims DstDims() const { return {n, co, ho, wo}; }
  // The tfjs filter: [kh, kw, c, co] (HWIO) or, depthwise, [kh, kw, c, co / c].
  memory::desc UserWeights() const {
    if (g == 1) return memory::desc({co, c, kh, kw}, dt::f32, dims{1, co, kw * c * co, c * co});
    const int64_t mult = co / g;
    return memory::desc({g, mult, 1, kh, kw}, dt::f32, dims{mult, 1, 1, kw * co, co});
  }
  memory::desc AnyWeights() const {
    if (g == 1) return memory::desc({co, c, kh, kw}, dt::f32, tag::any);
    return memory::desc({g, co / g, 1, kh, kw}, dt::f32, tag::any);
  }
  memory::desc Act(const dims& d) const { return memory::desc(d, dt::f32, nchw ? tag::nchw : tag::nhwc); }
};

ConvGeom ParseConv(const Params& p) {
  ConvGeom q;
  q.mode = p.i(kConvMode, 0, 2);
  q.n = p.i(kConvN, 1, kMaxDim);
  q.c = p.i(kConvC, 1, kMaxDim);
  q.h = p.i(kConvH, 1, kMaxDim);
  q.w = p.i(kConvW, 1, kMaxDim);
  q.co = p.i(kConvCo, 1, kMaxDim);
  q.ho = p.i(kConvHo, 1, kMaxDim);
  q.wo = p.i(kConvWo, 1, kMaxDim);
  q.kh = p.i(kConvKh, 1, kMaxDim);
  q.kw = p.i(kConvKw, 1, kMaxDim);
  q.g = p.i(kConvGroups, 1, kMaxDim);
  q.sh = p.i(kConvSh, 1, kMaxDim);
  q.sw = p.i(kConvSw, 1, kMaxDim);
  q.dh = p.i(kConvDh, 1, kMaxDim);
  q.dw = p.i(kConvDw, 1, kMaxDim);
  q.pt = p.i(kConvPt, 0, kMaxDim);
  q.pb = p.i(kConvPb, 0, kMaxDim);
  q.pl = p.i(kConvPl, 0, kMaxDim);
  q.pr = p.i(kConvPr, 0, kMaxDim);
  q.nchw = p.i(kConvNchw, 0, 1);
  q.act = p.i(kConvAct, 0, kActLast);
  q.alpha = p.f(kConvAlpha);
  q.off_src = p.raw(kConvSrc);
  q.off_wei = p.raw(kConvWei);
  q.off_bias = p.raw(kConvBias);
  q.off_dst = p.raw(kConvDst);
  if (q.g != 1 && !(q.g == q.c && q.co % q.g == 0)) RangeErr("groups must be 1 or the input channels (depthwise)");
  // oneDNN derives the output size as floor((in + pads - extent) / stride) + 1. tf's rounding modes can
  // ask for one more row or column than the padding covers (the cpu backend reads zeros there), or for
  // fewer than the padding allows: the trailing padding becomes exactly what the last output reads.
  const int64_t ekh = (q.kh - 1) * q.dh + 1;
  const int64_t ekw = (q.kw - 1) * q.dw + 1;
  // Rounding up adds at most stride - 1 rows beyond the given padding; more means inconsistent sizes.
  const int64_t pb = std::max<int64_t>(0, (q.ho - 1) * q.sh + ekh - q.h - q.pt);
  const int64_t pr = std::max<int64_t>(0, (q.wo - 1) * q.sw + ekw - q.w - q.pl);
  if (pb > q.pb + q.sh - 1 || pr > q.pr + q.sw - 1) RangeErr("conv: the output size does not follow from input, filter, strides and padding");
  q.pb = pb;
  q.pr = pr;
  if (q.h + q.pt + q.pb < ekh || q.w + q.pl + q.pr < ekw || (q.h + q.pt + q.pb - ekh) / q.sh + 1 != q.ho ||
      (q.w + q.pl + q.pr - ekw) / q.sw + 1 != q.wo) {
    RangeErr("conv: the output size does not follow from input, filter, strides and leading padding");
  }
  return q;
}

std::shared_ptr<Entry> ConvEntry(const ConvGeom& q, int threads, bool has_bias) {
  const std::string key = Key({1, q.mode, q.n, q.c, q.h, q.w, q.co, q.ho, q.wo, q.kh, q.kw, q.g, q.sh, q.sw, q.dh, q.dw, q.pt, q.pb, q.pl, q.pr,
                               q.nchw, q.act, static_cast<int64_t>(q.alpha * 1e6f), has_bias, threads});
  if (auto e = GetCache().Find(key)) return e;
  auto e = std::make_shared<Entry>();
  const dims strides = {q.sh, q.sw};
  const dims dil = {q.dh - 1, q.dw - 1};
  const dims pl = {q.pt, q.pl};
  const dims pr = {q.pb, q.pr};
  const memory::desc src = q.Act(q.SrcDims());
  const memory::desc dst = q.Act(q.DstDims());
  const memory::desc wany = q.AnyWeights();
  const memory::desc user_w = q.UserWeights();
  const algorithm alg = algorithm::convolution_direct;
  if (q.mode == kConvForward) {
    const memory::desc bias = has_bias ? memory::desc({q.co}, dt::f32, tag::a) : memory::desc();
    dnnl::convolution_forward::desc d(prop_kind::forward_inference, alg, src, wany, bias, dst, strides, dil, pl, pr);
    dnnl::convolution_forward::primitive_desc pd(d, Attr(static_cast<int>(q.act), q.alpha), Engine());
    e->prim = dnnl::convolution_forward(pd);
    e->scratch_bytes = pd.scratchpad_desc().get_size();
    e->wei_md = pd.weights_desc();
  } else {
    primitive_attr attr = Attr(kActLinear, 0.f);
    dnnl::convolution_forward::desc fd(prop_kind::forward_training, alg, src, wany, dst, strides, dil, pl, pr);
    dnnl::convolution_forward::primitive_desc hint(fd, Engine());
    if (q.mode == kConvBackwardData) {
      dnnl::convolution_backward_data::desc d(alg, src, wany, dst, strides, dil, pl, pr);
      dnnl::convolution_backward_data::primitive_desc pd(d, attr, Engine(), hint);
      e->prim = dnnl::convolution_backward_data(pd);
      e->scratch_bytes = pd.scratchpad_desc().get_size();
      e->wei_md = pd.weights_desc();
    } else {
      dnnl::convolution_backward_weights::desc d(alg, src, wany, dst, strides, dil, pl, pr);
      dnnl::convolution_backward_weights::primitive_desc pd(d, attr, Engine(), hint);
      e->prim = dnnl::convolution_backward_weights(pd);
      e->scratch_bytes = pd.scratchpad_desc().get_size();
      e->wei_md = pd.diff_weights_desc();
    }
  }
  e->wei_reorder = e->wei_md != user_w;
  if (e->wei_reorder) {
    if (q.mode == kConvBackwardWeights) {
      e->reorder = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), e->wei_md, Engine(), user_w));
    } else {
      e->reorder = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), user_w, Engine(), e->wei_md));
    }
  }
  GetCache().Put(key, e);
  return e;
}

// conv(heap, params): see kernels.h for the parameter layout. Returns true, or false when oneDNN has
// no implementation for this combination.
bool Conv(const Heap& heap, const Params& p) {
  const ConvGeom q = ParseConv(p);
  const int64_t src_n = Prod({q.n, q.c, q.h, q.w});
  const int64_t dst_n = Prod({q.n, q.co, q.ho, q.wo});
  const int64_t wei_n = Prod({q.kh, q.kw, q.c / q.g, q.co});
  const bool has_bias = q.mode == kConvForward && q.off_bias >= 0;
  // Resolve (and bounds-check) every pointer before any work.
  float* src = F32(heap, q.off_src, src_n, q.mode == kConvBackwardData ? "dx" : "x");
  float* wei = F32(heap, q.off_wei, wei_n, q.mode == kConvBackwardWeights ? "dW" : "filter");
  float* dst = F32(heap, q.off_dst, dst_n, q.mode == kConvForward ? "y" : "dy");
  float* bias = has_bias ? F32(heap, q.off_bias, q.co, "bias") : nullptr;

  const int threads = ApplyThreads();
  std::shared_ptr<Entry> e;
  try {
    e = ConvEntry(q, threads, has_bias);
  } catch (const dnnl::error& err) {
    if (err.status == dnnl_unimplemented) return false;
    throw;
  }
  const engine& eng = Engine();
  stream& s = Stream();
  memory src_m(q.Act(q.SrcDims()), eng, src);
  memory dst_m(q.Act(q.DstDims()), eng, dst);
  memory user_w(q.UserWeights(), eng, wei);
  memory prim_w = user_w;
  if (e->wei_reorder) prim_w = memory(e->wei_md, eng, t_weights.Get(e->wei_md.get_size()));
  std::unordered_map<int, memory> args;
  switch (q.mode) {
    case kConvForward:
      if (e->wei_reorder) e->reorder.execute(s, user_w, prim_w);
      args = {{DNNL_ARG_SRC, src_m}, {DNNL_ARG_WEIGHTS, prim_w}, {DNNL_ARG_DST, dst_m}};
      if (has_bias) args.insert({DNNL_ARG_BIAS, memory(memory::desc({q.co}, dt::f32, tag::a), eng, bias)});
      Execute(*e, args);
      break;
    case kConvBackwardData:
      if (e->wei_reorder) e->reorder.execute(s, user_w, prim_w);
      args = {{DNNL_ARG_DIFF_SRC, src_m}, {DNNL_ARG_WEIGHTS, prim_w}, {DNNL_ARG_DIFF_DST, dst_m}};
      Execute(*e, args);
      break;
    default:
      args = {{DNNL_ARG_SRC, src_m}, {DNNL_ARG_DIFF_WEIGHTS, prim_w}, {DNNL_ARG_DIFF_DST, dst_m}};
      Execute(*e, args);
      if (e->wei_reorder) {
        e->reorder.execute(s, prim_w, user_w);
        s.wait();
      }
      break;
  }
  return true;
}

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

// ---------------------------------------------------------------------------------------------
// N-API glue

using OpFn = bool (*)(const Heap&, const Params&);

template <typename F>
napi_value Guard(napi_env env, F&& body) {
  try {
    return body();
  } catch (const JsError& e) {
    switch (e.kind) {
      case JsError::kRange:
        napi_throw_range_error(env, "ERR_HRNET_NATIVE_RANGE", e.msg.c_str());
        break;
      case JsError::kType:
        napi_throw_type_error(env, "ERR_HRNET_NATIVE_TYPE", e.msg.c_str());
        break;
      default:
        napi_throw_error(env, "ERR_HRNET_NATIVE", e.msg.c_str());
    }
  } catch (const dnnl::error& e) {
    napi_throw_error(env, "ERR_HRNET_NATIVE_ONEDNN", (std::string("oneDNN: ") + e.what()).c_str());
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, "ERR_HRNET_NATIVE_OOM", "out of memory");
  } catch (const std::exception& e) {
    napi_throw_error(env, "ERR_HRNET_NATIVE", e.what());
  }
  return nullptr;
}

napi_value Bool(napi_env env, bool v) {
  napi_value r;
  NAPI_OK(napi_get_boolean(env, v, &r));
  return r;
}

napi_value Num(napi_env env, double v) {
  napi_value r;
  NAPI_OK(napi_create_double(env, v, &r));
  return r;
}

template <OpFn op>
napi_value OpEntry(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() -> napi_value {
    size_t argc = 2;
    napi_value argv[2];
    NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
    if (argc < 2) TypeErr("expected (heap, params)");
    const Heap heap = GetHeap(env, argv[0]);
    const Params params = GetParams(env, argv[1]);
    return Bool(env, op(heap, params));
  });
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() -> napi_value {
    size_t argc = 1;
    napi_value argv[1];
    NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
    double n = 0;
    if (argc < 1 || napi_get_value_double(env, argv[0], &n) != napi_ok || !(n >= 0 && n <= 1024) || n != std::floor(n)) {
      RangeErr("setThreads: expected an integer in [0, 1024]");
    }
    g_threads.store(static_cast<int>(n));
    return Num(env, ApplyThreads());
  });
}

napi_value SetProp(napi_env env, napi_value obj, const char* name, napi_value v) {
  NAPI_OK(napi_set_named_property(env, obj, name, v));
  return obj;
}

napi_value Info(napi_env env, napi_callback_info) {
  return Guard(env, [&]() -> napi_value {
    napi_value obj;
    NAPI_OK(napi_create_object(env, &obj));
    const dnnl_version_t* v = dnnl_version();
    const std::string ver = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
    napi_value s;
    NAPI_OK(napi_create_string_utf8(env, ver.c_str(), ver.size(), &s));
    SetProp(env, obj, "onednn", s);
    SetProp(env, obj, "threads", Num(env, ApplyThreads()));
    SetProp(env, obj, "isa", Num(env, static_cast<double>(dnnl_get_effective_cpu_isa())));
    size_t size;
    uint64_t hits, misses;
    GetCache().Stats(&size, &hits, &misses);
    SetProp(env, obj, "cacheSize", Num(env, static_cast<double>(size)));
    SetProp(env, obj, "cacheHits", Num(env, static_cast<double>(hits)));
    SetProp(env, obj, "cacheMisses", Num(env, static_cast<double>(misses)));
    return obj;
  });
}

napi_value ClearCache(napi_env env, napi_callback_info) {
  return Guard(env, [&]() -> napi_value {
    GetCache().Clear();
    napi_value u;
    NAPI_OK(napi_get_undefined(env, &u));
    return u;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"conv", nullptr, OpEntry<Conv>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"matmul", nullptr, OpEntry<MatMul>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"clearCache", nullptr, ClearCache, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace hn

NAPI_MODULE_INIT() { return hn::Init(env, exports); }
