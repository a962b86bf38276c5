// Shared by the addon's sources: errors, heap access, parameters, threads, primitive cache.
#pragma once

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

[[noreturn]] inline void RangeErr(const std::string& m) { throw JsError{JsError::kRange, m}; }
[[noreturn]] inline void TypeErr(const std::string& m) { throw JsError{JsError::kType, m}; }
[[noreturn]] inline void Err(const std::string& m) { throw JsError{JsError::kGeneric, m}; }

// ---------------------------------------------------------------------------------------------
// Heap and parameters

struct Heap {
  uint8_t* base = nullptr;
  size_t len = 0;
};

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

inline constexpr int64_t kMaxDim = int64_t{1} << 31;

// The float32 region [offset, offset + count * 4) of the heap; RangeError unless it lies inside it.
inline float* F32(const Heap& h, double offset, int64_t count, const char* what) {
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
inline int64_t Prod(std::initializer_list<int64_t> ds) {
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

inline engine& Engine() {
  static engine eng(engine::kind::cpu, 0);  // thread-safe initialisation (C++11 statics)
  return eng;
}

inline std::atomic<int> g_threads{0};  // 0: OpenMP's default (OMP_NUM_THREADS or the core count)
inline thread_local int t_threads = -1;

// OpenMP's thread count is per calling thread (main thread, each worker_thread): apply ours here.
inline int ApplyThreads() {
  const int n = g_threads.load();
  if (n > 0 && n != t_threads) {
    omp_set_num_threads(n);
    t_threads = n;
  }
  return omp_get_max_threads();
}

inline stream& Stream() {
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

inline thread_local Buffer t_scratch;
inline thread_local Buffer t_weights;

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

inline Cache& GetCache() {
  static Cache* c = new Cache();  // never destroyed: worker threads may still use it at exit
  return *c;
}

inline std::string Key(std::initializer_list<int64_t> parts) {
  std::string k;
  k.reserve(parts.size() * sizeof(int64_t));
  for (int64_t v : parts) k.append(reinterpret_cast<const char*>(&v), sizeof v);
  return k;
}

inline primitive_attr Attr(int act, float alpha) {
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
inline void Execute(const Entry& e, std::unordered_map<int, memory>& args) {
  stream& s = Stream();
  memory scratch(memory::desc({static_cast<int64_t>(e.scratch_bytes)}, dt::u8, tag::a), Engine(), t_scratch.Get(e.scratch_bytes));
  args.insert({DNNL_ARG_SCRATCHPAD, scratch});
  e.prim.execute(s, args);
  s.wait();
}

// Elements below which elementwise work stays on the calling thread. Waking a passive OpenMP team takes
// tens of microseconds (much more when another process holds the other core), and these passes are
// memory-bound: a second thread pays off only on large tensors.
inline constexpr int64_t kParallelMin = 1 << 18;

// [begin, end) of `count` items for the calling member of the OpenMP team.
inline void Chunk(int64_t count, int64_t* begin, int64_t* end) {
  const int64_t t = omp_get_thread_num();
  const int64_t nt = omp_get_num_threads();
  *begin = count * t / nt;
  *end = count * (t + 1) / nt;
}

// Entry points: each reads its parameters, checks them and every heap range, then runs.
bool Conv(const Heap& heap, const Params& p);
bool MatMul(const Heap& heap, const Params& p);
bool Binary(const Heap& heap, const Params& p);
bool Reduce(const Heap& heap, const Params& p);
bool BatchNorm(const Heap& heap, const Params& p);
bool BnGradReduce(const Heap& heap, const Params& p);
bool BroadcastDiv(const Heap& heap, const Params& p);
bool ReluGrad(const Heap& heap, const Params& p);
bool BnTrain(const Heap& heap, const Params& p);
bool BnTrainGrad(const Heap& heap, const Params& p);

}  // namespace hn
